//! The gRPC listener's limits: a default deadline for unary calls (never for
//! streams), a cap on connections, and a cap on message sizes.

use std::time::{Duration, Instant};

use tonic::{Code, transport::Endpoint};
use wagate::{
    config::GrpcLimits,
    emulator::{Fault, FaultKind},
    pb::{self, messaging_service_client::MessagingServiceClient},
};

use crate::support::{KEY, TestGateway, bearer, text};

#[tokio::test]
async fn a_unary_call_without_a_deadline_gets_the_default_and_streams_outlive_it() {
    let limits = GrpcLimits { default_unary_deadline: Duration::from_secs(1), ..GrpcLimits::default() };
    let gateway = TestGateway::builder().grpc_limits(limits).graph_timeout(Duration::from_secs(60)).spawn().await;
    let mut events = gateway.events().await;
    let subscribe = pb::SubscribeEventsRequest::default();
    let mut stream = events.subscribe_events(subscribe).await.unwrap().into_inner();
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::Latency(Duration::from_secs(30)),
        path_contains: Some("messages".into()),
    });
    let started = Instant::now();
    let status = gateway.messaging().await.send_message(text("slow")).await.expect_err("the slow call succeeded");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("server.default_unary_deadline_secs"), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "the default deadline was not applied");
    // The subscription opened before is still open well past the deadline.
    let still_open = tokio::time::timeout(Duration::from_millis(200), stream.message()).await;
    assert!(still_open.is_err(), "the stream ended: {still_open:?}");
}

#[tokio::test]
async fn past_max_connections_the_listener_stops_accepting_until_one_closes() {
    let limits = GrpcLimits { max_connections: 1, ..GrpcLimits::default() };
    let gateway = TestGateway::builder().grpc_limits(limits).spawn().await;
    let endpoint = Endpoint::from_shared(format!("http://{}", gateway.grpc_addr)).unwrap();
    let first = endpoint.clone().connect().await.unwrap();
    let mut client = MessagingServiceClient::with_interceptor(first.clone(), bearer(KEY));
    let window = pb::GetConversationWindowRequest { contact: "14155550123".into(), ..Default::default() };
    client.get_conversation_window(window.clone()).await.unwrap();
    // The second connection is not served while the first is open.
    let second = endpoint.clone().timeout(Duration::from_millis(500)).connect_lazy();
    let mut blocked = MessagingServiceClient::with_interceptor(second, bearer(KEY));
    let refused =
        tokio::time::timeout(Duration::from_millis(800), blocked.get_conversation_window(window.clone())).await;
    assert!(!matches!(refused, Ok(Ok(_))), "a second connection was served past max_connections = 1");
    drop((client, first, blocked));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let third = endpoint.clone().timeout(Duration::from_secs(2)).connect_lazy();
        let mut client = MessagingServiceClient::with_interceptor(third, bearer(KEY));
        if client.get_conversation_window(window.clone()).await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the place was not returned when the first connection closed");
    }
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused() {
    let limits = GrpcLimits { max_message_bytes: 64 * 1024, ..GrpcLimits::default() };
    let gateway = TestGateway::builder().grpc_limits(limits).spawn().await;
    let status = gateway.messaging().await.send_message(text(&"x".repeat(100 * 1024))).await.unwrap_err();
    assert!(matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted), "{status:?}");
    assert!(gateway.sent_bodies().is_empty(), "an oversized message reached the Cloud API");
}
