//! Gateways on one Redis behave as replicas of one service: a webhook
//! received by one reaches subscribers of the other, windows and
//! deduplication are shared, and a Redis outage loses nothing acknowledged.

use std::time::Duration;

use tokio_stream::StreamExt as _;
use tonic::Streaming;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use wagate::pb::{self, event::Kind, subscribe_events_request::Start};

use crate::support::{CONTACT, TestGateway, redis::RedisServer, text};

fn prefix() -> String {
    format!("it-{:016x}:", rand::random::<u64>())
}

async fn next(stream: &mut Streaming<pb::SubscribeEventsResponse>) -> pb::Event {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no event within the wait bound")
        .expect("the stream ended")
        .expect("the stream failed")
        .event
        .unwrap()
}

fn inbound(id: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"109348720013455","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557771234","phone_number_id":"113502948871204"}},"contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"{CONTACT}"}}],"messages":[{{"from":"{CONTACT}","id":"{id}","timestamp":"1784020325","type":"text","text":{{"body":"hi"}}}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

/// Polls health until it reports `expected`, for at most 15 s (the gateway
/// checks its store every 5 s); returns the last status seen.
async fn health_when_settled(gateway: &TestGateway, expected: ServingStatus) -> ServingStatus {
    let mut health = HealthClient::new(gateway.channel().await);
    let mut status = ServingStatus::Unknown;
    for _ in 0..150 {
        let request = HealthCheckRequest { service: "wagate.v1.EventService".into() };
        status = health.check(request).await.unwrap().into_inner().status();
        if status == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    status
}

#[tokio::test]
async fn a_webhook_received_by_one_replica_reaches_a_subscriber_of_the_other() {
    let redis = RedisServer::start();
    let prefix = prefix();
    let a = TestGateway::builder().redis(&redis.url(), &prefix).spawn().await;
    let b = TestGateway::builder().redis(&redis.url(), &prefix).enforce_window(true).spawn().await;
    // Messages only: b's emulator reports its own sends' statuses to b at its
    // own pace, and they would interleave with the messages under test.
    let newest = pb::SubscribeEventsRequest {
        start: Some(Start::Position(pb::StartPosition::Newest.into())),
        kinds: vec![pb::EventKind::Message.into()],
        ..Default::default()
    };
    let mut on_b = b.events().await.subscribe_events(newest).await.unwrap().into_inner();

    // The contact writes; Meta (a's emulator) posts the webhook to replica a.
    let wamid = a.inbound_text(CONTACT, "Is it in stock?").await;
    let event = next(&mut on_b).await;
    assert_eq!(event.id, wamid, "replica b streams what replica a stored");
    assert!(matches!(event.kind, Some(Kind::Message(_))));

    // The window it opened is shared: b, which enforces it, sends free-form.
    b.messaging().await.send_message(text("Yes!")).await.expect("the window is open on every replica");

    // Meta redelivers the same webhook to b: deduplicated across replicas.
    let body = inbound("wamid.replicated-1");
    assert_eq!(a.post_webhook(&body, None).await.status(), 200);
    assert_eq!(b.post_webhook(&body, None).await.status(), 200);
    assert_eq!(next(&mut on_b).await.id, "wamid.replicated-1");
    assert_eq!(a.post_webhook(&inbound("wamid.replicated-2"), None).await.status(), 200);
    assert_eq!(next(&mut on_b).await.id, "wamid.replicated-2", "no second copy of replicated-1 came first");
}

#[tokio::test]
async fn an_idempotent_retry_through_another_replica_replays_the_first_send() {
    let redis = RedisServer::start();
    let prefix = prefix();
    let a = TestGateway::builder().redis(&redis.url(), &prefix).spawn().await;
    let b = TestGateway::builder().redis(&redis.url(), &prefix).spawn().await;
    let mut request = text("Your order ships tomorrow.");
    request.idempotency_key = "order-42-shipped".into();
    let first = a.messaging().await.send_message(request.clone()).await.unwrap().into_inner();
    let retry = b.messaging().await.send_message(request).await.unwrap().into_inner();
    assert_eq!(first, retry, "the retry replays the first result");
    assert_eq!(a.sent_bodies().len() + b.sent_bodies().len(), 1, "Meta saw one send");
}

#[tokio::test]
async fn a_redis_outage_answers_503_and_loses_nothing_acknowledged() {
    let mut redis = RedisServer::start_persistent();
    let gateway = TestGateway::builder().redis(&redis.url(), &prefix()).spawn().await;
    assert_eq!(gateway.post_webhook(&inbound("wamid.before"), None).await.status(), 200);

    redis.stop();
    for id in ["wamid.during-1", "wamid.during-2"] {
        assert_eq!(gateway.post_webhook(&inbound(id), None).await.status(), 503, "{id} must be redelivered by Meta");
    }

    assert_eq!(health_when_settled(&gateway, ServingStatus::NotServing).await, ServingStatus::NotServing);

    redis.restart();
    assert_eq!(health_when_settled(&gateway, ServingStatus::Serving).await, ServingStatus::Serving);
    // Meta redelivers until it gets a 200; the gateway reconnects meanwhile.
    for id in ["wamid.during-1", "wamid.during-2"] {
        let mut status = 0;
        for _ in 0..50 {
            status = gateway.post_webhook(&inbound(id), None).await.status().as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "{id} was never stored after Redis came back");
    }

    let oldest = pb::SubscribeEventsRequest {
        start: Some(Start::Position(pb::StartPosition::Oldest.into())),
        ..Default::default()
    };
    let mut stream = gateway.events().await.subscribe_events(oldest).await.unwrap().into_inner();
    for id in ["wamid.before", "wamid.during-1", "wamid.during-2"] {
        assert_eq!(next(&mut stream).await.id, id);
    }
}
