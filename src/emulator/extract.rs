//! Request extractors that fail with Graph error envelopes, shared by every
//! handler: the `{id}` path segment, a lenient JSON body, the path as the
//! client sent it (version included) and the query string; and the 405
//! answer for a known path called with the wrong method.

use std::collections::HashMap;

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http::{Method, Uri, request::Parts};
use serde_json::Value;

use super::errors::GraphError;

/// The path as the client sent it (version included), kept for fault
/// matching, paging links and error messages.
#[derive(Debug, Clone)]
pub(crate) struct OriginalPath(pub(crate) String);

impl OriginalPath {
    /// The recorded original path, or the current one if none was recorded.
    pub(crate) fn of(extensions: &http::Extensions, uri: &Uri) -> Self {
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

/// The query string as a map (last value wins); a malformed query is empty.
pub(crate) fn query_map(uri: &Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri).map(|q| q.0).unwrap_or_default()
}

/// A known path called with the wrong method.
pub(crate) async fn method_not_allowed(method: Method) -> Response {
    GraphError::method_not_allowed(method.as_str()).into_response()
}
