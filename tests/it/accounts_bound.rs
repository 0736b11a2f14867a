//! Webhooks bound to their app: two Meta apps, A (the emulator's account, on
//! `/webhook`) and B (the second account, on `/hooks/b`), each with its own
//! secret and verify token. A body signed by one app never publishes, opens a
//! window for, or deduplicates away anything of the other's accounts.

use secrecy::SecretString;
use wagate::{config::ResolvedApp, emulator::EmulatorConfig, pb};

use crate::{
    on_both_backends,
    support::{Backend, CONTACT, SECOND_PHONE, SECOND_WABA, TestGateway, sign, stored, webhook_fixture},
};

const SECRET_A: &str = "secret-of-app-a";
const SECRET_B: &str = "secret-of-app-b";
/// The message time written in the text-message fixture.
const FIXTURE_TIMESTAMP: &str = "\"timestamp\": \"1784020325\"";

fn app(name: &str, secret: &str, token: &str, path: &str, waba: &str) -> ResolvedApp {
    ResolvedApp {
        name: name.into(),
        app_secrets: vec![SecretString::from(secret.to_owned())],
        verify_token: Some(SecretString::from(token.to_owned())),
        webhook_path: path.into(),
        waba_ids: vec![waba.into()],
    }
}

async fn two_apps(backend: Backend) -> TestGateway {
    let waba_a = EmulatorConfig::default().waba_id;
    TestGateway::builder()
        .backend(backend)
        .apps(vec![
            app("a", SECRET_A, "token-a", "/webhook", &waba_a),
            app("b", SECRET_B, "token-b", "/hooks/b", SECOND_WABA),
        ])
        .spawn()
        .await
}

/// The text-message fixture (account A's), rewritten to name account B and
/// to have been written just now (so that it opens a window).
fn body_of_b() -> Vec<u8> {
    let a = EmulatorConfig::default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let fixture = String::from_utf8(webhook_fixture("webhook-message-text.json")).unwrap();
    assert!(fixture.contains(FIXTURE_TIMESTAMP), "the fixture's message time changed");
    fixture
        .replace(FIXTURE_TIMESTAMP, &format!("\"timestamp\": \"{now}\""))
        .replace(&a.waba_id, SECOND_WABA)
        .replace(&a.phone_number_id, SECOND_PHONE)
        .into_bytes()
}

async fn post(gateway: &TestGateway, path: &str, secret: &str, body: &[u8]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{}{path}", gateway.webhook_addr))
        .header("x-hub-signature-256", sign(secret, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn window_of_b(gateway: &TestGateway) -> pb::GetConversationWindowResponse {
    let request = pb::GetConversationWindowRequest { phone_number_id: SECOND_PHONE.into(), contact: CONTACT.into() };
    gateway.messaging().await.get_conversation_window(request).await.unwrap().into_inner()
}

async fn a_body_signed_by_another_app_changes_nothing_of_the_victim(backend: Backend) {
    let gateway = two_apps(backend).await;
    let forged = body_of_b();
    // Signed by A, naming B's account: on A's path and on B's.
    assert_eq!(post(&gateway, "/webhook", SECRET_A, &forged).await.status(), 403);
    assert_eq!(post(&gateway, "/hooks/b", SECRET_A, &forged).await.status(), 401, "A's secret on B's path");
    assert!(stored(&gateway).await.is_empty(), "a forged entry was published");
    assert_eq!(window_of_b(&gateway).await.last_inbound_at, None, "a forged message touched B's window");
    // B's genuine delivery of the same message is not taken for a redelivery.
    assert_eq!(post(&gateway, "/hooks/b", SECRET_B, &forged).await.status(), 200);
    let events = stored(&gateway).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!((events[0].waba_id.as_str(), events[0].phone_number_id.as_str()), (SECOND_WABA, SECOND_PHONE));
    assert!(window_of_b(&gateway).await.last_inbound_at.is_some(), "B's own message records B's window");
}

async fn an_unconfigured_account_is_refused(backend: Backend) {
    let gateway = two_apps(backend).await;
    let a = EmulatorConfig::default();
    let body = String::from_utf8(webhook_fixture("webhook-message-text.json"))
        .unwrap()
        .replace(&a.waba_id, "999999999999999")
        .into_bytes();
    assert_eq!(post(&gateway, "/webhook", SECRET_A, &body).await.status(), 403);
    assert!(stored(&gateway).await.is_empty());
}

async fn a_mixed_body_publishes_only_the_signing_apps_entries(backend: Backend) {
    let gateway = two_apps(backend).await;
    let own: serde_json::Value = serde_json::from_slice(&webhook_fixture("webhook-message-text.json")).unwrap();
    let foreign: serde_json::Value = serde_json::from_slice(&body_of_b()).unwrap();
    let mut mixed = own.clone();
    let entries = mixed["entry"].as_array_mut().unwrap();
    entries.insert(0, foreign["entry"][0].clone());
    let body = serde_json::to_vec(&mixed).unwrap();
    assert_eq!(post(&gateway, "/webhook", SECRET_A, &body).await.status(), 200);
    let events = stored(&gateway).await;
    assert_eq!(events.len(), 1, "only A's entry: {events:?}");
    assert_eq!(events[0].waba_id, EmulatorConfig::default().waba_id);
    assert_eq!(window_of_b(&gateway).await.last_inbound_at, None);
}

on_both_backends!(
    a_body_signed_by_another_app_changes_nothing_of_the_victim,
    an_unconfigured_account_is_refused,
    a_mixed_body_publishes_only_the_signing_apps_entries,
);

#[tokio::test]
async fn each_app_answers_the_handshake_with_its_own_token_on_its_own_path() {
    let gateway = two_apps(Backend::Memory).await;
    let verify = |path: &str, token: &str| {
        let url = format!(
            "http://{}{path}?hub.mode=subscribe&hub.challenge=31&hub.verify_token={token}",
            gateway.webhook_addr
        );
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(verify("/webhook", "token-a").await, 200);
    assert_eq!(verify("/webhook", "token-b").await, 403);
    assert_eq!(verify("/hooks/b", "token-b").await, 200);
    assert_eq!(verify("/hooks/b", "token-a").await, 403);
    assert_eq!(verify("/hooks/c", "token-a").await, 404);
}

#[tokio::test]
async fn accounts_configured_with_one_secret_are_one_app() {
    // The default test gateway: two accounts, each with the emulator's secret
    // and no [[apps]] entry.
    let gateway = TestGateway::spawn().await;
    let body = body_of_b();
    assert_eq!(gateway.post_webhook(&body, None).await.status(), 200);
    let events = stored(&gateway).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].waba_id, SECOND_WABA);
}
