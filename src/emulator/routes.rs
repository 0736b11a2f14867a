//! The Graph path table (REFERENCE.md §1–4): the top of the emulator, where
//! every path meets its handler.
//!
//! Guarantees: a leading `vNN.N` segment is stripped before routing, so every
//! path works with and without a version; every Graph path needs the access
//! token (`Authorization: Bearer` or `?access_token=`), checked before any
//! injected fault; every failure, including unknown paths (404) and wrong
//! methods (405), is a Graph error envelope. `/_admin` needs no token.

use std::sync::Arc;

use axum::{
    Router,
    extract::{Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{IntoMakeService, get, post},
};
use http::{Uri, header, uri::PathAndQuery};
use tower::{Layer as _, util::MapRequestLayer};

use super::{
    control::FaultKind,
    errors::GraphError,
    extract::{OriginalPath, method_not_allowed, query_map},
    handlers::{admin, media, messages, objects, templates},
    state::Shared,
};

/// The whole service: version stripping around the router.
pub(crate) type App = IntoMakeService<tower::util::MapRequest<Router, fn(Request) -> Request>>;

/// Builds the emulator's HTTP service.
pub(crate) fn app(shared: Arc<Shared>) -> App {
    let graph = Router::new()
        .route("/_media/{media_id}", get(media::download))
        .route("/{id}", get(objects::get_object).post(objects::post_object).delete(objects::delete_object))
        .route("/{id}/messages", post(messages::send_message))
        .route("/{id}/media", post(media::upload).layer(media::body_limit()))
        .route(
            "/{id}/message_templates",
            get(templates::list_templates).post(templates::create_template).delete(templates::delete_templates),
        )
        .route("/{id}/phone_numbers", get(objects::phone_numbers))
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

async fn unknown_path(path: OriginalPath) -> Response {
    GraphError::unknown_path(&path.0).into_response()
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
