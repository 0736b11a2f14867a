//! Idempotency keys: a retried send is not sent twice.

use tonic::Code;
use wagate::{
    emulator::{Fault, FaultKind},
    pb::{self, message_content::Kind},
};

use crate::support::{CONTACT, TestGateway};

fn text(body: &str, key: &str) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent {
            kind: Some(Kind::Text(pb::Text { body: body.into(), preview_url: false })),
        }),
        idempotency_key: key.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_message() {
    let gateway = TestGateway::spawn().await;
    let mut client = gateway.messaging().await;
    let first = client.send_message(text("hi", "order-42")).await.unwrap().into_inner();
    let again = client.send_message(text("hi", "order-42")).await.unwrap().into_inner();
    assert_eq!(first, again);
    assert_eq!(gateway.sent_bodies().len(), 1, "the retry must not reach Meta");

    let status = client.send_message(text("something else", "order-42")).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("idempotency_key"));

    client.send_message(text("hi", "order-43")).await.unwrap();
    assert_eq!(gateway.sent_bodies().len(), 2, "a new key sends");
}

#[tokio::test]
async fn a_refused_send_frees_its_key() {
    let gateway = TestGateway::spawn().await;
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::GraphError {
            http_status: 400,
            code: 130429,
            subcode: None,
            message: "Rate limit hit".into(),
            details: "slow down".into(),
        },
        path_contains: None,
    });
    let mut client = gateway.messaging().await;
    assert_eq!(client.send_message(text("hi", "k")).await.unwrap_err().code(), Code::ResourceExhausted);
    client.send_message(text("hi", "k")).await.expect("the retry after a definite refusal is sent");
    assert_eq!(gateway.sent_bodies().len(), 1);
}

#[tokio::test]
async fn a_send_with_an_unknown_outcome_blocks_its_key() {
    let gateway = TestGateway::spawn().await;
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::RawStatus { http_status: 502, body: "bad gateway".into() },
        path_contains: None,
    });
    let mut client = gateway.messaging().await;
    assert_eq!(client.send_message(text("hi", "k")).await.unwrap_err().code(), Code::Unavailable);
    let status = client.send_message(text("hi", "k")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(crate::support::error_info(&status).reason, "IDEMPOTENCY_OUTCOME_UNKNOWN");
    assert!(gateway.sent_bodies().is_empty());
}

#[tokio::test]
async fn a_send_refused_before_meta_frees_its_key() {
    let gateway = TestGateway::builder().enforce_window(true).spawn().await;
    let mut client = gateway.messaging().await;
    // The window is closed: refused before Meta, the key stays usable.
    let status = client.send_message(text("hi", "k")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    gateway.inbound_text(CONTACT, "hello").await;
    // The webhook may take a moment to be stored; retry until the window opens.
    let mut sent = None;
    for _ in 0..100 {
        match client.send_message(text("hi", "k")).await {
            Ok(response) => {
                sent = Some(response.into_inner());
                break;
            }
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(sent.is_some(), "the key was not freed by the refusal");
    assert_eq!(gateway.sent_bodies().len(), 1);
}

#[tokio::test]
async fn overlong_keys_are_invalid() {
    let gateway = TestGateway::spawn().await;
    let status = gateway.messaging().await.send_message(text("hi", &"k".repeat(257))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("idempotency_key"));
    assert!(gateway.sent_bodies().is_empty());
}
