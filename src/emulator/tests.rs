//! End-to-end tests: the emulator bound on 127.0.0.1:0, driven over HTTP with
//! reqwest, its webhooks received by a small axum sink on another port. Tests
//! wait on channels with timeouts, never on sleeps.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use bytes::Bytes;
use http::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::{
    sync::mpsc,
    task::JoinHandle,
    time::{Instant, timeout},
};
use tokio_util::sync::CancellationToken;

use super::*;

const WAIT: Duration = Duration::from_secs(5);
const TOKEN: &str = "test-token";
const SECRET: &str = "test-secret";
const PN: &str = "113502948871204";
const WABA: &str = "109348720013455";
const CONTACT: &str = "14155550123";

/// One webhook POST as received.
#[derive(Debug)]
struct Hook {
    signature: String,
    body: Bytes,
    json: Value,
}

/// A webhook receiver that answers with queued statuses (200 when empty).
struct Sink {
    url: String,
    rx: mpsc::UnboundedReceiver<Hook>,
    answers: Arc<Mutex<VecDeque<StatusCode>>>,
}

#[derive(Clone)]
struct SinkState {
    tx: mpsc::UnboundedSender<Hook>,
    answers: Arc<Mutex<VecDeque<StatusCode>>>,
}

async fn receive(State(state): State<SinkState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = state.tx.send(Hook { signature, body, json });
    state.answers.lock().expect("lock").pop_front().unwrap_or(StatusCode::OK)
}

impl Sink {
    async fn bind() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::unbounded_channel();
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let app = Router::new().route("/webhook", post(receive)).with_state(SinkState { tx, answers: answers.clone() });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sink { url, rx, answers }
    }

    /// The next webhook, checked for a valid signature over the raw bytes.
    async fn next(&mut self) -> Hook {
        let hook = timeout(WAIT, self.rx.recv()).await.expect("webhook in time").expect("sink open");
        assert_eq!(hook.signature, signature(SECRET, &hook.body), "signature over the exact body");
        assert!(hook.body.is_ascii(), "webhook bodies escape non-ASCII");
        hook
    }

    /// Statuses from successive webhooks until `n` have arrived.
    async fn statuses(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            let hook = self.next().await;
            for entry in hook.json["entry"].as_array().into_iter().flatten() {
                assert_eq!(entry["id"], WABA);
                for change in entry["changes"].as_array().into_iter().flatten() {
                    assert_eq!(change["field"], "messages");
                    assert_eq!(
                        change["value"]["metadata"],
                        json!({"display_phone_number":"15557771234","phone_number_id":PN})
                    );
                    out.extend(change["value"]["statuses"].as_array().into_iter().flatten().cloned());
                }
            }
        }
        out
    }

    /// The single change of the next webhook.
    async fn change(&mut self) -> (Value, Value) {
        let hook = self.next().await;
        let entry = &hook.json["entry"][0];
        (entry.clone(), entry["changes"][0].clone())
    }
}

struct Harness {
    base: String,
    handle: EmulatorHandle,
    http: reqwest::Client,
    sink: Sink,
    shutdown: CancellationToken,
    served: JoinHandle<std::io::Result<()>>,
}

async fn start(configure: impl FnOnce(&mut EmulatorConfig)) -> Harness {
    let sink = Sink::bind().await;
    let mut config = EmulatorConfig {
        access_token: TOKEN.into(),
        app_secret: SECRET.into(),
        webhook_url: Some(sink.url.clone()),
        status_interval: Duration::from_millis(10),
        template_review_delay: Duration::from_millis(20),
        webhook_retry_initial_backoff: Duration::from_millis(10),
        ..EmulatorConfig::default()
    };
    configure(&mut config);
    let emulator = Emulator::bind(([127, 0, 0, 1], 0).into(), config).await.expect("bind emulator");
    let base = format!("http://{}", emulator.local_addr());
    let handle = emulator.handle();
    let shutdown = CancellationToken::new();
    let served = tokio::spawn(emulator.run(shutdown.clone()));
    Harness { base, handle, http: reqwest::Client::new(), sink, shutdown, served }
}

impl Harness {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn send(&self, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, &format!("/v25.0/{PN}/messages"), Some(body)).await
    }

    async fn stop(self) {
        self.shutdown.cancel();
        timeout(WAIT, self.served).await.expect("stops in time").expect("join").expect("served");
    }
}

fn text_to(to: &str, body: &str) -> Value {
    json!({"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text","text":{"body":body}})
}

fn error_code(v: &Value) -> (Option<i64>, Option<i64>) {
    (v["error"]["code"].as_i64(), v["error"]["error_subcode"].as_i64())
}

#[tokio::test]
async fn a_text_send_gets_a_wamid_then_signed_sent_delivered_read() {
    let mut h = start(|_| {}).await;
    h.handle.open_window(PN, CONTACT);
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
    assert_eq!(sent, vec![SentMessage { phone_number_id: PN.into(), message_id: wamid, body }]);
    h.stop().await;
}

#[tokio::test]
async fn contacts_without_read_receipts_get_no_read() {
    let mut h = start(|_| {}).await;
    let other = "447700900123";
    h.handle.open_window(PN, CONTACT);
    h.handle.open_window(PN, other);
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
async fn tokens_are_required_on_graph_paths_only() {
    let h = start(|_| {}).await;
    let url = format!("{}/v25.0/{PN}/messages", h.base);
    let response = h.http.post(&url).bearer_auth("wrong").json(&text_to(CONTACT, "x")).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let v: Value = response.json().await.expect("json");
    assert_eq!(error_code(&v), (Some(190), None));
    assert_eq!(v["error"]["type"], "OAuthException");
    assert!(v["error"]["fbtrace_id"].is_string());

    let response = h.http.get(format!("{}/{PN}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // ?access_token= works too, and so does the unversioned path.
    let response = h.http.get(format!("{}/{PN}?access_token={TOKEN}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates"), None).await;
    assert_eq!(status, StatusCode::OK);

    let response = h.http.get(format!("{}/_admin/sent", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    h.stop().await;
}

#[tokio::test]
async fn unknown_objects_paths_and_methods_get_graph_errors() {
    let h = start(|_| {}).await;
    let (status, v) = h.call(reqwest::Method::POST, "/v25.0/999/messages", Some(text_to(CONTACT, "x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), (Some(100), Some(33)));
    assert_eq!(v["error"]["type"], "GraphMethodException");

    let (status, v) = h.call(reqwest::Method::GET, "/v25.0/1284751093365999", None).await;
    assert_eq!((status, error_code(&v)), (StatusCode::BAD_REQUEST, (Some(100), Some(33))));

    let (status, v) = h.call(reqwest::Method::GET, &format!("/v25.0/{PN}/nothing/here"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(v["error"]["message"].is_string());

    let (status, v) = h.call(reqwest::Method::GET, &format!("/v25.0/{PN}/messages"), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"]["message"], "Unsupported get request.");

    let (status, v) = h.call(reqwest::Method::POST, &format!("/{PN}/messages"), Some(json!({"to":CONTACT}))).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    let response = h
        .http
        .post(format!("{}/{PN}/messages", h.base))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let v: Value = response.json().await.expect("envelope");
    assert_eq!(error_code(&v).0, Some(100));
    h.stop().await;
}

#[tokio::test]
async fn injected_faults_fail_the_next_matching_calls() {
    let h = start(|_| {}).await;
    h.handle.open_window(PN, CONTACT);
    h.handle.inject_fault(Fault {
        count: 2,
        kind: FaultKind::GraphError {
            http_status: 500,
            code: 131000,
            subcode: None,
            message: "(#131000) Something went wrong".into(),
            details: "injected".into(),
        },
        path_contains: Some("/messages".into()),
    });
    // A call on another path is not affected.
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{PN}"), None).await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..2 {
        let (status, v) = h.send(text_to(CONTACT, "x")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["error"]["code"], 131000);
        assert_eq!(v["error"]["message"], "(#131000) Something went wrong");
        assert_eq!(v["error"]["error_data"]["details"], "injected");
    }
    let (status, _) = h.send(text_to(CONTACT, "x")).await;
    assert_eq!(status, StatusCode::OK);

    // Faults come after auth.
    h.handle.inject_fault(Fault {
        count: 1,
        kind: FaultKind::RawStatus { http_status: 502, body: "<html>bad gateway</html>".into() },
        path_contains: None,
    });
    let response = h.http.get(format!("{}/{PN}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = h.call(reqwest::Method::GET, &format!("/{PN}"), None).await;
    assert_eq!((status, body), (StatusCode::BAD_GATEWAY, json!("<html>bad gateway</html>")));

    // Over HTTP, with latency.
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            "/_admin/faults",
            Some(json!({"kind":"latency","latency_ms":50,"path_contains":"/messages"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    let (status, _) = h.send(text_to(CONTACT, "slow")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
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
    h.handle.open_window(PN, CONTACT);
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
async fn templates_are_reviewed_with_webhooks_and_sent_with_checks() {
    let mut h = start(|_| {}).await;
    let create = json!({"name":"order_shipped","language":"en_US","category":"utility","components":[
        {"type":"body","text":"Hi {{1}}, order {{2}} shipped.","example":{"body_text":[["Ana","8F3K2"]]}},
        {"type":"buttons","buttons":[{"type":"quick_reply","text":"Stop"}]}]});
    let path = format!("/v25.0/{WABA}/message_templates");
    let (status, created) = h.call(reqwest::Method::POST, &path, Some(create.clone())).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!((created["status"].as_str(), created["category"].as_str()), (Some("PENDING"), Some("UTILITY")));
    let id = created["id"].as_str().expect("id").to_owned();

    let (status, v) = h.call(reqwest::Method::POST, &path, Some(create)).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // Entering review posts PENDING, then the review posts its verdict.
    let (_, change) = h.sink.change().await;
    assert_eq!(
        (change["field"].as_str(), change["value"]["event"].as_str()),
        (Some("message_template_status_update"), Some("PENDING"))
    );
    let (entry, change) = h.sink.change().await;
    assert!(entry["time"].is_i64());
    assert_eq!(change["field"], "message_template_status_update");
    assert_eq!(change["value"]["event"], "APPROVED");
    assert_eq!(change["value"]["reason"], "NONE");
    assert_eq!(change["value"]["message_template_id"].as_u64().map(|n| n.to_string()), Some(id.clone()));
    assert_eq!(change["value"]["message_template_name"], "order_shipped");
    assert_eq!(change["value"]["message_template_category"], "UTILITY");
    let (_, got) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!(
        (got["status"].as_str(), got["components"][1]["buttons"][0]["type"].as_str()),
        (Some("APPROVED"), Some("QUICK_REPLY"))
    );

    // Sends: wrong count, unknown language, then a good one (outside any window).
    let send = |params: Vec<&str>, lang: &str| {
        let params: Vec<Value> = params.into_iter().map(|p| json!({"type":"text","text":p})).collect();
        json!({"messaging_product":"whatsapp","to":CONTACT,"type":"template","template":{"name":"order_shipped",
            "language":{"code":lang},"components":[{"type":"body","parameters":params}]}})
    };
    let (status, v) = h.send(send(vec!["Ana"], "en_US")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(132000)));
    let (status, v) = h.send(send(vec!["Ana", "8F3K2"], "pt_BR")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(132001)));
    let (status, v) = h.send(send(vec!["Ana", "8F3K2"], "en_US")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["messages"][0]["message_status"], "accepted");
    let statuses = h.sink.statuses(3).await;
    assert_eq!(statuses[0]["status"], "sent");
    assert_eq!(
        statuses[0]["pricing"],
        json!({"pricing_model":"PMP","type":"regular","category":"utility","billable":true})
    );

    // A reject_ name is REJECTED with INVALID_FORMAT.
    let reject = json!({"name":"reject_me","language":"en","category":"MARKETING","components":[{"type":"BODY","text":"Sale!"}]});
    let (status, _) = h.call(reqwest::Method::POST, &path, Some(reject)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "PENDING");
    let (_, change) = h.sink.change().await;
    assert_eq!(
        (change["value"]["event"].as_str(), change["value"]["reason"].as_str()),
        (Some("REJECTED"), Some("INVALID_FORMAT"))
    );
    assert!(change["value"]["rejection_info"]["reason"].is_string());

    // Edits go back to PENDING, then APPROVED; a second edit within 24 h is refused.
    let edit = json!({"components":[{"type":"BODY","text":"Hello {{1}}, order {{2}} is on its way.",
        "example":{"body_text":[["Ana","8F3K2"]]}}]});
    let (status, v) = h.call(reqwest::Method::POST, &format!("/v25.0/{id}"), Some(edit.clone())).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "PENDING");
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "APPROVED");
    let (_, got) = h.call(reqwest::Method::GET, &format!("/{id}?fields=status"), None).await;
    assert_eq!(got, json!({"status":"APPROVED","id":id}));
    let (status, v) = h.call(reqwest::Method::POST, &format!("/{id}"), Some(edit)).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // Admin changes post their webhooks.
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            &format!("/_admin/templates/{id}/category"),
            Some(json!({"new_category":"MARKETING"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["field"], "template_category_update");
    assert_eq!(
        (change["value"]["previous_category"].as_str(), change["value"]["new_category"].as_str()),
        (Some("UTILITY"), Some("MARKETING"))
    );
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            &format!("/_admin/templates/{id}/quality"),
            Some(json!({"new_quality_score":"YELLOW"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["field"], "message_template_quality_update");
    assert_eq!(change["value"]["new_quality_score"], "YELLOW");

    // Delete by name.
    let (status, v) = h.call(reqwest::Method::DELETE, &format!("{path}?name=order_shipped"), None).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    h.stop().await;
}

#[tokio::test]
async fn template_lists_page_with_cursors_and_filter() {
    let h = start(|_| {}).await;
    for name in ["alpha", "beta", "gamma"] {
        h.handle
            .add_template(name, "en_US", "UTILITY", json!([{"type":"BODY","text":format!("{name} {{{{1}}}}")}]))
            .expect("seed");
    }
    let path = format!("/v25.0/{WABA}/message_templates?limit=2&fields=name,status&summary=total_count");
    let (status, page) = h.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["data"],
        json!([{"name":"alpha","status":"APPROVED","id":page["data"][0]["id"]},
        {"name":"beta","status":"APPROVED","id":page["data"][1]["id"]}])
    );
    assert_eq!(page["summary"], json!({"total_count": 3}));
    assert!(page["paging"].get("previous").is_none());
    let next = page["paging"]["next"].as_str().expect("next").to_owned();
    assert!(next.starts_with(&format!("{}/v25.0/{WABA}/message_templates?", h.base)), "{next}");

    let response = h.http.get(&next).bearer_auth(TOKEN).send().await.expect("next page");
    let page: Value = response.json().await.expect("json");
    assert_eq!(page["data"][0]["name"], "gamma");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
    assert!(page["paging"].get("next").is_none());
    assert!(page["paging"]["previous"].is_string());

    let (_, filtered) =
        h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates?name=ET&status=approved"), None).await;
    assert_eq!(filtered["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(filtered["data"][0]["name"], "beta");
    h.stop().await;
}

#[tokio::test]
async fn media_upload_lookup_download_and_delete() {
    let h = start(|_| {}).await;
    let upload = |mime: &'static str, bytes: Vec<u8>| {
        Form::new()
            .text("messaging_product", "whatsapp")
            .part("file", Part::bytes(bytes).file_name("photo").mime_str(mime).expect("mime"))
    };
    let url = format!("{}/v25.0/{PN}/media", h.base);
    let response =
        h.http.post(&url).bearer_auth(TOKEN).multipart(upload("image/jpeg", b"\xff\xd8jpeg".to_vec())).send().await;
    let uploaded: Value = response.expect("upload").json().await.expect("json");
    let id = uploaded["id"].as_str().expect("id").to_owned();

    let response = h.http.post(&url).bearer_auth(TOKEN).multipart(upload("text/html", b"<html>".to_vec())).send().await;
    let response = response.expect("upload");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let v: Value = response.json().await.expect("json");
    assert_eq!(v["error"]["code"], 131053);

    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let response = h.http.post(&url).bearer_auth(TOKEN).multipart(upload("image/png", big)).send().await;
    let v: Value = response.expect("upload").json().await.expect("json");
    assert_eq!(v["error"]["code"], 131053);

    let (status, info) = h.call(reqwest::Method::GET, &format!("/v25.0/{id}?phone_number_id={PN}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["mime_type"], "image/jpeg");
    assert_eq!(info["file_size"], 6);
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["sha256"].as_str().map(str::len), Some(64));
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{id}?phone_number_id=1"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let media_url = info["url"].as_str().expect("url");
    assert!(media_url.starts_with(&format!("{}/_media/{id}?", h.base)) && !media_url.contains(TOKEN));
    let response = h.http.get(media_url).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = h.http.get(media_url).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/jpeg"));
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"\xff\xd8jpeg");
    let forged = media_url.replace("hash=", "hash=0");
    let response = h.http.get(forged).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Sending: an uploaded id works, an unknown id does not.
    h.handle.open_window(PN, CONTACT);
    let image =
        |id: &str| json!({"messaging_product":"whatsapp","to":CONTACT,"type":"image","image":{"id":id,"caption":"c"}});
    assert_eq!(h.send(image(&id)).await.0, StatusCode::OK);
    let (status, v) = h.send(image("42")).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    let (status, v) = h.call(reqwest::Method::DELETE, &format!("/v25.0/{id}"), None).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (status, v) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!((status, error_code(&v)), (StatusCode::BAD_REQUEST, (Some(100), Some(33))));
    h.stop().await;
}

#[tokio::test]
async fn admin_inbound_media_is_downloadable_and_sent_is_listed() {
    let mut h = start(|_| {}).await;
    let (status, v) = h
        .call(
            reqwest::Method::POST,
            "/_admin/inbound",
            Some(json!({"from":CONTACT,"message":{"type":"image","image":{"caption":"the stain"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let wamid = v["message_id"].as_str().expect("wamid").to_owned();
    let (_, change) = h.sink.change().await;
    let image = &change["value"]["messages"][0]["image"];
    assert_eq!(change["value"]["messages"][0]["id"], wamid.as_str());
    assert_eq!(image["caption"], "the stain");
    assert_eq!(image["mime_type"], "image/jpeg");
    let media_id = image["id"].as_str().expect("media id");
    let (_, info) = h.call(reqwest::Method::GET, &format!("/{media_id}"), None).await;
    let response = h.http.get(info["url"].as_str().expect("url")).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::OK);

    let (status, v) =
        h.call(reqwest::Method::POST, "/_admin/inbound", Some(json!({"from":"abc","message":{"type":"text"}}))).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // The window is open now, and read receipts can be turned off over HTTP.
    let (status, _) = h
        .call(reqwest::Method::POST, &format!("/_admin/contacts/{CONTACT}"), Some(json!({"read_receipts":false})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.send(text_to(CONTACT, "got it")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = h.call(reqwest::Method::GET, "/_admin/sent", None).await;
    assert_eq!(listed["data"][0]["body"]["text"]["body"], "got it");
    let (status, _) = h.call(reqwest::Method::DELETE, "/_admin/sent", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.handle.sent().is_empty());
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

#[tokio::test]
async fn reset_clears_everything() {
    let h = start(|_| {}).await;
    h.handle.open_window(PN, CONTACT);
    assert_eq!(h.send(text_to(CONTACT, "x")).await.0, StatusCode::OK);
    h.handle.add_template("seeded", "en", "MARKETING", json!([{"type":"BODY","text":"Hi"}])).expect("seed");
    let (status, _) = h.call(reqwest::Method::POST, "/_admin/reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.handle.sent().is_empty());
    let (_, list) = h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates"), None).await;
    assert_eq!(list, json!({"data": []}));
    h.stop().await;
}
