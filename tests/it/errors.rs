//! Graph errors come back as the mapped gRPC status with a google.rpc.ErrorInfo.

use std::time::Duration;

use tonic::Code;
use wagate::{
    emulator::{Fault, FaultKind},
    pb::{self, message_content::Kind},
};

use crate::support::{CONTACT, TestGateway, error_info, text};

fn graph_error(http_status: u16, code: i64, subcode: Option<i64>, message: &str, details: &str) -> Fault {
    Fault {
        count: 1,
        kind: FaultKind::GraphError { http_status, code, subcode, message: message.into(), details: details.into() },
        path_contains: None,
    }
}

#[tokio::test]
async fn emulated_graph_errors_map_to_statuses_with_error_info() {
    let gateway = TestGateway::spawn().await;
    let mut client = gateway.messaging().await;
    let cases = [
        (graph_error(400, 131047, None, "Re-engagement message", "more than 24 hours"), Code::FailedPrecondition),
        (graph_error(401, 190, Some(463), "Error validating access token", "token expired"), Code::Unauthenticated),
        (graph_error(400, 130429, None, "Rate limit hit", "throughput"), Code::ResourceExhausted),
        (graph_error(400, 131056, None, "Pair rate limit hit", "too many to one user"), Code::ResourceExhausted),
        (graph_error(400, 100, Some(2494010), "Invalid parameter", "to: not a valid number"), Code::InvalidArgument),
        (graph_error(404, 132001, None, "Template name does not exist", "no such template"), Code::NotFound),
    ];
    for (fault, expected) in cases {
        let FaultKind::GraphError { code, subcode, ref details, .. } = fault.kind else { unreachable!() };
        let details = details.clone();
        gateway.emulator.inject_fault(fault);
        let status = client.send_message(text("hi")).await.expect_err("the fault should fail the send");
        assert_eq!(status.code(), expected, "{code}: {status:?}");
        let info = error_info(&status);
        assert_eq!(info.reason, format!("WHATSAPP_{code}"));
        assert_eq!(info.domain, "graph.facebook.com");
        assert_eq!(info.metadata["code"], code.to_string());
        assert_eq!(info.metadata.get("subcode").cloned(), subcode.map(|s| s.to_string()));
        assert_eq!(info.metadata["details"], details);
        assert!(!info.metadata["fbtrace_id"].is_empty(), "fbtrace_id missing for {code}");
    }
}

#[tokio::test]
async fn a_bare_500_is_unavailable() {
    let gateway = TestGateway::spawn().await;
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::RawStatus { http_status: 500, body: "upstream exploded".into() },
        path_contains: None,
    });
    let status = gateway.messaging().await.send_message(text("hi")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    let info = error_info(&status);
    assert_eq!(info.reason, "HTTP_500");
    assert_eq!(info.metadata["http_status"], "500");
}

#[tokio::test]
async fn a_slow_graph_is_deadline_exceeded() {
    let gateway = TestGateway::builder().graph_timeout(Duration::from_millis(200)).spawn().await;
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::Latency(Duration::from_secs(3)),
        path_contains: None,
    });
    let status = gateway.messaging().await.send_message(text("hi")).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
}

#[tokio::test]
async fn a_wrong_token_is_190_from_the_emulator_itself() {
    let gateway = TestGateway::builder().graph_token("not-the-token").spawn().await;
    let status = gateway.messaging().await.send_message(text("hi")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_info(&status).reason, "WHATSAPP_190");
}

#[tokio::test]
async fn throughput_past_the_limit_is_130429_from_the_emulator_itself() {
    let gateway = TestGateway::builder().throughput(2).spawn().await;
    let mut client = gateway.messaging().await;
    let mut refused = None;
    // The emulator admits two per one-second window; fifty sends would have
    // to be spread over 25 seconds for none to be refused.
    for _ in 0..50 {
        if let Err(status) = client.send_message(text("hi")).await {
            refused = Some(status);
            break;
        }
    }
    let status = refused.expect("no send was refused past the throughput");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_info(&status).reason, "WHATSAPP_130429");
}

#[tokio::test]
async fn invalid_parameters_found_by_the_emulator_are_100_with_details() {
    let gateway = TestGateway::spawn().await;
    // A media id the emulator never stored passes the gateway's checks (only
    // Meta knows its media) and comes back as Meta's own 100.
    let req = pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent {
            kind: Some(Kind::Image(pb::Image {
                media: Some(pb::MediaSource { source: Some(pb::media_source::Source::Id("1234567890".into())) }),
                caption: String::new(),
            })),
        }),
        ..Default::default()
    };
    let status = gateway.messaging().await.send_message(req).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let info = error_info(&status);
    assert_eq!(info.reason, "WHATSAPP_100");
    assert!(!info.metadata["details"].is_empty());
}

async fn the_gateway_paces_each_number_before_meta(backend: crate::support::Backend) {
    use tonic_types::StatusExt as _;
    let gateway = TestGateway::builder().backend(backend).messages_per_second(1).spawn().await;
    let mut client = gateway.messaging().await;
    client.send_message(text("first")).await.expect("within the limit");
    // One per second: twenty quick sends would need twenty seconds to pass.
    let mut refused = None;
    for _ in 0..20 {
        if let Err(status) = client.send_message(text("more")).await {
            refused = Some(status);
            break;
        }
    }
    let status = refused.expect("no send was paced");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_info(&status).reason, "THROUGHPUT_LIMIT");
    let retry = status.get_details_retry_info().expect("a RetryInfo says when to retry");
    assert!(retry.retry_delay.is_some_and(|d| d <= Duration::from_secs(1)), "{retry:?}");
    assert!(gateway.sent_bodies().len() < 21, "the refused send never reached Meta");
}

async fn the_gateway_paces_each_contact_before_meta(backend: crate::support::Backend) {
    let gateway = TestGateway::builder().backend(backend).pair_rate_limit(true).spawn().await;
    let mut client = gateway.messaging().await;
    for i in 0..45 {
        client.send_message(text("burst")).await.unwrap_or_else(|s| panic!("message {i} of the burst: {s:?}"));
    }
    let status = client.send_message(text("one too many")).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_info(&status).reason, "PAIR_RATE_LIMIT");
    assert_eq!(gateway.sent_bodies().len(), 45);
    // Another contact of the same number is unaffected.
    let mut other = text("hello");
    other.to = "+4915112345678".into();
    client.send_message(other).await.expect("the pair limit is per contact");
}

crate::on_both_backends!(the_gateway_paces_each_number_before_meta, the_gateway_paces_each_contact_before_meta);

/// At most 1 KiB of message, 2 KiB of details, and no more than a few
/// hundred bytes of the echoed input (a run of '9's) anywhere.
fn assert_bounded(status: &tonic::Status) {
    assert!(status.message().len() <= 1024, "a {} byte message", status.message().len());
    assert!(status.details().len() <= 2048, "{} bytes of details", status.details().len());
    let longest_echo = |text: &[u8]| text.split(|b| *b != b'9').map(<[u8]>::len).max().unwrap_or(0);
    assert!(longest_echo(status.message().as_bytes()) <= 300, "{}", status.message());
    assert!(longest_echo(status.details()) <= 300, "{} bytes of input in the details", longest_echo(status.details()));
}

#[tokio::test]
async fn a_huge_input_is_echoed_in_a_few_hundred_bytes_at_most() {
    let gateway = TestGateway::spawn().await;
    let huge = "9".repeat(100 * 1024);
    let mut events = gateway.events().await;
    let request = pb::SubscribeEventsRequest {
        start: Some(pb::subscribe_events_request::Start::AfterCursor(format!("é{huge}"))),
        ..Default::default()
    };
    let status = events.subscribe_events(request).await.expect_err("a 100 KB cursor was accepted");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_bounded(&status);

    let mut messaging = gateway.messaging().await;
    let status = messaging.send_message(pb::SendMessageRequest { to: huge.clone(), ..text("hi") }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_bounded(&status);
}
