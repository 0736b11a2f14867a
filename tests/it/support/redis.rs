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

/// A running `redis-server`; killed on drop.
pub struct RedisServer {
    dir: TempDir,
    socket: PathBuf,
    child: Option<Child>,
    persistent: bool,
}

impl RedisServer {
    /// Starts a server and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// Starts a server whose data survives [`RedisServer::restart`] (and a kill).
    pub fn start_persistent() -> Self {
        Self::start_with(true)
    }

    fn start_with(persistent: bool) -> Self {
        let dir = tempfile::Builder::new().prefix("wagate-redis").tempdir().expect("a temporary directory");
        let socket = dir.path().join("redis.sock");
        let mut server = Self { dir, socket, child: None, persistent };
        server.spawn();
        server
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
        let log = self.dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&self.socket)
            .args(["--unixsocketperm", "700", "--save", ""])
            .args(if self.persistent {
                ["--appendonly", "yes", "--appendfsync", "always"]
            } else {
                ["--appendonly", "no", "--appendfsync", "everysec"]
            })
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
                panic!("redis-server exited with {status}:\n{}", read_log(&log));
            }
            if pong(&self.socket) {
                return;
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
        panic!("redis-server did not answer PING on {}:\n{}", self.socket.display(), read_log(&log));
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
