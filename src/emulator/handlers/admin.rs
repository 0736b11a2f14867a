//! The admin API, under the reserved prefix `/_admin` (no Graph token).
//!
//! It drives the emulator from outside the process, the way
//! [`crate::emulator::EmulatorHandle`] does from inside. Bodies are JSON; errors use
//! the Graph envelope. Routes:
//!
//! - `GET /_admin/sent` → `{"data":[{"phone_number_id","message_id","body"}]}`:
//!   every accepted `/messages` body, oldest first (`message_id` is empty for
//!   mark-read).
//! - `DELETE /_admin/sent` → `{"success":true}`: forget them.
//! - `POST /_admin/faults` `{"count"?:1,"path_contains"?:"/messages","kind":…}`
//!   where `kind` is `"graph_error"` (+ `http_status`?:400, `code`, `subcode`?,
//!   `message`?, `details`?), `"raw_status"` (+ `http_status`, `body`?) or
//!   `"latency"` (+ `latency_ms`): the next `count` matching Graph calls fail.
//!   `DELETE /_admin/faults` removes every queued fault.
//! - `POST /_admin/inbound` `{"phone_number_id"?,"from","profile_name"?,
//!   "message":{"type":"text","text":{"body":"hi"}}}` → `{"message_id":"wamid…"}`:
//!   opens the 24 h window and posts the signed messages webhook; inbound
//!   media without an `id` gets a downloadable one.
//! - `POST /_admin/contacts/{wa_id}` `{"read_receipts":false}`: turn `read`
//!   statuses off (or on) for a contact.
//! - `POST /_admin/windows` `{"phone_number_id"?,"wa_id","open"?:true}`: open
//!   (or close) a contact's 24 h window without a webhook.
//! - `POST /_admin/templates` `{"name","language","category","components"}`
//!   → `{"id"}`: seed an APPROVED template (no review, no webhook).
//! - `POST /_admin/templates/{id}/category` `{"new_category":"MARKETING"}`:
//!   recategorize and post `template_category_update`.
//! - `POST /_admin/templates/{id}/quality` `{"new_quality_score":"YELLOW"}`:
//!   post `message_template_quality_update`.
//! - `POST /_admin/templates/{id}/status` `{"event":"PAUSED","reason"?}`: set
//!   the status and post `message_template_status_update`.
//! - `POST /_admin/media/{id}/corrupt`: flip a stored media object's first
//!   byte, keeping the SHA-256 recorded at upload (a tampered download).
//! - `POST /_admin/webhook` `{"url":"http://…"|null}`: change the webhook URL.
//! - `POST /_admin/reset`: clear every store and the webhook queue.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::templates;
use crate::emulator::{
    control::{EmulatorError, Fault, FaultKind, InboundSpec},
    errors::GraphError,
    extract::{Id, JsonBody, method_not_allowed},
    state::Shared,
    wire,
};

/// The admin routes, to be nested under `/_admin`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sent", get(list_sent).delete(clear_sent))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/inbound", post(inbound))
        .route("/contacts/{wa_id}", post(contact))
        .route("/windows", post(window))
        .route("/templates", post(seed_template))
        .route("/templates/{id}/category", post(template_category))
        .route("/templates/{id}/quality", post(template_quality))
        .route("/templates/{id}/status", post(template_status))
        .route("/media/{id}/corrupt", post(corrupt_media))
        .route("/webhook", post(webhook))
        .route("/reset", post(reset))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Decodes an admin body into `T`, or a 100 envelope saying what is wrong.
fn decode<T: DeserializeOwned>(body: Value) -> Result<T, GraphError> {
    serde_json::from_value(body).map_err(|e| GraphError::invalid_param(format!("Invalid admin request: {e}")))
}

fn respond(result: Result<Response, GraphError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn list_sent(State(shared): State<Arc<Shared>>) -> Response {
    wire::ok(&json!({"data": shared.sent()}))
}

async fn clear_sent(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_sent();
    wire::success()
}

/// The JSON form of [`Fault`].
#[derive(Debug, Deserialize)]
struct FaultRequest {
    #[serde(default = "one")]
    count: u32,
    #[serde(default)]
    path_contains: Option<String>,
    #[serde(flatten)]
    kind: FaultKindRequest,
}

fn one() -> u32 {
    1
}

fn bad_request() -> u16 {
    400
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FaultKindRequest {
    GraphError {
        #[serde(default = "bad_request")]
        http_status: u16,
        code: i64,
        #[serde(default)]
        subcode: Option<i64>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        details: String,
    },
    RawStatus {
        http_status: u16,
        #[serde(default)]
        body: String,
    },
    Latency {
        latency_ms: u64,
    },
}

impl From<FaultRequest> for Fault {
    fn from(r: FaultRequest) -> Self {
        let kind = match r.kind {
            FaultKindRequest::GraphError { http_status, code, subcode, message, details } => FaultKind::GraphError {
                http_status,
                code,
                subcode,
                message: message.unwrap_or_else(|| format!("(#{code}) Injected fault")),
                details,
            },
            FaultKindRequest::RawStatus { http_status, body } => FaultKind::RawStatus { http_status, body },
            FaultKindRequest::Latency { latency_ms } => FaultKind::Latency(Duration::from_millis(latency_ms)),
        };
        Fault { count: r.count, kind, path_contains: r.path_contains }
    }
}

async fn add_fault(State(shared): State<Arc<Shared>>, JsonBody(body): JsonBody) -> Response {
    respond(decode::<FaultRequest>(body).map(|f| {
        shared.inject_fault(f.into());
        wire::success()
    }))
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    wire::success()
}

async fn inbound(State(shared): State<Arc<Shared>>, JsonBody(body): JsonBody) -> Response {
    respond(decode::<InboundSpec>(body).and_then(|spec| match shared.inject_inbound(spec) {
        Ok(id) => Ok(wire::ok(&json!({"message_id": id}))),
        Err(EmulatorError::UnknownPhoneNumber(id)) => Err(GraphError::unknown_object("post", &id)),
        Err(e) => Err(GraphError::invalid_param(e.to_string())),
    }))
}

#[derive(Debug, Deserialize)]
struct ContactRequest {
    read_receipts: bool,
}

async fn contact(State(shared): State<Arc<Shared>>, Id(wa_id): Id, JsonBody(body): JsonBody) -> Response {
    respond(decode::<ContactRequest>(body).map(|c| {
        shared.set_read_receipts(&wa_id, c.read_receipts);
        wire::success()
    }))
}

#[derive(Debug, Deserialize)]
struct WindowRequest {
    #[serde(default)]
    phone_number_id: Option<String>,
    wa_id: String,
    #[serde(default = "yes")]
    open: bool,
}

fn yes() -> bool {
    true
}

async fn window(State(shared): State<Arc<Shared>>, JsonBody(body): JsonBody) -> Response {
    respond(decode::<WindowRequest>(body).map(|w| {
        let phone_number_id = w.phone_number_id.unwrap_or_else(|| shared.config.phone_number_id.clone());
        if w.open {
            shared.open_window(&phone_number_id, &w.wa_id);
        } else {
            shared.close_window(&phone_number_id, &w.wa_id);
        }
        wire::success()
    }))
}

#[derive(Debug, Deserialize)]
struct SeedRequest {
    name: String,
    language: String,
    category: String,
    components: Value,
}

async fn seed_template(State(shared): State<Arc<Shared>>, JsonBody(body): JsonBody) -> Response {
    respond(decode::<SeedRequest>(body).and_then(|t| {
        shared
            .add_template(&t.name, &t.language, &t.category, t.components)
            .map(|id| wire::ok(&json!({"id": id})))
            .map_err(|e| GraphError::invalid_param(e.to_string()))
    }))
}

#[derive(Debug, Deserialize)]
struct CategoryRequest {
    new_category: String,
}

async fn template_category(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    respond(
        decode::<CategoryRequest>(body)
            .and_then(|c| templates::set_category(&shared, &id, &c.new_category))
            .map(|()| wire::success()),
    )
}

#[derive(Debug, Deserialize)]
struct QualityRequest {
    new_quality_score: String,
}

async fn template_quality(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    respond(
        decode::<QualityRequest>(body)
            .and_then(|q| templates::set_quality(&shared, &id, &q.new_quality_score))
            .map(|()| wire::success()),
    )
}

#[derive(Debug, Deserialize)]
struct StatusRequest {
    event: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn template_status(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    respond(
        decode::<StatusRequest>(body)
            .and_then(|s| templates::set_status(&shared, &id, &s.event, s.reason.as_deref()))
            .map(|()| wire::success()),
    )
}

async fn corrupt_media(State(shared): State<Arc<Shared>>, Id(id): Id) -> Response {
    respond(shared.corrupt_media(&id).map(|()| wire::success()).map_err(|_| GraphError::unknown_object("post", &id)))
}

#[derive(Debug, Deserialize)]
struct WebhookRequest {
    url: Option<String>,
}

async fn webhook(State(shared): State<Arc<Shared>>, JsonBody(body): JsonBody) -> Response {
    respond(decode::<WebhookRequest>(body).map(|w| {
        shared.webhooks.set_url(w.url);
        wire::success()
    }))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    wire::success()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_have_a_json_form() {
        let f: Fault = decode::<FaultRequest>(json!({"kind":"graph_error","code":131000,"path_contains":"/messages"}))
            .expect("valid")
            .into();
        assert_eq!(f.count, 1);
        assert_eq!(f.path_contains.as_deref(), Some("/messages"));
        assert!(matches!(f.kind, FaultKind::GraphError { http_status: 400, code: 131000, .. }));
        let f: Fault = decode::<FaultRequest>(json!({"count":2,"kind":"raw_status","http_status":502,"body":"bad"}))
            .expect("valid")
            .into();
        assert_eq!(f.kind, FaultKind::RawStatus { http_status: 502, body: "bad".into() });
        let f: Fault = decode::<FaultRequest>(json!({"kind":"latency","latency_ms":15})).expect("valid").into();
        assert_eq!(f.kind, FaultKind::Latency(Duration::from_millis(15)));
        assert!(decode::<FaultRequest>(json!({"kind":"explode"})).is_err());
    }
}
