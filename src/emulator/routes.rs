//! The Graph path table (REFERENCE.md §1–4) and the message handlers.
//!
//! Guarantees: a leading `vNN.N` segment is stripped before routing, so every
//! path works with and without a version; every Graph path needs the access
//! token (`Authorization: Bearer` or `?access_token=`), checked before any
//! injected fault; every failure, including unknown paths (404) and wrong
//! methods (405), is a Graph error envelope. `/_admin` needs no token.

use std::{collections::HashMap, sync::Arc, time::Instant};

use axum::{
    Router,
    extract::{FromRequest, FromRequestParts, Path, Query, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{IntoMakeService, get, post},
};
use bytes::Bytes;
use http::{Method, Uri, header, request::Parts, uri::PathAndQuery};
use serde_json::{Value, json};
use tower::{Layer as _, util::MapRequestLayer};

use super::{
    FaultKind, SentMessage, admin,
    errors::GraphError,
    media,
    state::{Direction, Shared, wamid},
    templates,
    validate::{self, MarkRead, Recipient, Request as MessageRequest},
    webhooks::{self, Item, Outcome},
    wire::{self, SendContact, SendMessageId, SendResponse},
};

/// The whole service: version stripping around the router.
pub(crate) type App = IntoMakeService<tower::util::MapRequest<Router, fn(Request) -> Request>>;

/// The path as the client sent it (version included), kept for fault
/// matching, paging links and error messages.
#[derive(Debug, Clone)]
pub(crate) struct OriginalPath(pub(crate) String);

/// Builds the emulator's HTTP service.
pub(crate) fn app(shared: Arc<Shared>) -> App {
    let graph = Router::new()
        .route("/_media/{media_id}", get(media::download))
        .route("/{id}", get(get_object).post(post_object).delete(delete_object))
        .route("/{id}/messages", post(send_message))
        .route("/{id}/media", post(media::upload).layer(media::body_limit()))
        .route("/{id}/message_templates", get(list_templates).post(create_template).delete(delete_templates))
        .route("/{id}/phone_numbers", get(phone_numbers))
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(shared.clone(), gate));
    let router = Router::new().nest("/_admin", admin::router()).merge(graph).fallback(unknown_path).with_state(shared);
    let rewrite: fn(Request) -> Request = rewrite;
    axum::ServiceExt::<Request>::into_make_service(MapRequestLayer::new(rewrite).layer(router))
}

/// Records the original path and strips a leading version segment.
fn rewrite(mut request: Request) -> Request {
    let path = request.uri().path().to_owned();
    if let Some(rest) = strip_version(&path) {
        let path_and_query = match request.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        if let Ok(pq) = PathAndQuery::try_from(path_and_query) {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request.extensions_mut().insert(OriginalPath(path));
    request
}

/// `/v25.0/x` → `/x`, `/v25.0` → `/`; `None` when there is no version segment.
pub(crate) fn strip_version(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v")?;
    let end = rest.find('/').unwrap_or(rest.len());
    let (major, minor) = rest[..end].split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some(if end == rest.len() { "/" } else { &rest[end..] })
}

/// Auth, then injected faults, then the handler.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    match token(&request) {
        None => return GraphError::missing_token().into_response(),
        Some(t) if !shared.token_ok(&t) => return GraphError::invalid_token().into_response(),
        Some(_) => {}
    }
    let path = OriginalPath::of(request.extensions(), request.uri());
    match shared.take_fault(&path.0) {
        None => {}
        Some(FaultKind::GraphError { http_status, code, subcode, message, details }) => {
            return GraphError::injected(http_status, code, subcode, &message, &details).into_response();
        }
        Some(FaultKind::RawStatus { http_status, body }) => {
            let status = http::StatusCode::from_u16(http_status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            return (status, body).into_response();
        }
        Some(FaultKind::Latency(delay)) => tokio::time::sleep(delay).await,
    }
    next.run(request).await
}

/// The token from `Authorization: Bearer|OAuth <t>` or `?access_token=`.
fn token(request: &Request) -> Option<String> {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some((scheme, token)) = header.and_then(|h| h.trim().split_once(' '))
        && (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
    {
        return Some(token.trim().to_owned());
    }
    query_map(request.uri()).remove("access_token")
}

/// The query string as a map (last value wins); a malformed query is empty.
pub(crate) fn query_map(uri: &Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri).map(|q| q.0).unwrap_or_default()
}

// === extractors that fail with Graph envelopes ===

impl OriginalPath {
    /// The recorded original path, or the current one if none was recorded.
    fn of(extensions: &http::Extensions, uri: &Uri) -> Self {
        extensions.get::<OriginalPath>().cloned().unwrap_or_else(|| OriginalPath(uri.path().to_owned()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OriginalPath {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(OriginalPath::of(&parts.extensions, &parts.uri))
    }
}

/// The `{id}` path segment.
pub(crate) struct Id(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| GraphError::invalid_param(e.body_text()))?;
        params.0.into_values().next().map(Id).ok_or_else(|| GraphError::invalid_param("Missing object id."))
    }
}

/// A JSON request body (any content type, as Graph is lenient about it).
pub(crate) struct JsonBody(pub(crate) Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = GraphError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| GraphError::invalid_param(format!("Could not read the request body: {}", e.body_text())))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(serde_json::Map::new())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| GraphError::invalid_param(format!("The request body is not valid JSON: {e}")))
    }
}

// === objects ===

async fn get_object(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    let query = query_map(&uri);
    if shared.is_phone_number(&id) {
        return wire::ok(&phone_number(&shared));
    }
    if id == shared.config.waba_id {
        return wire::ok(&json!({
            "id": id,
            "name": "Emulated Business Account",
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": "emulator_namespace",
        }));
    }
    if let Some(result) = media::get(&shared, &id, &query) {
        return result.unwrap_or_else(IntoResponse::into_response);
    }
    templates::get(&shared, &id, &query).unwrap_or_else(|| GraphError::unknown_object("get", &id).into_response())
}

fn phone_number(shared: &Shared) -> Value {
    json!({
        "verified_name": "Emulated Business",
        "code_verification_status": "VERIFIED",
        "display_phone_number": format!("+{}", shared.config.display_phone_number),
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": shared.config.phone_number_id,
    })
}

async fn post_object(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    templates::edit(&shared, &id, &body)
        .unwrap_or_else(|| Err(GraphError::unknown_object("post", &id)))
        .unwrap_or_else(IntoResponse::into_response)
}

async fn delete_object(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    media::delete(&shared, &id, &query_map(&uri))
        .unwrap_or_else(|| Err(GraphError::unknown_object("delete", &id)))
        .unwrap_or_else(IntoResponse::into_response)
}

async fn phone_numbers(State(shared): State<Arc<Shared>>, Id(id): Id) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("get", &id).into_response();
    }
    wire::ok(&json!({"data": [phone_number(&shared)]}))
}

// === templates ===

async fn list_templates(State(shared): State<Arc<Shared>>, Id(id): Id, path: OriginalPath, uri: Uri) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("get", &id).into_response();
    }
    templates::list(&shared, &path.0, &query_map(&uri)).unwrap_or_else(IntoResponse::into_response)
}

async fn create_template(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("post", &id).into_response();
    }
    templates::create(&shared, &body).unwrap_or_else(IntoResponse::into_response)
}

async fn delete_templates(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("delete", &id).into_response();
    }
    templates::delete(&shared, &query_map(&uri)).unwrap_or_else(IntoResponse::into_response)
}

// === messages ===

async fn send_message(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    if !shared.is_phone_number(&id) {
        return GraphError::unknown_object("post", &id).into_response();
    }
    accept(&shared, &id, body).unwrap_or_else(IntoResponse::into_response)
}

/// Validates and accepts one `/messages` body, then plans its statuses.
fn accept(shared: &Shared, phone_number_id: &str, body: Value) -> Result<Response, GraphError> {
    let send = match validate::message_request(&body)? {
        MessageRequest::MarkRead(m) => return mark_read(shared, phone_number_id, &m, body),
        MessageRequest::Send(send) => send,
    };
    let (contact, input, group) = match &send.recipient {
        Recipient::Phone { input, wa_id } => (wa_id.clone(), input.clone(), false),
        Recipient::User { input, user_id } => (user_id.clone(), input.clone(), false),
        Recipient::Group { id } => (id.clone(), id.clone(), true),
    };
    if !group && contact == shared.config.display_phone_number {
        return Err(GraphError::recipient_is_sender());
    }

    let now = Instant::now();
    let mut inner = shared.lock();
    for r in &send.media {
        media::check_ref(&inner, phone_number_id, r)?;
    }
    let template_category = match &send.template {
        Some(t) => Some(templates::check_send(&inner.templates, t)?),
        None => None,
    };
    if !inner.take_throughput(phone_number_id, shared.config.throughput_per_second, now) {
        return Err(GraphError::throughput());
    }
    let message_id = wamid(&contact, Direction::Outbound);
    inner.log_sent(SentMessage { phone_number_id: phone_number_id.to_owned(), message_id: message_id.clone(), body });
    let window_open = inner.window_open(phone_number_id, &contact, now);
    let read_receipts = inner.read_receipts(&contact);
    drop(inner);

    // Reactions get no statuses.
    if send.kind != "reaction" {
        let outcome = Outcome {
            wamid: message_id.clone(),
            recipient_id: match &send.recipient {
                Recipient::User { .. } => None,
                _ => Some(contact.clone()),
            },
            recipient_user_id: match &send.recipient {
                Recipient::User { user_id, .. } => Some(user_id.clone()),
                _ => None,
            },
            group,
            biz_opaque_callback_data: send.biz_opaque_callback_data.clone(),
            template_category: template_category.clone(),
            window_open,
            read_receipts,
            voice: send.voice,
        };
        let plan = webhooks::plan_statuses(&outcome, shared.config.status_interval, shared.config.enforce_window);
        shared.webhooks.enqueue_all(plan.into_iter().map(|(delay, status)| {
            (now + delay, Item::Status { phone_number_id: phone_number_id.to_owned(), status })
        }));
    }

    let contact = match send.recipient {
        Recipient::Phone { input, wa_id } => SendContact { input, wa_id: Some(wa_id), user_id: None },
        Recipient::User { input, user_id } => SendContact { input, wa_id: None, user_id: Some(user_id) },
        Recipient::Group { .. } => SendContact { input, wa_id: None, user_id: None },
    };
    Ok(wire::ok(&SendResponse {
        messaging_product: "whatsapp",
        contacts: vec![contact],
        messages: vec![SendMessageId {
            id: message_id,
            message_status: template_category.is_some().then_some("accepted"),
        }],
    }))
}

/// Mark-read: the id must be an inbound message to this number.
fn mark_read(shared: &Shared, phone_number_id: &str, m: &MarkRead, body: Value) -> Result<Response, GraphError> {
    let mut inner = shared.lock();
    if inner.inbound.get(&m.message_id).is_none_or(|(to, _)| to != phone_number_id) {
        return Err(GraphError::invalid_param(format!(
            "Param message_id ({}) is not an inbound message to this phone number.",
            m.message_id
        )));
    }
    inner.log_sent(SentMessage { phone_number_id: phone_number_id.to_owned(), message_id: String::new(), body });
    Ok(wire::success())
}

// === fallbacks ===

async fn unknown_path(path: OriginalPath) -> Response {
    GraphError::unknown_path(&path.0).into_response()
}

/// A known path called with the wrong method.
pub(crate) async fn method_not_allowed(method: Method) -> Response {
    GraphError::method_not_allowed(method.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_stripped() {
        assert_eq!(strip_version("/v25.0/113/messages"), Some("/113/messages"));
        assert_eq!(strip_version("/v3.10/x"), Some("/x"));
        assert_eq!(strip_version("/v25.0"), Some("/"));
        assert_eq!(strip_version("/113/messages"), None);
        assert_eq!(strip_version("/v25/x"), None);
        assert_eq!(strip_version("/vx.0/x"), None);
        assert_eq!(strip_version("/video.mp4"), None);
    }

    #[test]
    fn rewrite_keeps_the_query_and_the_original_path() {
        let request = Request::builder().uri("/v24.0/1/message_templates?limit=2").body(axum::body::Body::empty());
        let request = rewrite(request.expect("request"));
        assert_eq!(request.uri().path_and_query().map(PathAndQuery::as_str), Some("/1/message_templates?limit=2"));
        assert_eq!(
            request.extensions().get::<OriginalPath>().map(|p| p.0.as_str()),
            Some("/v24.0/1/message_templates")
        );
    }
}
