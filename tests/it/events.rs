//! SubscribeEvents end to end: a send's statuses from the emulator's signed
//! webhooks, inbound messages, resuming by cursor, consumer groups, lag, and
//! the 24 h window fed by inbound messages.

use std::{collections::HashSet, time::Duration};

use tokio_stream::StreamExt as _;
use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt as _;
use wagate::pb::{
    self, event::Kind, event_service_client::EventServiceClient, inbound_message::Content,
    message_content::Kind as Content2, subscribe_events_request::Start,
};

use crate::support::{
    Backend, CONTACT, SECOND_ACCOUNT_KEY, SECOND_PHONE, SECOND_WABA, TestGateway, bearer, error_info, text,
    webhook_fixture,
};

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

async fn a_number_meta_knows_by_another_id_finds_its_window(backend: Backend) {
    let gateway = TestGateway::builder().backend(backend).enforce_window(true).spawn().await;
    gateway.add_template("hello_world", "en_US", "UTILITY", serde_json::json!([{"type": "BODY", "text": "Hello"}]));
    let mut messaging = gateway.messaging().await;
    // Mexican mobiles dialled as 52 1 … have the WhatsApp id 52 ….
    let dialled = "+52 1 55 1234 5678";
    let template =
        pb::TemplateMessage { name: "hello_world".into(), language_code: "en_US".into(), ..Default::default() };
    let mut request = text("");
    request.to = dialled.into();
    request.content = Some(pb::MessageContent { kind: Some(Content2::Template(template)) });
    let sent = messaging.send_message(request).await.unwrap().into_inner();
    assert_eq!(sent.wa_id, "525512345678");

    let mut events = gateway.events().await;
    let mut stream = events.subscribe_events(oldest()).await.unwrap().into_inner();
    gateway.inbound_text("525512345678", "hola").await;
    while !matches!(next(&mut stream).await.kind, Some(Kind::Message(_))) {}

    let mut reply = text("¡Hola!");
    reply.to = dialled.into();
    messaging.send_message(reply).await.expect("the window opened under the WhatsApp id is found");
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

/// The default account's WABA, as the emulator and the fixtures have it.
const WABA: &str = "109348720013455";

/// The field paths of a status's BadRequest violations.
fn violated_fields(status: &Status) -> Vec<String> {
    let bad_request = status.get_details_bad_request().unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    bad_request.field_violations.into_iter().map(|v| v.field).collect()
}

async fn a_key_sees_only_the_account_level_events_of_its_own_accounts(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let mut everything = gateway.events().await.subscribe_events(oldest()).await.unwrap().into_inner();
    let mut second_account = EventServiceClient::with_interceptor(gateway.channel().await, bearer(SECOND_ACCOUNT_KEY));
    let mut restricted = second_account.subscribe_events(oldest()).await.unwrap().into_inner();

    // The default account's template update and account-level field: no phone number.
    for fixture in ["webhook-template-status-update.json", "webhook-account-update.json"] {
        assert_eq!(gateway.post_webhook(&webhook_fixture(fixture), None).await.status(), 200);
    }
    // The second account's template update, then a message to its number.
    let template = String::from_utf8(webhook_fixture("webhook-template-status-update.json"))
        .unwrap()
        .replace(WABA, SECOND_WABA)
        .replace("1938475610293847", "2938475610293847");
    assert_eq!(gateway.post_webhook(template.as_bytes(), None).await.status(), 200);
    let inbound = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{SECOND_WABA}","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557770002","phone_number_id":"{SECOND_PHONE}"}},"contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"{CONTACT}"}}],"messages":[{{"from":"{CONTACT}","id":"wamid.second-1","timestamp":"1784020325","type":"text","text":{{"body":"hi"}}}}]}},"field":"messages"}}]}}]}}"#
    );
    assert_eq!(gateway.post_webhook(inbound.as_bytes(), None).await.status(), 200);

    let mut all = Vec::new();
    for _ in 0..4 {
        let event = next(&mut everything).await;
        all.push((event.waba_id, event.phone_number_id));
    }
    let expected = [(WABA, ""), (WABA, ""), (SECOND_WABA, ""), (SECOND_WABA, SECOND_PHONE)];
    assert_eq!(all, expected.map(|(w, p)| (w.to_owned(), p.to_owned())), "a key with every number sees all");

    // The restricted key: the first events it gets are its own account's.
    let template = next(&mut restricted).await;
    assert!(matches!(template.kind, Some(Kind::TemplateStatus(_))), "{template:?}");
    assert_eq!(template.waba_id, SECOND_WABA, "another account's template update leaked: {template:?}");
    let message = next(&mut restricted).await;
    assert_eq!((message.waba_id.as_str(), message.phone_number_id.as_str()), (SECOND_WABA, SECOND_PHONE));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), restricted.next()).await.is_err(),
        "nothing more for the restricted key"
    );
}

async fn a_consumer_group_refuses_a_subscriber_with_another_filter(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let group = |kinds: &[pb::EventKind]| pb::SubscribeEventsRequest {
        consumer_group: "billing".into(),
        kinds: kinds.iter().map(|k| (*k).into()).collect(),
        ..oldest()
    };
    let mut client = gateway.events().await;
    let _statuses = client.subscribe_events(group(&[pb::EventKind::Status])).await.unwrap();

    let status = client.subscribe_events(group(&[pb::EventKind::Message])).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(error_info(&status).reason, "CONSUMER_GROUP_FILTER_MISMATCH");
    assert!(status.message().contains("\"billing\"") && status.message().contains("same filter"), "{status:?}");

    // The same filter joins; the same name under another key is another group.
    let _joined = client.subscribe_events(group(&[pb::EventKind::Status])).await.unwrap();
    let mut other_key = EventServiceClient::with_interceptor(gateway.channel().await, bearer(SECOND_ACCOUNT_KEY));
    let _other = other_key.subscribe_events(group(&[pb::EventKind::Message])).await.unwrap();
}

async fn an_ack_with_a_bad_cursor_names_it(backend: Backend) {
    let gateway = TestGateway::on(backend).await;
    let stored = gateway.bus.publish(vec![bulk_event(0)]).await.unwrap();
    let ack = pb::AckEventsRequest {
        consumer_group: "billing".into(),
        cursors: vec![stored[0].cursor.clone(), "nope".into()],
    };
    let status = gateway.events().await.ack_events(ack).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["cursors[1]"]);
    assert!(status.message().contains("cursors[1]") && !status.message().contains("after_cursor"), "{status:?}");
}

#[tokio::test]
async fn consumer_group_and_consumer_names_are_checked() {
    let gateway = TestGateway::spawn().await;
    let mut client = gateway.events().await;
    let request = |group: &str, name: &str| pb::SubscribeEventsRequest {
        consumer_group: group.into(),
        consumer_name: name.into(),
        ..oldest()
    };
    for (group, name, field) in [
        ("billing team", "", "consumer_group"),
        ("billing/eu", "", "consumer_group"),
        (&"g".repeat(129), "", "consumer_group"),
        ("billing", "worker#1", "consumer_name"),
        ("billing", &"w".repeat(129), "consumer_name"),
        ("billing", "wörker", "consumer_name"),
    ] {
        let status = client.subscribe_events(request(group, name)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{group:?} {name:?}");
        assert_eq!(violated_fields(&status), [field], "{group:?} {name:?}");
    }
    let ack = pb::AckEventsRequest { consumer_group: "a b".into(), cursors: vec![] };
    assert_eq!(violated_fields(&client.ack_events(ack).await.unwrap_err()), ["consumer_group"]);

    // Every allowed character, at the longest length.
    let longest = format!("{}Az09._:-", "x".repeat(120));
    client.subscribe_events(request(&longest, &longest)).await.expect("a valid group and name");
    let ack = pb::AckEventsRequest { consumer_group: longest, cursors: vec![] };
    assert_eq!(client.ack_events(ack).await.unwrap().into_inner().acknowledged, 0);
}

#[tokio::test]
async fn a_cursor_from_a_previous_run_of_the_in_memory_log_is_refused() {
    let before = TestGateway::spawn().await;
    let old = before.bus.publish(vec![bulk_event(0)]).await.unwrap().remove(0).cursor;
    drop(before);

    // A restarted gateway has more events than the old cursor's number.
    let after = TestGateway::spawn().await;
    after.bus.publish((1..5).map(bulk_event).collect()).await.unwrap();
    let mut client = after.events().await;
    let status = client.subscribe_events(subscribe(Start::AfterCursor(old.clone()))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(violated_fields(&status), ["after_cursor"]);
    assert!(status.message().contains("previous run of the in-memory log"), "{status:?}");

    // Its own cursors, the oldest and the newest still work.
    let mut oldest = client.subscribe_events(oldest()).await.unwrap().into_inner();
    let first = next(&mut oldest).await;
    assert_eq!(bulk_index(&first), 1);
    let mut resumed = client.subscribe_events(subscribe(Start::AfterCursor(first.cursor))).await.unwrap().into_inner();
    assert_eq!(bulk_index(&next(&mut resumed).await), 2);
}

crate::on_both_backends!(
    a_key_sees_only_the_account_level_events_of_its_own_accounts,
    a_consumer_group_refuses_a_subscriber_with_another_filter,
    an_ack_with_a_bad_cursor_names_it,
    a_send_yields_sent_delivered_and_read_events_in_order,
    a_subscriber_cut_off_while_1000_events_arrive_resumes_from_its_cursor,
    a_consumer_group_shares_events_and_redelivers_the_unacknowledged,
    filters_select_kinds_and_contacts,
    an_unknown_cursor_is_invalid,
    a_slow_live_subscriber_is_cut_off_with_its_cursor_and_resumes,
    the_window_opens_with_an_inbound_message_and_guards_free_form_sends,
    a_number_meta_knows_by_another_id_finds_its_window,
);

#[tokio::test]
async fn at_shutdown_an_open_stream_ends_with_unavailable_not_ok() {
    let gateway = TestGateway::spawn().await;
    let mut events = gateway.events().await;
    let mut stream = events.subscribe_events(oldest()).await.unwrap().into_inner();
    gateway.start_shutdown();
    let ended = tokio::time::timeout(WAIT, stream.next()).await.expect("the stream outlived the shutdown");
    let status = ended.expect("the stream ended without a status").expect_err("an event instead of the end");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("shutting down"), "{status:?}");
}
