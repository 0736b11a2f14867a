//! The `wagate` binary: `sandbox` on a fresh machine and `check-config`.

use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
};

use tonic::transport::Endpoint;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

const BIN: &str = env!("CARGO_BIN_EXE_wagate");

#[tokio::test]
async fn sandbox_serves_then_stops_cleanly_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--grpc-addr",
            "127.0.0.1:0",
            "--webhook-addr",
            "127.0.0.1:0",
            "--emulator-addr",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The banner names the bound gRPC address before anything else is needed.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let grpc = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.trim().strip_prefix("gRPC").map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the banner prints the gRPC address");
    let channel = Endpoint::from_shared(format!("http://{grpc}")).unwrap().connect().await.unwrap();
    let answer = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(answer.into_inner().status(), ServingStatus::Serving);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "sandbox exited with {status:?} after SIGTERM");
}

#[test]
fn check_config_prints_each_problem_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wagate.toml");
    std::fs::write(
        &path,
        r#"
        [[accounts]]
        name = "main"
        waba_id = "109348720013455"
        phone_number_ids = ["113502948871204"]
        access_token_env = "WAGATE_TEST_SURELY_UNSET_TOKEN"
        app_secret = "s"
        "#,
    )
    .unwrap();
    let output = Command::new(BIN).arg("check-config").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(78), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    for key in ["accounts[0].access_token_env", "api_keys", "webhook.verify_token"] {
        assert!(stdout.contains(key), "{key} missing from:\n{stdout}");
    }

    std::fs::write(dir.path().join("token"), "EAAG\n").unwrap();
    std::fs::write(
        &path,
        format!(
            r#"
            [webhook]
            verify_token = "vt"
            [[accounts]]
            name = "main"
            waba_id = "109348720013455"
            phone_number_ids = ["113502948871204"]
            access_token_file = {:?}
            app_secret = "s"
            [[api_keys]]
            name = "svc"
            sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            scopes = ["messages"]
            phone_number_ids = ["*"]
            "#,
            dir.path().join("token")
        ),
    )
    .unwrap();
    let output = Command::new(BIN).arg("check-config").arg(&path).output().unwrap();
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn serve_with_a_missing_config_exits_with_a_clear_error() {
    let output = Command::new(BIN).args(["serve", "--config", "/nonexistent/wagate.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}
