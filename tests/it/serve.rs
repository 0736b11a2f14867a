//! `wagate serve` as deployed: two gateway processes started from TOML
//! files (secrets from a file and the environment) on one Redis. A webhook
//! received by one process reaches a subscriber of the other; both stop
//! cleanly on SIGTERM.

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::transport::Endpoint;
use wagate::{
    emulator::{Emulator, EmulatorConfig},
    pb::{self, event::Kind, event_service_client::EventServiceClient, subscribe_events_request::Start},
};

use crate::support::{bearer, redis::RedisServer, sign, webhook_fixture};

const KEY: &str = "serve-test-key";

/// A `wagate serve` process and the addresses it logged.
struct Served {
    child: Child,
    grpc: String,
    webhook: String,
}

impl Served {
    fn start(config: &std::path::Path, token_env: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wagate"))
            .args(["--log-format", "json", "serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .env("SERVE_TEST_TOKEN", token_env)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The first log line that names the bound addresses.
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut lines = stderr.lines();
        let (grpc, webhook) = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let log: serde_json::Value = serde_json::from_str(&line).ok()?;
                let fields = &log["fields"];
                Some((fields["grpc"].as_str()?.to_owned(), fields["webhook"].as_str()?.to_owned()))
            })
            .expect("serve logs its gRPC and webhook addresses");
        // Keep draining the log so the process never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, grpc, webhook }
    }

    /// SIGTERM, then the exit status; waits on the blocking pool so the
    /// test's own connections keep running (they must see the GOAWAY).
    async fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        tokio::task::spawn_blocking(move || self.child.wait().unwrap()).await.unwrap()
    }
}

#[tokio::test]
async fn two_serve_processes_on_one_redis_share_their_events() {
    let redis = RedisServer::start();
    let emulator_config = EmulatorConfig::default();
    let emulator = Emulator::bind("127.0.0.1:0".parse().unwrap(), emulator_config.clone()).await.unwrap();
    let emulator_url = format!("http://{}", emulator.local_addr());
    let shutdown = CancellationToken::new();
    tokio::spawn(emulator.run(shutdown.clone()));

    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("app-secret");
    std::fs::write(&secret_file, format!("{}\n", emulator_config.app_secret)).unwrap();
    let key_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(KEY));
    let config = dir.path().join("wagate.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            [server]
            grpc_addr = "127.0.0.1:0"
            shutdown_grace_secs = 5
            [graph]
            base_url = "{emulator_url}"
            [webhook]
            addr = "127.0.0.1:0"
            verify_token = "vt"
            [redis]
            url = "{redis_url}"
            key_prefix = "serve-test:"
            [[accounts]]
            name = "main"
            waba_id = "{waba}"
            phone_number_ids = ["{phone}"]
            access_token_env = "SERVE_TEST_TOKEN"
            app_secret_file = {secret_file:?}
            [[api_keys]]
            name = "svc"
            sha256 = "{key_hash}"
            scopes = ["messages", "events"]
            phone_number_ids = ["*"]
            "#,
            redis_url = redis.url(),
            waba = emulator_config.waba_id,
            phone = emulator_config.phone_number_id,
        ),
    )
    .unwrap();

    let a = Served::start(&config, &emulator_config.access_token);
    let b = Served::start(&config, &emulator_config.access_token);
    assert_ne!(a.grpc, b.grpc);

    let channel = Endpoint::from_shared(format!("http://{}", b.grpc)).unwrap().connect().await.unwrap();
    let mut events = EventServiceClient::with_interceptor(channel, bearer(KEY));
    let request = pb::SubscribeEventsRequest {
        start: Some(Start::Position(pb::StartPosition::Newest.into())),
        ..Default::default()
    };
    let mut on_b = events.subscribe_events(request).await.unwrap().into_inner();

    let body = webhook_fixture("webhook-message-text.json");
    let posted = reqwest::Client::new()
        .post(format!("http://{}/webhook", a.webhook))
        .header("x-hub-signature-256", sign(&emulator_config.app_secret, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let event = tokio::time::timeout(Duration::from_secs(10), on_b.next())
        .await
        .expect("process b streams what process a stored")
        .unwrap()
        .unwrap()
        .event
        .unwrap();
    assert!(matches!(event.kind, Some(Kind::Message(_))), "{event:?}");
    assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=");

    // Both drain and exit 0, b with an open subscription (which ends).
    let (a, b) = tokio::join!(a.stop(), b.stop());
    assert!(a.success() && b.success(), "serve exited with {a:?} and {b:?} after SIGTERM");
    let end = tokio::time::timeout(Duration::from_secs(5), on_b.next()).await.expect("the stream ends at shutdown");
    assert!(end.as_ref().is_none_or(Result::is_err), "no event after shutdown: {end:?}");
    drop(events);
    shutdown.cancel();
}
