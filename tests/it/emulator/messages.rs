//! Sends and their webhooks: statuses with pricing, read receipts, the 24 h
//! window (131047) and inbound messages, throughput (130429), mark-read, and
//! webhook retries in order.

use http::StatusCode;
use serde_json::{Value, json};
use wagate::emulator::{InboundSpec, SentMessage};

use super::harness::{error_code, start, text_to};
use crate::support::{CONTACT, PHONE};

#[tokio::test]
async fn a_text_send_gets_a_wamid_then_signed_sent_delivered_read() {
    let mut h = start(|_| {}).await;
    h.handle.open_window(PHONE, CONTACT);
    let mut body = text_to("+1 (415) 555-0123", "Olá 👋");
    body["biz_opaque_callback_data"] = json!("order=8F3K2");
    let (status, answer) = h.send(body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(answer["contacts"], json!([{"input":"+1 (415) 555-0123","wa_id":CONTACT}]));
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid").to_owned();
    assert!(wamid.starts_with("wamid."));
    assert!(answer["messages"][0].get("message_status").is_none());

    let statuses = h.sink.statuses(3).await;
    let names: Vec<_> = statuses.iter().map(|s| s["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, ["sent", "delivered", "read"]);
    for s in &statuses {
        assert_eq!((s["id"].as_str(), s["recipient_id"].as_str()), (Some(wamid.as_str()), Some(CONTACT)));
        assert_eq!(s["biz_opaque_callback_data"], "order=8F3K2");
        assert!(s["timestamp"].is_string());
        assert!(s.get("conversation").is_none());
    }
    assert_eq!(statuses[0]["pricing"]["type"], "free_customer_service");
    assert_eq!(statuses[1]["pricing"]["pricing_model"], "PMP");
    assert!(statuses[2].get("pricing").is_none());

    let sent = h.handle.sent();
    assert_eq!(sent, vec![SentMessage { phone_number_id: PHONE.into(), message_id: wamid, body }]);
    h.stop().await;
}

#[tokio::test]
async fn contacts_without_read_receipts_get_no_read() {
    let mut h = start(|_| {}).await;
    let other = "447700900123";
    h.handle.open_window(PHONE, CONTACT);
    h.handle.open_window(PHONE, other);
    h.handle.set_read_receipts(CONTACT, false);
    let (_, first) = h.send(text_to(CONTACT, "a")).await;
    let (_, second) = h.send(text_to(other, "b")).await;
    // Statuses leave in due order, so the first message's `read` would
    // arrive before the second's.
    let mut seen = Vec::new();
    while !seen.iter().any(|s: &Value| s["id"] == second["messages"][0]["id"] && s["status"] == "read") {
        seen.extend(h.sink.statuses(1).await);
    }
    let first_id = &first["messages"][0]["id"];
    let first_statuses: Vec<_> = seen.iter().filter(|s| &s["id"] == first_id).map(|s| s["status"].clone()).collect();
    assert_eq!(first_statuses, [json!("sent"), json!("delivered")]);
    h.stop().await;
}

#[tokio::test]
async fn a_closed_window_fails_free_form_with_131047_and_inbound_opens_it() {
    let mut h = start(|_| {}).await;
    let (status, answer) = h.send(text_to(CONTACT, "hello?")).await;
    assert_eq!(status, StatusCode::OK);
    let statuses = h.sink.statuses(1).await;
    assert_eq!(statuses.len(), 1);
    let failed = &statuses[0];
    assert_eq!(failed["id"], answer["messages"][0]["id"]);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], 131047);
    assert_eq!(failed["errors"][0]["title"], "Re-engagement message");
    assert_eq!(failed["errors"][0]["message"], "Re-engagement message");
    assert!(failed["errors"][0]["error_data"]["details"].is_string());
    assert!(failed["errors"][0]["href"].is_string());

    let inbound = InboundSpec {
        phone_number_id: None,
        from: CONTACT.into(),
        profile_name: Some("Zoë".into()),
        message: json!({"type":"text","text":{"body":"café ☕"}}),
    };
    let wamid = h.handle.inject_inbound(inbound).await.expect("inbound");
    let hook = h.sink.next().await;
    let raw = String::from_utf8(hook.body.to_vec()).expect("utf8");
    assert!(raw.contains(r"caf\u00e9 \u2615") && raw.contains(r"Zo\u00eb"), "{raw}");
    let value = &hook.json["entry"][0]["changes"][0]["value"];
    assert!(hook.json["entry"][0].get("time").is_none());
    assert_eq!(value["contacts"], json!([{"profile":{"name":"Zoë"},"wa_id":CONTACT}]));
    assert_eq!(value["messages"][0]["id"], wamid);
    assert_eq!(value["messages"][0]["from"], CONTACT);
    assert_eq!(value["messages"][0]["text"]["body"], "café ☕");
    assert!(value["messages"][0]["timestamp"].is_string());

    let (status, _) = h.send(text_to(CONTACT, "hi again")).await;
    assert_eq!(status, StatusCode::OK);
    let statuses = h.sink.statuses(1).await;
    assert_eq!(statuses[0]["status"], "sent");

    // Mark-read needs an inbound wamid; it is logged with an empty message id.
    let read =
        json!({"messaging_product":"whatsapp","status":"read","message_id":wamid,"typing_indicator":{"type":"text"}});
    let (status, v) = h.send(read.clone()).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (status, v) = h.send(json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.nope"})).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));
    let last = h.handle.sent().pop().expect("logged");
    assert_eq!((last.message_id.as_str(), last.body), ("", read));
    h.stop().await;
}

#[tokio::test]
async fn throughput_beyond_the_limit_is_130429() {
    let h = start(|c| c.throughput_per_second = 2).await;
    h.handle.open_window(PHONE, CONTACT);
    assert_eq!(h.send(text_to(CONTACT, "1")).await.0, StatusCode::OK);
    assert_eq!(h.send(text_to(CONTACT, "2")).await.0, StatusCode::OK);
    let (status, v) = h.send(text_to(CONTACT, "3")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], 130429);
    assert_eq!(v["error"]["message"], "(#130429) Rate limit hit");
    assert_eq!(h.handle.sent().len(), 2);
    h.stop().await;
}

#[tokio::test]
async fn failed_webhooks_are_retried_in_order() {
    let mut h = start(|_| {}).await;
    h.sink.answers.lock().expect("lock").extend([StatusCode::INTERNAL_SERVER_ERROR, StatusCode::SERVICE_UNAVAILABLE]);
    let wamid = h
        .handle
        .inject_inbound(InboundSpec {
            phone_number_id: None,
            from: CONTACT.into(),
            profile_name: None,
            message: json!({"type":"text","text":{"body":"retry me"}}),
        })
        .await
        .expect("inbound");
    let first = h.sink.next().await;
    let second = h.sink.next().await;
    let third = h.sink.next().await;
    assert_eq!(first.body, second.body);
    assert_eq!(second.body, third.body);
    assert_eq!(third.json["entry"][0]["changes"][0]["value"]["messages"][0]["id"], wamid.as_str());

    // Statuses queued behind a failing POST keep their order.
    h.sink.answers.lock().expect("lock").push_back(StatusCode::INTERNAL_SERVER_ERROR);
    let (_, answer) = h.send(text_to(CONTACT, "ordered")).await;
    let mut order = Vec::new();
    while order.len() < 3 {
        for s in h.sink.statuses(1).await {
            if s["id"] == answer["messages"][0]["id"] && !order.contains(&s["status"]) {
                order.push(s["status"].clone());
            }
        }
    }
    assert_eq!(order, [json!("sent"), json!("delivered"), json!("read")]);
    h.stop().await;
}
