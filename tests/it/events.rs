//! SubscribeEvents end to end: a send's statuses from the emulator's signed
//! webhooks, inbound messages, resuming by cursor, consumer groups, lag, and
//! the 24 h window fed by inbound messages.

use std::{collections::HashSet, time::Duration};

use tokio_stream::StreamExt as _;
use tonic::{Code, Streaming};
use wagate::pb::{
    self, event::Kind, inbound_message::Content, message_content::Kind as Content2, subscribe_events_request::Start,
};

use crate::support::{Backend, CONTACT, TestGateway, error_info, text};

const WAIT: Duration = Duration::from_secs(10);

async fn next(stream: &mut Streaming<pb::SubscribeEventsResponse>) -> pb::Event {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("no event within the wait bound")
        .expect("the stream ended")
        .expect("the stream failed")
        .event
        .expect("a response without an event")
}

fn subscribe(start: Start) -> pb::SubscribeEventsRequest {
    pb::SubscribeEventsRequest { start: Some(start), ..Default::default() }
}

fn oldest() -> pb::SubscribeEventsRequest {
    subscribe(Start::Position(pb::StartPosition::Oldest.into()))
}

/// Posts `n` signed inbound text webhooks, ids `wamid.bulk-{from}..`.
async fn post_inbound(gateway: &TestGateway, range: std::ops::Range<usize>) {
    for i in range {
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"109348720013455","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557771234","phone_number_id":"113502948871204"}},"contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"{CONTACT}"}}],"messages":[{{"from":"{CONTACT}","id":"wamid.bulk-{i}","timestamp":"1784020325","type":"text","text":{{"body":"{i}"}}}}]}},"field":"messages"}}]}}]}}"#
        );
        assert_eq!(gateway.post_webhook(body.as_bytes(), None).await.status(), 200);
    }
}

fn bulk_index(event: &pb::Event) -> usize {
    event.id.strip_prefix("wamid.bulk-").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("{event:?}"))
}

async fn a_send_yields_sent_delivered_and_read_events_in_order(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let mut events = gateway.events().await;
    let mut stream = events
        .subscribe_events(subscribe(Start::Position(pb::StartPosition::Newest.into())))
        .await
        .unwrap()
        .into_inner();

    // The contact writes first (opening the window); its message arrives typed.
    let inbound = gateway.inbound_text(CONTACT, "Is the navy one in stock?").await;
    let event = next(&mut stream).await;
    let Some(Kind::Message(message)) = &event.kind else { panic!("{event:?}") };
    assert_eq!(
        (message.message_id.as_str(), message.from.as_str(), message.profile_name.as_str()),
        (inbound.as_str(), CONTACT, "Ana")
    );
    assert!(matches!(&message.content, Some(Content::Text(t)) if t.body == "Is the navy one in stock?"));

    let mut send = text("Yes, in M and L.");
    send.biz_opaque_callback_data = "order=42".into();
    let sent = gateway.messaging().await.send_message(send).await.unwrap().into_inner();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = next(&mut stream).await;
        let Some(Kind::Status(status)) = event.kind else { panic!("{event:?}") };
        assert_eq!(status.message_id, sent.message_id);
        assert_eq!(status.biz_opaque_callback_data, "order=42");
        assert!(!status.superseded);
        seen.push(status.status());
    }
    assert_eq!(seen, [pb::MessageStatus::Sent, pb::MessageStatus::Delivered, pb::MessageStatus::Read]);
}

async fn a_subscriber_cut_off_while_1000_events_arrive_resumes_from_its_cursor(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let mut client = gateway.events().await;
    let mut stream = client
        .subscribe_events(subscribe(Start::Position(pb::StartPosition::Newest.into())))
        .await
        .unwrap()
        .into_inner();
    post_inbound(&gateway, 0..10).await;
    let mut last = String::new();
    for i in 0..10 {
        let event = next(&mut stream).await;
        assert_eq!(bulk_index(&event), i);
        last = event.cursor;
    }
    drop(stream); // cut off

    post_inbound(&gateway, 10..1010).await;
    let mut resumed = client.subscribe_events(subscribe(Start::AfterCursor(last))).await.unwrap().into_inner();
    for i in 10..1010 {
        assert_eq!(bulk_index(&next(&mut resumed).await), i, "every event exactly once, in order");
    }
    post_inbound(&gateway, 1010..1011).await;
    assert_eq!(bulk_index(&next(&mut resumed).await), 1010, "then live, with no duplicate");
}

async fn a_consumer_group_shares_events_and_redelivers_the_unacknowledged(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    post_inbound(&gateway, 0..1000).await;
    let group = |name: &str| pb::SubscribeEventsRequest {
        start: Some(Start::Position(pb::StartPosition::Oldest.into())),
        consumer_group: "billing".into(),
        consumer_name: name.into(),
        ..Default::default()
    };
    let mut client = gateway.events().await;
    let mut a = client.subscribe_events(group("a")).await.unwrap().into_inner();
    let mut b = client.subscribe_events(group("b")).await.unwrap().into_inner();

    let mut seen = HashSet::new();
    let mut unacked = None;
    let mut to_ack = Vec::new();
    let (mut from_a, mut from_b) = (0, 0);
    while seen.len() < 1000 {
        let event = tokio::select! {
            e = next(&mut a) => { from_a += 1; e }
            e = next(&mut b) => { from_b += 1; e }
        };
        assert!(seen.insert(bulk_index(&event)), "{} delivered twice", event.id);
        if bulk_index(&event) == 500 {
            unacked = Some(event.cursor.clone());
        } else {
            to_ack.push(event.cursor);
        }
        // Acknowledge in batches, as a consumer would: events in flight
        // (HTTP/2 buffers included) are claimed and their deadline runs.
        if to_ack.len() == 25 || seen.len() == 1000 {
            let cursors = std::mem::take(&mut to_ack);
            let count = cursors.len() as u32;
            let ack = pb::AckEventsRequest { consumer_group: "billing".into(), cursors };
            assert_eq!(client.ack_events(ack).await.unwrap().into_inner().acknowledged, count);
        }
    }
    assert!(from_a > 0 && from_b > 0, "both consumers got a share: a {from_a}, b {from_b}");

    // The harness's ack timeout is 3 s: the unacknowledged one comes back.
    let again = tokio::select! { e = next(&mut a) => e, e = next(&mut b) => e };
    assert_eq!(bulk_index(&again), 500);
    let ack = pb::AckEventsRequest { consumer_group: "billing".into(), cursors: vec![unacked.unwrap()] };
    assert_eq!(client.ack_events(ack).await.unwrap().into_inner().acknowledged, 1);
}

async fn filters_select_kinds_and_contacts(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let mut client = gateway.events().await;
    let mut statuses = client
        .subscribe_events(pb::SubscribeEventsRequest { kinds: vec![pb::EventKind::Status.into()], ..oldest() })
        .await
        .unwrap()
        .into_inner();
    let mut other_contact = client
        .subscribe_events(pb::SubscribeEventsRequest { contacts: vec!["4915112345678".into()], ..oldest() })
        .await
        .unwrap()
        .into_inner();
    post_inbound(&gateway, 0..3).await;
    let body = crate::support::webhook_fixture("webhook-status-sent.json");
    assert_eq!(gateway.post_webhook(&body, None).await.status(), 200);
    let event = next(&mut statuses).await;
    assert!(matches!(event.kind, Some(Kind::Status(_))), "{event:?}");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), other_contact.next()).await.is_err(),
        "no event concerns the other contact"
    );
}

async fn a_slow_live_subscriber_is_cut_off_with_its_cursor_and_resumes(backend: Backend) {
    let gateway = TestGateway::builder().backend(backend).subscriber_buffer(8).spawn().await;
    let mut client = gateway.events().await;
    let newest = || subscribe(Start::Position(pb::StartPosition::Newest.into()));
    let mut slow = client.subscribe_events(newest()).await.unwrap().into_inner();
    let mut fast = client.subscribe_events(newest()).await.unwrap().into_inner();

    // Live events pile up while `slow` reads nothing; transport buffers take
    // some, the gateway's buffer of 8 the rest, then it is cut off.
    // Bursts smaller than the buffer, which `fast` drains before the next.
    const TOTAL: usize = 5_000;
    for batch in (0..TOTAL).collect::<Vec<_>>().chunks(4) {
        let events = batch.iter().map(|i| bulk_event(*i)).collect();
        gateway.bus.publish(events).await.unwrap();
        // `fast` keeps up and is never cut off.
        for i in batch {
            assert_eq!(bulk_index(&next(&mut fast).await), *i);
        }
    }

    let mut received = Vec::new();
    let status = loop {
        match tokio::time::timeout(WAIT, slow.next()).await.expect("the slow stream neither ended nor failed") {
            Some(Ok(response)) => received.push(response.event.unwrap()),
            Some(Err(status)) => break status,
            None => panic!("the slow stream ended without an error after {} events", received.len()),
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = error_info(&status);
    assert_eq!(info.reason, "SUBSCRIBER_LAGGED");
    let last = received.last().expect("some events reached the slow subscriber");
    assert_eq!(info.metadata["last_cursor"], last.cursor);
    assert!(received.len() < TOTAL, "it was cut off before the end");
    for (i, event) in received.iter().enumerate() {
        assert_eq!(bulk_index(event), i, "in order, no gap before the cut");
    }

    // Resuming after its last cursor gives the rest, exactly once.
    let mut resumed =
        client.subscribe_events(subscribe(Start::AfterCursor(last.cursor.clone()))).await.unwrap().into_inner();
    for i in received.len()..TOTAL {
        assert_eq!(bulk_index(&next(&mut resumed).await), i);
    }
}

/// An inbound text event as the parser would make it, for publishing straight to the bus.
fn bulk_event(i: usize) -> pb::Event {
    pb::Event {
        id: format!("wamid.bulk-{i}"),
        phone_number_id: crate::support::PHONE.into(),
        kind: Some(Kind::Message(pb::InboundMessage {
            message_id: format!("wamid.bulk-{i}"),
            from: CONTACT.into(),
            r#type: "text".into(),
            content: Some(Content::Text(pb::InboundText { body: format!("{i:0>4000}") })),
            ..Default::default()
        })),
        ..Default::default()
    }
}

async fn an_unknown_cursor_is_invalid(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let status =
        gateway.events().await.subscribe_events(subscribe(Start::AfterCursor("nope".into()))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("after_cursor"));
}

async fn the_window_opens_with_an_inbound_message_and_guards_free_form_sends(backend: Backend) {
    let gateway = TestGateway::builder().backend(backend).enforce_window(true).spawn().await;
    let mut messaging = gateway.messaging().await;
    let window = || pb::GetConversationWindowRequest { phone_number_id: String::new(), contact: CONTACT.into() };
    let closed = messaging.get_conversation_window(window()).await.unwrap().into_inner();
    assert!(!closed.open && closed.closes_at.is_none());

    let status = messaging.send_message(text("hello?")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(error_info(&status).reason, "WHATSAPP_131047");
    assert!(gateway.sent_bodies().is_empty(), "refused before Meta is called");

    // Templates always pass.
    gateway.add_template("hello_world", "en_US", "UTILITY", serde_json::json!([{"type": "BODY", "text": "Hello"}]));
    let template =
        pb::TemplateMessage { name: "hello_world".into(), language_code: "en_US".into(), ..Default::default() };
    let mut request = text("");
    request.content = Some(pb::MessageContent { kind: Some(Content2::Template(template)) });
    messaging.send_message(request).await.expect("a template outside the window");

    // The contact writes (a signed webhook from the emulator): the window opens.
    let mut events = gateway.events().await;
    let mut stream = events.subscribe_events(oldest()).await.unwrap().into_inner();
    gateway.inbound_text(CONTACT, "hi").await;
    loop {
        if matches!(next(&mut stream).await.kind, Some(Kind::Message(_))) {
            break;
        }
    }
    let open = messaging.get_conversation_window(window()).await.unwrap().into_inner();
    assert!(open.open);
    let closes = open.closes_at.unwrap().seconds - open.last_inbound_at.unwrap().seconds;
    assert_eq!(closes, 24 * 3600);
    messaging.send_message(text("Hi Ana!")).await.expect("free-form inside the window");
}

crate::on_both_backends!(
    a_send_yields_sent_delivered_and_read_events_in_order,
    a_subscriber_cut_off_while_1000_events_arrive_resumes_from_its_cursor,
    a_consumer_group_shares_events_and_redelivers_the_unacknowledged,
    filters_select_kinds_and_contacts,
    an_unknown_cursor_is_invalid,
    a_slow_live_subscriber_is_cut_off_with_its_cursor_and_resumes,
    the_window_opens_with_an_inbound_message_and_guards_free_form_sends,
);
