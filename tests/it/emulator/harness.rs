//! An emulator on 127.0.0.1:0 whose signed webhooks go to a small axum sink
//! on another port; the sink checks every signature over the raw body.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};
use tokio::{sync::mpsc, task::JoinHandle, time::timeout};
use tokio_util::sync::CancellationToken;
use wagate::emulator::{Emulator, EmulatorConfig, EmulatorHandle, signature};

use crate::support::PHONE;

/// The bound of every wait.
pub const WAIT: Duration = Duration::from_secs(5);
/// The access token the emulator accepts.
pub const TOKEN: &str = "test-token";
/// The app secret that signs its webhooks.
pub const SECRET: &str = "test-secret";
/// The emulated WhatsApp Business Account id (the default).
pub const WABA: &str = "109348720013455";

/// One webhook POST as received.
#[derive(Debug)]
pub struct Hook {
    /// The `X-Hub-Signature-256` header.
    pub signature: String,
    /// The raw body, as signed.
    pub body: Bytes,
    /// The body parsed (null when it is not JSON).
    pub json: Value,
}

/// A webhook receiver that answers with queued statuses (200 when empty).
pub struct Sink {
    /// Where the emulator posts.
    pub url: String,
    rx: mpsc::UnboundedReceiver<Hook>,
    /// Statuses to answer the next POSTs with, in order.
    pub answers: Arc<Mutex<VecDeque<StatusCode>>>,
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
    /// Binds the sink on 127.0.0.1:0 and serves it.
    pub async fn bind() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::unbounded_channel();
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let app = Router::new().route("/webhook", post(receive)).with_state(SinkState { tx, answers: answers.clone() });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sink { url, rx, answers }
    }

    /// The next webhook, checked for a valid signature over the raw bytes.
    pub async fn next(&mut self) -> Hook {
        let hook = timeout(WAIT, self.rx.recv()).await.expect("webhook in time").expect("sink open");
        assert_eq!(hook.signature, signature(SECRET, &hook.body), "signature over the exact body");
        assert!(hook.body.is_ascii(), "webhook bodies escape non-ASCII");
        hook
    }

    /// Statuses from successive webhooks until `n` have arrived.
    pub async fn statuses(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            let hook = self.next().await;
            for entry in hook.json["entry"].as_array().into_iter().flatten() {
                assert_eq!(entry["id"], WABA);
                for change in entry["changes"].as_array().into_iter().flatten() {
                    assert_eq!(change["field"], "messages");
                    assert_eq!(
                        change["value"]["metadata"],
                        json!({"display_phone_number":"15557771234","phone_number_id":PHONE})
                    );
                    out.extend(change["value"]["statuses"].as_array().into_iter().flatten().cloned());
                }
            }
        }
        out
    }

    /// The single change of the next webhook.
    pub async fn change(&mut self) -> (Value, Value) {
        let hook = self.next().await;
        let entry = &hook.json["entry"][0];
        (entry.clone(), entry["changes"][0].clone())
    }
}

/// A running emulator, its address, its handle and its webhook sink.
pub struct Harness {
    pub base: String,
    pub handle: EmulatorHandle,
    pub http: reqwest::Client,
    pub sink: Sink,
    shutdown: CancellationToken,
    served: JoinHandle<std::io::Result<()>>,
}

/// Starts an emulator posting its webhooks to a fresh sink, with short
/// delays; `configure` adjusts the configuration first.
pub async fn start(configure: impl FnOnce(&mut EmulatorConfig)) -> Harness {
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
    /// Calls the emulator with the token; the body is JSON when it parses.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// `POST /v25.0/{PHONE}/messages`.
    pub async fn send(&self, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, &format!("/v25.0/{PHONE}/messages"), Some(body)).await
    }

    /// Cancels the emulator and waits for it to stop.
    pub async fn stop(self) {
        self.shutdown.cancel();
        timeout(WAIT, self.served).await.expect("stops in time").expect("join").expect("served");
    }
}

/// A text message body.
pub fn text_to(to: &str, body: &str) -> Value {
    json!({"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text","text":{"body":body}})
}

/// `error.code` and `error.error_subcode` of an envelope.
pub fn error_code(v: &Value) -> (Option<i64>, Option<i64>) {
    (v["error"]["code"].as_i64(), v["error"]["error_subcode"].as_i64())
}
