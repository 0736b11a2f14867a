//! `RedisServer::start()`: a real `redis-server` on a unix socket in a
//! temporary directory (no TCP port to race for, nothing saved to disk),
//! killed when dropped. `start_persistent()` keeps an append-only file in
//! that directory, fsynced on every write, so a restart keeps the data.

use std::{
    io::{Read as _, Write as _},
    os::unix::net::UnixStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::Duration,
};

use tempfile::TempDir;

/// How many times readiness is checked before giving up.
const READY_TRIES: u32 = 400;

/// How many ports are tried when the one found free was taken meanwhile.
const PORT_TRIES: u32 = 5;

/// A running `redis-server`; killed on drop.
pub struct RedisServer {
    dir: TempDir,
    socket: PathBuf,
    child: Option<Child>,
    /// The persistence arguments (and any others).
    args: Vec<String>,
    /// The loopback TCP port, 0 for none.
    port: u16,
}

impl RedisServer {
    /// Starts a server and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_with(&["--appendonly", "no", "--appendfsync", "everysec"])
    }

    /// Starts a server whose data survives [`RedisServer::restart`] (and a kill).
    pub fn start_persistent() -> Self {
        Self::start_with(&["--appendonly", "yes", "--appendfsync", "always"])
    }

    /// Starts a server with these persistence (or other) arguments.
    pub fn start_with(args: &[&str]) -> Self {
        let mut server = Self::new(args, 0);
        server.spawn();
        server
    }

    /// Starts a server without persistence that also listens on a free
    /// loopback port, so that replicas can attach to it.
    pub fn start_on_tcp() -> Self {
        // A replica attaching gets its full sync at once, not after the
        // default 5 s wait for more replicas.
        Self::start_tcp(&["--appendonly", "no", "--repl-diskless-sync-delay", "0"])
    }

    /// Starts a replica of `primary` (started with [`RedisServer::start_on_tcp`]);
    /// it may still be syncing when this returns.
    pub fn replica_of(primary: &Self) -> Self {
        assert_ne!(primary.port, 0, "the primary must listen on TCP");
        let port = primary.port.to_string();
        Self::start_tcp(&["--appendonly", "no", "--replicaof", "127.0.0.1", &port])
    }

    fn start_tcp(args: &[&str]) -> Self {
        let mut failure = String::new();
        for _ in 0..PORT_TRIES {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free loopback port")
                .port();
            let mut server = Self::new(args, port);
            // The port may have been taken between finding and binding it.
            match server.try_spawn() {
                Ok(()) => return server,
                Err(why) => failure = why,
            }
        }
        panic!("{failure}");
    }

    fn new(args: &[&str], port: u16) -> Self {
        let dir = tempfile::Builder::new().prefix("wagate-redis").tempdir().expect("a temporary directory");
        let socket = dir.path().join("redis.sock");
        Self { dir, socket, child: None, args: args.iter().map(|a| (*a).to_owned()).collect(), port }
    }

    /// The TCP port (0 when the server listens on its socket only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of its files (the append-only file among them).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `redis+unix://<socket>`, the redis-rs URL of the server.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    /// Kills the server (as a crash would) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same socket (empty unless persistent)
    /// and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn spawn(&mut self) {
        if let Err(why) = self.try_spawn() {
            panic!("{why}");
        }
    }

    fn try_spawn(&mut self) -> Result<(), String> {
        let log = self.dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--unixsocket"])
            .arg(&self.socket)
            .args(["--unixsocketperm", "700", "--save", ""])
            .args(&self.args)
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);

        // Poll until PING answers, backing off from 1 ms, a bounded number of
        // times; fail fast if the server exits.
        let mut pause = Duration::from_millis(1);
        for _ in 0..READY_TRIES {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!("redis-server exited with {status}:\n{}", read_log(&log)));
            }
            if pong(&self.socket) {
                return Ok(());
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
        self.stop();
        Err(format!("redis-server did not answer PING on {}:\n{}", self.socket.display(), read_log(&log)))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a server on `socket` answers PING.
fn pong(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
