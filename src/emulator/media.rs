//! Media: upload, lookup, download and delete (REFERENCE.md §3).
//!
//! Guarantees: only the MIME types of §3.2 are stored, each within its
//! kind's size limit (100 MB overall); a media id belongs to the number that
//! uploaded it and can only be sent, looked up (with `?phone_number_id=`) or
//! deleted as such; download URLs are token-free but signed and expire after
//! five minutes, and downloading still needs the bearer token, as at Meta.
//! `file_size` is a JSON number, or a string when configured so (Meta's
//! sources disagree). A fault hook corrupts stored bytes while keeping their
//! recorded SHA-256, for tampered-download tests.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{DefaultBodyLimit, Multipart, State, multipart::MultipartRejection},
    response::{IntoResponse, Response},
};
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, Uri, header};
use subtle::ConstantTimeEq as _;

use super::{
    EmulatorError,
    errors::GraphError,
    routes::{Id, query_map},
    state::{Inner, Media, Shared, graph_id, mime_essence, unix_now},
    validate::{MediaRef, MediaUse},
    wire::{self, IdResponse, MediaInfo},
};

const MB: usize = 1024 * 1024;
/// The Cloud API's overall media cap.
const MAX_UPLOAD: usize = 100 * MB;

/// One media kind of §3.2.
struct Kind {
    name: &'static str,
    types: &'static [&'static str],
    max: usize,
}

const AUDIO: Kind =
    Kind { name: "audio", types: &["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"], max: 16 * MB };
const DOCUMENT: Kind = Kind {
    name: "document",
    types: &[
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
    max: 100 * MB,
};
const IMAGE: Kind = Kind { name: "image", types: &["image/jpeg", "image/png"], max: 5 * MB };
// Static stickers are capped at 100 KB and animated ones at 500 KB; the
// emulator cannot tell them apart, so it allows the larger.
const STICKER: Kind = Kind { name: "sticker", types: &["image/webp"], max: 500 * 1024 };
// `video/3gp` is a common misspelling of `video/3gpp`; Meta-adjacent tools use both.
const VIDEO: Kind = Kind { name: "video", types: &["video/mp4", "video/3gpp", "video/3gp"], max: 16 * MB };
const KINDS: [&Kind; 5] = [&AUDIO, &DOCUMENT, &IMAGE, &STICKER, &VIDEO];

fn kind_of(essence: &str) -> Option<&'static Kind> {
    KINDS.into_iter().find(|k| k.types.contains(&essence))
}

fn all_types() -> String {
    KINDS.iter().flat_map(|k| k.types.iter().copied()).collect::<Vec<_>>().join(", ")
}

/// The request body limit of the upload route (the file plus form overhead).
pub(crate) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD + MB)
}

/// Checks that a media id in a message exists, belongs to the sending number
/// and has a type its use accepts (documents take any supported type).
pub(crate) fn check_ref(inner: &Inner, phone_number_id: &str, r: &MediaRef) -> Result<(), GraphError> {
    let media = inner.media.get(&r.id).filter(|m| m.phone_number_id == phone_number_id).ok_or_else(|| {
        GraphError::invalid_param(format!(
            "Param {} ({}) is not a media id uploaded by this phone number.",
            r.path, r.id
        ))
    })?;
    let essence = media.essence();
    let (label, kind) = match r.used_as {
        MediaUse::Image => ("Image", &IMAGE),
        MediaUse::Video => ("Video", &VIDEO),
        MediaUse::Audio => ("Audio", &AUDIO),
        MediaUse::Sticker => ("Sticker", &STICKER),
        MediaUse::Document => return Ok(()),
    };
    if kind.types.contains(&essence.as_str()) {
        return Ok(());
    }
    Err(GraphError::media(format!(
        "Unsupported {label} mime type {essence}. Please use one of {}.",
        kind.types.join(", ")
    )))
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

/// The fields of an upload form.
#[derive(Default)]
struct Form {
    messaging_product: Option<String>,
    mime_type: Option<String>,
    file: Option<(Option<String>, Bytes)>,
}

async fn receive(multipart: Result<Multipart, MultipartRejection>) -> Result<Form, GraphError> {
    let mut multipart = multipart.map_err(|e| {
        GraphError::invalid_param(format!("Media uploads must be multipart/form-data: {}", e.body_text()))
    })?;
    let mut form = Form::default();
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

fn too_big(max: usize) -> GraphError {
    GraphError::media(format!("Media file size too big. Max file size we currently support: {}MB.", max / MB))
}

fn store(shared: &Shared, phone_number_id: &str, form: Form) -> Result<Response, GraphError> {
    match form.messaging_product.as_deref().map(str::trim) {
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::invalid_param(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )));
        }
        None => return Err(GraphError::invalid_param("The parameter messaging_product is required.")),
    }
    let (part_type, bytes) = form.file.ok_or_else(|| GraphError::invalid_param("The parameter file is required."))?;
    // Meta's own curl example gives the MIME only on the file part.
    let mime_type = form
        .mime_type
        .filter(|t| !t.trim().is_empty())
        .or(part_type)
        .ok_or_else(|| GraphError::invalid_param("The parameter type is required."))?;
    let essence = mime_essence(&mime_type);
    let kind = kind_of(&essence).ok_or_else(|| {
        GraphError::media(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{essence}'.",
            all_types()
        ))
    })?;
    if bytes.is_empty() {
        return Err(GraphError::media("The uploaded file is empty."));
    }
    if bytes.len() > kind.max {
        return Err(GraphError::media(format!(
            "File size {} exceeds the {} limit of {} bytes.",
            bytes.len(),
            kind.name,
            kind.max
        )));
    }
    let id = graph_id();
    shared.lock().media.insert(id.clone(), Media::new(phone_number_id.to_owned(), mime_type.trim().to_owned(), bytes));
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

/// Flips the first byte of a stored media object, keeping the SHA-256 and
/// size recorded at upload: its next download is a tampered one.
pub(crate) fn corrupt(shared: &Shared, id: &str) -> Result<(), EmulatorError> {
    let mut inner = shared.lock();
    let media = inner.media.get_mut(id).ok_or_else(|| EmulatorError::UnknownMedia(id.to_owned()))?;
    let mut bytes = media.bytes.to_vec();
    if let Some(first) = bytes.first_mut() {
        *first ^= 0xFF;
    }
    media.bytes = Bytes::from(bytes);
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_types_map_to_kinds() {
        assert_eq!(kind_of("image/jpeg").map(|k| k.name), Some("image"));
        assert_eq!(kind_of("audio/ogg").map(|k| k.name), Some("audio"));
        assert_eq!(kind_of("video/3gp").map(|k| k.name), Some("video"));
        assert_eq!(kind_of("image/webp").map(|k| k.name), Some("sticker"));
        assert!(kind_of("image/gif").is_none());
        assert!(kind_of("text/html").is_none());
        assert_eq!(mime_essence("audio/ogg; codecs=opus"), "audio/ogg");
    }

    #[test]
    fn media_refs_must_fit_their_use() {
        let mut inner = Inner::default();
        inner.media.insert("1".into(), Media::new("pn".into(), "application/pdf".into(), Bytes::from_static(b"%PDF")));
        let r = |used_as| MediaRef { path: "image['id']".into(), id: "1".into(), used_as };
        assert_eq!(check_ref(&inner, "pn", &r(MediaUse::Image)).map_err(|e| e.code), Err(131053));
        assert!(check_ref(&inner, "pn", &r(MediaUse::Document)).is_ok());
        assert_eq!(check_ref(&inner, "other", &r(MediaUse::Document)).map_err(|e| e.code), Err(100));
        let missing = MediaRef { id: "2".into(), ..r(MediaUse::Document) };
        assert_eq!(check_ref(&inner, "pn", &missing).map_err(|e| e.code), Err(100));
    }
}
