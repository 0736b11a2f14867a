//! The media endpoints (REFERENCE.md §3): upload, lookup, download and
//! delete.
//!
//! Guarantees: a media id belongs to the number that uploaded it and can
//! only be looked up (with `?phone_number_id=`) or deleted as such; download
//! URLs are token-free but signed and expire after five minutes, and
//! downloading still needs the bearer token, as at Meta. `file_size` is a
//! JSON number, or a string when configured so (Meta's sources disagree).

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{DefaultBodyLimit, Multipart, State, multipart::MultipartRejection},
    response::{IntoResponse, Response},
};
use bytes::BytesMut;
use http::{HeaderValue, StatusCode, Uri, header};
use subtle::ConstantTimeEq as _;

use crate::emulator::{
    errors::GraphError,
    extract::{Id, query_map},
    ids::{graph_id, unix_now},
    media::{MAX_UPLOAD, MB, Media, Upload, check_upload, too_big},
    state::Shared,
    wire::{self, IdResponse, MediaInfo},
};

/// The request body limit of the upload route (the file plus form overhead).
pub(crate) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD + MB)
}

/// `POST /{phone_number_id}/media` (multipart: `messaging_product`, `type`, `file`).
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Id(id): Id,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if !shared.is_phone_number(&id) {
        return GraphError::unknown_object("post", &id).into_response();
    }
    match receive(multipart).await {
        Ok(form) => store(&shared, &id, form).unwrap_or_else(IntoResponse::into_response),
        Err(e) => e.into_response(),
    }
}

async fn receive(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, GraphError> {
    let mut multipart = multipart.map_err(|e| {
        GraphError::invalid_param(format!("Media uploads must be multipart/form-data: {}", e.body_text()))
    })?;
    let mut form = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(read_error(&e)),
        };
        match field.name().unwrap_or_default() {
            "messaging_product" => form.messaging_product = Some(field.text().await.map_err(|e| read_error(&e))?),
            "type" => form.mime_type = Some(field.text().await.map_err(|e| read_error(&e))?),
            "file" => {
                let content_type = field.content_type().map(str::to_owned);
                // Chunk by chunk, so the cap holds however the client frames it.
                let mut field = field;
                let mut bytes = BytesMut::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| read_error(&e))? {
                    if bytes.len() + chunk.len() > MAX_UPLOAD {
                        return Err(too_big(MAX_UPLOAD));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                form.file = Some((content_type, bytes.freeze()));
            }
            // Graph ignores fields it does not know.
            _ => {}
        }
    }
    Ok(form)
}

fn read_error(e: &axum::extract::multipart::MultipartError) -> GraphError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_big(MAX_UPLOAD);
    }
    GraphError::invalid_param(format!("Could not read the multipart body: {}", e.body_text()))
}

/// Stores a checked upload under a fresh id.
fn store(shared: &Shared, phone_number_id: &str, form: Upload) -> Result<Response, GraphError> {
    let media = check_upload(phone_number_id, form)?;
    let id = graph_id();
    shared.lock().media.insert(id.clone(), media);
    Ok(wire::ok(&IdResponse { id }))
}

/// Applies `?phone_number_id=`: the media must belong to that number.
fn owned<'a>(media: &'a Media, id: &str, query: &HashMap<String, String>) -> Result<&'a Media, GraphError> {
    match query.get("phone_number_id") {
        Some(pn) if *pn != media.phone_number_id => {
            Err(GraphError::invalid_param(format!("Media {id} does not belong to phone number {pn}.")))
        }
        _ => Ok(media),
    }
}

/// `GET /{media_id}`; `None` when `id` is not media.
pub(crate) fn get(shared: &Shared, id: &str, query: &HashMap<String, String>) -> Option<Result<Response, GraphError>> {
    let inner = shared.lock();
    let media = inner.media.get(id)?;
    Some(owned(media, id, query).map(|media| {
        wire::ok(&MediaInfo {
            messaging_product: "whatsapp",
            url: shared.media_url(id),
            mime_type: media.mime_type.clone(),
            sha256: hex::encode(media.sha256),
            file_size: if shared.config.media_file_size_as_string {
                serde_json::Value::from(media.bytes.len().to_string())
            } else {
                serde_json::Value::from(u64::try_from(media.bytes.len()).unwrap_or(u64::MAX))
            },
            id: id.to_owned(),
        })
    }))
}

/// `DELETE /{media_id}`; `None` when `id` is not media.
pub(crate) fn delete(
    shared: &Shared,
    id: &str,
    query: &HashMap<String, String>,
) -> Option<Result<Response, GraphError>> {
    let mut inner = shared.lock();
    let media = inner.media.get(id)?;
    if let Err(e) = owned(media, id, query) {
        return Some(Err(e));
    }
    inner.media.remove(id);
    Some(Ok(wire::success()))
}

/// `GET /_media/{id}?mid=…&ext=…&hash=…`: the bytes, if the URL is genuine
/// and fresh (the gate has already checked the token).
pub(crate) async fn download(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    let query = query_map(&uri);
    let expires = query.get("ext").and_then(|e| e.parse::<i64>().ok());
    let genuine = match (expires, query.get("hash")) {
        (Some(expires), Some(hash)) => {
            expires >= unix_now() && bool::from(hash.as_bytes().ct_eq(shared.media_hash(&id, expires).as_bytes()))
        }
        _ => false,
    };
    let media = if genuine { shared.lock().media.get(&id).cloned() } else { None };
    let Some(media) = media else {
        // Meta answers a stale or unknown download URL with 404.
        return GraphError::whatsapp(
            StatusCode::NOT_FOUND,
            100,
            "Invalid parameter",
            "The media URL is unknown or has expired; get a fresh one with GET /{media-id}.",
        )
        .into_response();
    };
    let mut response = media.bytes.into_response();
    if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
