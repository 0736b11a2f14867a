//! One webhook request: `GET` answers the verification handshake, `POST`
//! checks the signature over the raw body, turns the batch into typed events
//! and answers 200 only once they are stored, so that Meta redelivers
//! anything not stored (503).

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::SystemTime,
};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::{
    apps::{Foreign, WebhookApps},
    budget::BodyBudget,
    events::{self, ParseError},
    verify,
};
use crate::{bus::Bus, config::WebhookLimits, policy::window::Windows};

/// What the webhook handler needs.
pub struct WebhookState {
    /// The apps whose webhooks are received, and what each owns.
    pub apps: WebhookApps,
    /// Entries of signed POSTs dropped because the signing app does not own them.
    pub foreign_entries: AtomicU64,
    /// The largest body and the time it may take to arrive.
    pub limits: WebhookLimits,
    /// Body bytes in flight across every connection.
    pub budget: BodyBudget,
    /// Where events are stored.
    pub bus: Bus,
    /// The 24 h windows, fed by inbound messages.
    pub windows: Arc<Windows>,
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Handles one request. Public for benchmarks and tests that skip the socket.
pub async fn handle(state: &WebhookState, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if state.apps.on_path(request.uri().path()).next().is_none() {
        return reply(StatusCode::NOT_FOUND, "not found");
    }
    match *request.method() {
        Method::GET => {
            let query = request.uri().query().unwrap_or_default();
            let challenge = state
                .apps
                .on_path(request.uri().path())
                .filter_map(|app| app.verify_token.as_ref())
                .find_map(|token| verify::verification_challenge(query, token));
            match challenge {
                Some(challenge) => reply(StatusCode::OK, challenge),
                None => reply(StatusCode::FORBIDDEN, "verification failed"),
            }
        }
        Method::POST => receive(state, request).await,
        _ => {
            let mut response = reply(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST");
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
            response
        }
    }
}

async fn receive(state: &WebhookState, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let max = state.limits.max_body_bytes;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, "body over the configured limit");
    }
    // Reserved before a byte is read; a body without a length (chunked)
    // reserves the largest it may grow to.
    let reserve = declared.map_or(max, |length| length as usize);
    let Some(_reservation) = state.budget.try_reserve(reserve) else {
        let mut response = reply(StatusCode::SERVICE_UNAVAILABLE, "too many webhook bodies in flight; retry later");
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return response;
    };
    let collected = tokio::time::timeout(state.limits.body_read_timeout, Limited::new(body, max).collect()).await;
    let Ok(collected) = collected else {
        return reply(StatusCode::REQUEST_TIMEOUT, "body not received in time");
    };
    let body = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return reply(StatusCode::PAYLOAD_TOO_LARGE, "body over the configured limit");
        }
        Err(e) => {
            tracing::debug!(error = %e, "webhook body could not be read");
            return reply(StatusCode::BAD_REQUEST, "body could not be read");
        }
    };
    let signature = parts.headers.get("x-hub-signature-256").map(|v| v.as_bytes());
    let candidates: Vec<_> = state.apps.on_path(parts.uri.path()).collect();
    let secrets: Vec<_> = candidates.iter().map(|app| app.secrets.as_slice()).collect();
    let app = match verify::signing_app(signature, &body, &secrets) {
        Ok(index) => candidates[index],
        Err(e) => {
            tracing::debug!(error = %e, "webhook refused");
            return reply(StatusCode::UNAUTHORIZED, e.to_string());
        }
    };
    let entries = match events::parse_entries(&body, SystemTime::now()) {
        Ok(entries) => entries,
        Err(ParseError::Json(e)) => return reply(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        Err(ParseError::NotWhatsApp(what)) => {
            // Signed by our app, so from Meta, but not a WhatsApp object: a
            // non-200 would only make Meta retry it for days.
            tracing::warn!(%what, "ignored a signed webhook that is not a WhatsApp Business Account envelope");
            return reply(StatusCode::OK, "ignored");
        }
    };
    let mut events = Vec::new();
    let mut foreign = BTreeMap::<Foreign, usize>::new();
    for entry in entries {
        match state.apps.check_entry(app, &entry) {
            Ok(()) => events.extend(entry),
            Err(reason) => *foreign.entry(reason).or_default() += 1,
        }
    }
    if !foreign.is_empty() {
        let dropped: usize = foreign.values().sum();
        state.foreign_entries.fetch_add(dropped as u64, Ordering::Relaxed);
        let reasons: Vec<_> = foreign.iter().map(|(reason, n)| format!("{n}: {}", reason.as_str())).collect();
        tracing::warn!(app = %app.name, dropped, reasons = %reasons.join("; "), "dropped webhook entries the signing app does not own");
        if events.is_empty() {
            return reply(StatusCode::FORBIDDEN, "no entry belongs to an account of the app that signed the body");
        }
    }
    // Windows first: if storing the events then fails, Meta's redelivery
    // records them again (idempotently) and stores the events.
    if let Err(e) = state.windows.record(&events).await {
        tracing::error!(error = %e, "webhook not stored; Meta will redeliver");
        return reply(StatusCode::SERVICE_UNAVAILABLE, "event store unavailable");
    }
    match state.bus.publish(events).await {
        Ok(stored) => {
            tracing::debug!(stored = stored.len(), "webhook stored");
            reply(StatusCode::OK, "ok")
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook not stored; Meta will redeliver");
            reply(StatusCode::SERVICE_UNAVAILABLE, "event store unavailable")
        }
    }
}
