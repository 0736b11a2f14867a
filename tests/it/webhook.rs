//! The webhook listener: verification, signatures, limits, deduplication,
//! ordering, superseded statuses and `\u`-escaped text, through real HTTP.

use wagate::pb::{self, event::Kind};

use crate::support::{Backend, TestGateway, VERIFY_TOKEN, sign, stored, webhook_fixture};

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    let gateway = TestGateway::spawn().await;
    let url = |token: &str| {
        format!(
            "http://{}/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}",
            gateway.webhook_addr
        )
    };
    let ok = reqwest::get(url(VERIFY_TOKEN)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(reqwest::get(url("wrong")).await.unwrap().status(), 403);
    let other_path = reqwest::get(format!("http://{}/elsewhere", gateway.webhook_addr)).await.unwrap();
    assert_eq!(other_path.status(), 404);
}

async fn a_wrong_or_missing_signature_is_401_and_publishes_nothing(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let body = webhook_fixture("webhook-message-text.json");
    assert_eq!(gateway.post_webhook(&body, Some(&sign("not-the-secret", &body))).await.status(), 401);
    let unsigned = reqwest::Client::new()
        .post(format!("http://{}/webhook", gateway.webhook_addr))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert!(stored(&gateway).await.is_empty(), "a refused webhook published events");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let gateway = TestGateway::spawn().await;
    assert_eq!(gateway.post_webhook(b"{not json", None).await.status(), 400);
    let huge = vec![b' '; (1 << 20) + 1];
    assert_eq!(gateway.post_webhook(&huge, None).await.status(), 413);
    assert!(stored(&gateway).await.is_empty());
}

async fn a_mixed_batch_keeps_its_order_and_a_redelivery_yields_nothing_new(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let body = webhook_fixture("webhook-batch-mixed.json");
    assert_eq!(gateway.post_webhook(&body, None).await.status(), 200);
    assert_eq!(gateway.post_webhook(&body, None).await.status(), 200, "a redelivery is acknowledged");
    let events = stored(&gateway).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match &e.kind {
            Some(Kind::Message(_)) => "message",
            Some(Kind::Status(s)) => s.status_raw.as_str(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // Every element of every entry and change, in order, once.
    assert_eq!(kinds, ["message", "message", "delivered", "read", "sent", "read"], "{events:#?}");
    assert!(events.iter().all(|e| !e.cursor.is_empty() && !e.raw_json.is_empty()));
}

async fn a_read_before_its_delivered_leaves_the_delivered_superseded(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    for sample in ["webhook-status-read.json", "webhook-status-delivered.json"] {
        assert_eq!(gateway.post_webhook(&webhook_fixture(sample), None).await.status(), 200);
    }
    let statuses: Vec<(pb::MessageStatus, bool)> = stored(&gateway)
        .await
        .into_iter()
        .filter_map(|e| match e.kind {
            Some(Kind::Status(s)) => Some((s.status(), s.superseded)),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [(pb::MessageStatus::Read, false), (pb::MessageStatus::Delivered, true)]);
}

async fn escaped_emoji_and_accents_verify_and_arrive_decoded(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    // Meta signs its escaped serialisation: the bytes below, not their decoding.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"109348720013455","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15557771234","phone_number_id":"113502948871204"},"contacts":[{"profile":{"name":"Jos\u00e9"},"wa_id":"14155550123"}],"messages":[{"from":"14155550123","id":"wamid.unicode1","timestamp":"1784020325","type":"text","text":{"body":"Ol\u00e1, caf\u00e9 \u00e0 la cr\u00e8me \ud83d\ude00\ud83d\udc4d"}}]},"field":"messages"}]}]}"#;
    assert_eq!(gateway.post_webhook(body, None).await.status(), 200);
    let events = stored(&gateway).await;
    let Some(Kind::Message(message)) = &events[0].kind else { panic!("{events:?}") };
    assert_eq!(message.profile_name, "José");
    let Some(pb::inbound_message::Content::Text(text)) = &message.content else { panic!("{message:?}") };
    assert_eq!(text.body, "Olá, café à la crème 😀👍");
}

async fn every_sample_is_accepted_and_typed(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let dir = format!("{}/tests/fixtures/webhooks", env!("CARGO_MANIFEST_DIR"));
    let mut posted = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "webhook-signature-example.json" | "webhook-verify-get.json") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        assert_eq!(gateway.post_webhook(&body, None).await.status(), 200, "{name}");
        posted += 1;
    }
    let events = stored(&gateway).await;
    assert!(posted > 30 && events.len() >= posted - 5, "{posted} samples gave {} events", events.len());
    for event in &events {
        assert!(event.kind.is_some(), "an event without a kind: {event:?}");
        assert!(!event.waba_id.is_empty(), "{event:?}");
    }
}

#[tokio::test]
async fn the_signature_example_of_the_reference_verifies() {
    let example: serde_json::Value =
        serde_json::from_slice(&webhook_fixture("webhook-signature-example.json")).unwrap();
    let body = example["raw_body"].as_str().unwrap().as_bytes();
    let signature = example["header_value"].as_str().unwrap();
    assert_eq!(sign(example["app_secret"].as_str().unwrap(), body), signature);
}

crate::on_both_backends!(
    a_wrong_or_missing_signature_is_401_and_publishes_nothing,
    a_mixed_batch_keeps_its_order_and_a_redelivery_yields_nothing_new,
    a_read_before_its_delivered_leaves_the_delivered_superseded,
    escaped_emoji_and_accents_verify_and_arrive_decoded,
    every_sample_is_accepted_and_typed,
);
