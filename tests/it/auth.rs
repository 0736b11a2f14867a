//! API keys: missing, unknown, without the scope, or for another number.

use tonic::Code;
use wagate::pb::{self, media_service_client::MediaServiceClient, message_content::Kind};

use crate::support::{Bearer, CONTACT, KEY, MEDIA_KEY, OTHER_PHONE, OTHER_PHONE_KEY, PHONE, TestGateway};

fn text_from(phone_number_id: &str) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        phone_number_id: phone_number_id.into(),
        to: CONTACT.into(),
        content: Some(pb::MessageContent {
            kind: Some(Kind::Text(pb::Text { body: "hi".into(), preview_url: false })),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn missing_and_unknown_keys_are_unauthenticated() {
    let gateway = TestGateway::spawn().await;
    for key in [None, Some("not-a-key")] {
        let status = gateway.messaging_with(key).await.send_message(text_from(PHONE)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{key:?}");
        assert!(status.message().contains("API key"), "{}", status.message());
    }
    assert!(gateway.sent_bodies().is_empty());
}

#[tokio::test]
async fn a_key_without_the_scope_is_denied() {
    let gateway = TestGateway::spawn().await;
    let status = gateway.messaging_with(Some(MEDIA_KEY)).await.send_message(text_from(PHONE)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(status.message().contains("messages"), "{}", status.message());
    assert!(gateway.sent_bodies().is_empty());
}

#[tokio::test]
async fn a_key_for_another_phone_number_is_denied() {
    let gateway = TestGateway::spawn().await;
    let mut client = gateway.messaging_with(Some(OTHER_PHONE_KEY)).await;
    // The default number is PHONE, which this key may not use either.
    for phone in [PHONE, ""] {
        let status = client.send_message(text_from(phone)).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{phone:?}");
        assert!(status.message().contains(PHONE), "{}", status.message());
    }
    assert!(gateway.sent_bodies().is_empty());
    // Its own number passes authorization (and reaches Graph).
    let _ = client.send_message(text_from(OTHER_PHONE)).await;
    assert_eq!(gateway.sent_bodies().len(), 0, "the emulator does not serve OTHER_PHONE, so nothing is accepted");
}

#[tokio::test]
async fn each_service_checks_its_own_scope() {
    let gateway = TestGateway::spawn().await;
    let media = |key: &str| {
        let bearer = Bearer(Some(format!("Bearer {key}").parse().unwrap()));
        async { MediaServiceClient::with_interceptor(gateway.channel().await, bearer) }
    };
    let request = || pb::GetMediaRequest { media_id: "1".into(), phone_number_id: String::new() };
    let status = media(OTHER_PHONE_KEY).await.get_media(request()).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "a messages-only key on MediaService");
    let status = media(KEY).await.get_media(request()).await.unwrap_err();
    assert_ne!(status.code(), Code::PermissionDenied, "the full key passes MediaService's check: {status:?}");
    assert_ne!(status.code(), Code::Unauthenticated);
}
