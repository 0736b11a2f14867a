//! The webhook listener under attack: idle and slow-header connections,
//! bodies sent by strangers, too many connections, HTTP/2 when it is off,
//! and shutdown. In-process gateways, real sockets.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};
use wagate::config::WebhookLimits;

use crate::support::{TestGateway, VERIFY_TOKEN, webhook_fixture};

fn limits() -> WebhookLimits {
    WebhookLimits { max_body_bytes: 1 << 20, ..WebhookLimits::default() }
}

/// Whether the server closed `stream` within `within` (EOF or reset).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

async fn verify(gateway: &TestGateway) -> reqwest::Response {
    let url = format!(
        "http://{}/webhook?hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}",
        gateway.webhook_addr
    );
    reqwest::get(url).await.unwrap()
}

#[tokio::test]
async fn a_thousand_idle_and_a_thousand_slow_header_connections_do_not_keep_out_a_signed_post() {
    let gateway = TestGateway::builder().webhook_limits(limits()).spawn().await;
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(gateway.webhook_addr).await.unwrap());
        let mut stream = TcpStream::connect(gateway.webhook_addr).await.unwrap();
        stream.write_all(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Le").await.unwrap();
        slow.push(stream);
    }
    let body = webhook_fixture("webhook-message-text.json");
    let started = Instant::now();
    let response = gateway.post_webhook(&body, None).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(took < Duration::from_secs(1), "a signed POST took {took:?} behind 2,000 stalled connections");
    // 2,000 pending connections against a cap of 1,024: the oldest were closed.
    assert!(closed_within(&mut idle[0], Duration::from_secs(5)).await, "the oldest idle connection is still open");
    assert!(!closed_within(&mut slow[999], Duration::from_millis(100)).await, "the newest should still be open");
}

#[tokio::test]
async fn a_connection_that_sends_no_request_or_goes_idle_is_closed() {
    let limits =
        WebhookLimits { header_read_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(2), ..limits() };
    let gateway = TestGateway::builder().webhook_limits(limits).spawn().await;
    let mut silent = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    let mut slow = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    slow.write_all(b"GET /webhook HTTP/1.1\r\n").await.unwrap();
    let mut kept_alive = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    kept_alive.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut response = [0u8; 12];
    kept_alive.read_exact(&mut response).await.unwrap();
    assert_eq!(&response, b"HTTP/1.1 404");
    let started = Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await, "a silent connection outlived its timeout");
    assert!(closed_within(&mut slow, Duration::from_secs(10)).await, "a slow request head outlived its timeout");
    assert!(closed_within(&mut kept_alive, Duration::from_secs(10)).await, "an idle keep-alive outlived its timeout");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before the timeout");
}

#[tokio::test]
async fn past_the_body_budget_a_post_gets_503_before_its_body_is_read() {
    let limits = WebhookLimits { max_body_bytes: 1 << 20, max_body_bytes_in_flight: 1 << 20, ..limits() };
    let gateway = TestGateway::builder().webhook_limits(limits).spawn().await;
    // A body of the largest size, sent slowly: it holds the whole budget.
    let mut holder = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    holder
        .write_all(format!("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{{", 1 << 20).as_bytes())
        .await
        .unwrap();
    // The handler has reserved the budget once the head is read; poll for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let response = reqwest::Client::new()
            .post(format!("http://{}/webhook", gateway.webhook_addr))
            .body(vec![b' '; 1000])
            .send()
            .await
            .unwrap();
        if response.status() == 503 || Instant::now() > deadline {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(refused.text().await.unwrap().contains("in flight"));
    // Declared larger than the limit: 413 without reserving anything.
    let mut huge = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    huge.write_all(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n").await.unwrap();
    let mut status = [0u8; 12];
    huge.read_exact(&mut status).await.unwrap();
    assert_eq!(&status, b"HTTP/1.1 413");
    // The budget comes back when the holder goes away.
    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = gateway.post_webhook(b"{}", Some("sha256=00")).await;
        if response.status() == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "the budget was not returned: {}", response.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn past_max_connections_a_new_connections_request_gets_503() {
    let gateway = TestGateway::builder().webhook_limits(WebhookLimits { max_connections: 2, ..limits() }).spawn().await;
    let mut served = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(gateway.webhook_addr).await.unwrap();
        stream.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).await.unwrap();
        assert_eq!(&status, b"HTTP/1.1 404");
        served.push(stream);
    }
    let third = verify(&gateway).await;
    assert_eq!(third.status(), 503);
    assert!(third.text().await.unwrap().contains("webhook.max_connections"));
    drop(served);
    let deadline = Instant::now() + Duration::from_secs(10);
    while verify(&gateway).await.status() != 200 {
        assert!(Instant::now() < deadline, "places were not returned when connections closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The first bytes a server answers to HTTP/2's connection preface and an
/// empty SETTINGS frame (empty when it closes the connection).
async fn answer_to_http2_preface(gateway: &TestGateway) -> Vec<u8> {
    let mut stream = TcpStream::connect(gateway.webhook_addr).await.unwrap();
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await.unwrap();
    let mut answer = vec![0u8; 9];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await.unwrap().unwrap_or(0);
    answer.truncate(read);
    answer
}

#[tokio::test]
async fn http2_is_refused_unless_enabled() {
    let off = TestGateway::builder().webhook_limits(limits()).spawn().await;
    let answer = answer_to_http2_preface(&off).await;
    assert!(answer.len() < 4 || answer[3] != 0x04, "HTTP/2 was served with webhook.http2 off: {answer:?}");
    let on = TestGateway::builder().webhook_limits(WebhookLimits { http2: true, ..limits() }).spawn().await;
    let answer = answer_to_http2_preface(&on).await;
    assert_eq!(answer.get(3), Some(&0x04), "the server's SETTINGS frame: {answer:?}");
}

#[tokio::test]
async fn at_shutdown_the_socket_closes_and_idle_connections_close_at_once() {
    let gateway = TestGateway::builder()
        .webhook_limits(WebhookLimits { idle_timeout: Duration::from_secs(600), ..limits() })
        .spawn()
        .await;
    let addr = gateway.webhook_addr;
    let mut pending = TcpStream::connect(addr).await.unwrap();
    let mut kept_alive = TcpStream::connect(addr).await.unwrap();
    kept_alive.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut status = [0u8; 12];
    kept_alive.read_exact(&mut status).await.unwrap();
    drop(gateway);
    assert!(closed_within(&mut pending, Duration::from_secs(3)).await, "a connection without a request held shutdown");
    assert!(closed_within(&mut kept_alive, Duration::from_secs(3)).await, "an idle keep-alive held shutdown");
    let deadline = Instant::now() + Duration::from_secs(3);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "the listening socket stayed open after shutdown");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A `wagate serve` process with only a webhook to speak of, started under
/// `prlimit` when `max_descriptors` is set; its log lines are counted.
struct Process {
    child: std::process::Child,
    webhook: std::net::SocketAddr,
    accept_failures_logged: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(webhook_section: &str, max_descriptors: Option<u32>) -> Self {
        use std::{
            io::{BufRead as _, BufReader},
            process::{Command, Stdio},
            sync::{Arc, atomic::AtomicUsize},
        };
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("wagate.toml");
        let key_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest("k"));
        std::fs::write(
            &config,
            format!(
                r#"
                [server]
                grpc_addr = "127.0.0.1:0"
                [graph]
                base_url = "http://127.0.0.1:9"
                [webhook]
                addr = "127.0.0.1:0"
                verify_token = "vt"
                {webhook_section}
                [[accounts]]
                name = "main"
                waba_id = "1"
                phone_number_ids = ["2"]
                access_token = "t"
                app_secret = "s"
                [[api_keys]]
                name = "svc"
                sha256 = "{key_hash}"
                scopes = ["events"]
                phone_number_ids = ["*"]
                "#
            ),
        )
        .unwrap();
        let mut command = match max_descriptors {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(env!("CARGO_BIN_EXE_wagate"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_wagate")),
        };
        let mut child = command
            .args(["--log-format", "json", "serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let webhook = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let log: serde_json::Value = serde_json::from_str(&line).ok()?;
                log["fields"]["webhook"].as_str()?.parse().ok()
            })
            .expect("serve logs its webhook address");
        let accept_failures_logged = Arc::new(AtomicUsize::new(0));
        let counter = accept_failures_logged.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("accept failed") && line.contains("\"listener\":\"webhook\"") {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        Self { child, webhook, accept_failures_logged, _dir: dir }
    }

    fn status_field(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Peak resident memory, in bytes.
    fn peak_rss(&self) -> u64 {
        self.status_field("VmHWM:") * 1024
    }

    /// CPU time used so far (user + system), in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn three_hundred_unsigned_3_mb_bodies_leave_memory_under_the_budget() {
    const BUDGET: u64 = 16 << 20;
    let process = Process::start(&format!("max_body_bytes = 3145728\nmax_body_bytes_in_flight = {BUDGET}"), None);
    let before = process.peak_rss();
    let body = std::sync::Arc::new(vec![b'x'; 3 << 20]);
    let addr = process.webhook;
    // Raw connections, all writing at once: head, then the whole body.
    let posts: Vec<_> = (0..300)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.ok()?;
                let head = format!("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len());
                stream.write_all(head.as_bytes()).await.ok()?;
                // A refused body is not read: the server answers and closes
                // while this is still writing.
                let _ = stream.write_all(&body).await;
                let mut status = [0u8; 12];
                stream.read_exact(&mut status).await.ok()?;
                Some(String::from_utf8_lossy(&status[9..]).into_owned())
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for post in posts {
        let outcome = post.await.unwrap().unwrap_or_else(|| "closed".to_owned());
        *statuses.entry(outcome).or_default() += 1;
    }
    let grown = process.peak_rss().saturating_sub(before);
    eprintln!("peak RSS grew by {} MiB; outcomes {statuses:?}", grown >> 20);
    assert!(statuses.get("401").copied().unwrap_or(0) > 0, "no body was read at all: {statuses:?}");
    assert!(grown < BUDGET + (32 << 20), "peak RSS grew by {} MiB with a {} MiB budget", grown >> 20, BUDGET >> 20);
}

#[tokio::test]
async fn out_of_descriptors_the_listener_neither_spins_nor_floods_the_log() {
    let process = Process::start("", Some(64));
    // Each connection takes a descriptor in the process; a few hundred run it out.
    let mut held = Vec::new();
    for _ in 0..300 {
        // Once the process stops accepting, its backlog fills and connects stall.
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(process.webhook)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => break,
        }
    }
    // Let it hit the limit, then measure three seconds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ticks, logged) =
        (process.cpu_ticks(), process.accept_failures_logged.load(std::sync::atomic::Ordering::Relaxed));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ticks = process.cpu_ticks() - ticks;
    let logged = process.accept_failures_logged.load(std::sync::atomic::Ordering::Relaxed) - logged;
    let total_logged = process.accept_failures_logged.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("out of descriptors: {ticks} CPU ticks in 3 s, {logged} accept-failure lines");
    assert!(total_logged > 0, "the descriptor limit was never reached");
    // 100 ticks a second per core: 10 % of one core over 3 s is 30.
    assert!(ticks < 30, "{ticks} CPU ticks in 3 s: the accept loop spins");
    assert!(logged <= 5, "{logged} accept-failure lines in 3 s");
    // Once descriptors are free again, it serves.
    drop(held);
    let url = format!("http://{}/webhook?hub.mode=subscribe&hub.challenge=5&hub.verify_token=vt", process.webhook);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(response) = reqwest::get(&url).await
            && response.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "the listener did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
