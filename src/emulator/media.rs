//! Media rules (REFERENCE.md §3): the stored media object, the MIME types of
//! §3.2 with their kinds' size limits (100 MB overall), the checks on an
//! upload form, and the checks on a media id a message refers to (it must
//! belong to the sending number and suit its use). Pure functions; the store
//! and the HTTP handlers sit above them.

use std::collections::HashMap;

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

use super::{
    errors::GraphError,
    validate::{MediaRef, MediaUse},
};

/// One stored media object.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub(crate) phone_number_id: String,
    /// The MIME type as uploaded (parameters kept, e.g. `audio/ogg; codecs=opus`).
    pub(crate) mime_type: String,
    pub(crate) bytes: Bytes,
    pub(crate) sha256: [u8; 32],
}

impl Media {
    pub(crate) fn new(phone_number_id: String, mime_type: String, bytes: Bytes) -> Self {
        let sha256 = Sha256::digest(&bytes).into();
        Self { phone_number_id, mime_type, bytes, sha256 }
    }

    /// The MIME type without parameters, lowercase.
    pub(crate) fn essence(&self) -> String {
        mime_essence(&self.mime_type)
    }
}

/// The MIME type without parameters, lowercase (`audio/ogg; codecs=opus` → `audio/ogg`).
pub(crate) fn mime_essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// One megabyte, the unit of Meta's limits.
pub(crate) const MB: usize = 1024 * 1024;
/// The Cloud API's overall media cap.
pub(crate) const MAX_UPLOAD: usize = 100 * MB;

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

/// Checks that a media id in a message exists, belongs to the sending number
/// and has a type its use accepts (documents take any supported type).
pub(crate) fn check_ref(
    stored: &HashMap<String, Media>,
    phone_number_id: &str,
    r: &MediaRef,
) -> Result<(), GraphError> {
    let media = stored.get(&r.id).filter(|m| m.phone_number_id == phone_number_id).ok_or_else(|| {
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

/// The fields of an upload form.
#[derive(Default)]
pub(crate) struct Upload {
    pub(crate) messaging_product: Option<String>,
    pub(crate) mime_type: Option<String>,
    /// The file part's own content type, and its bytes.
    pub(crate) file: Option<(Option<String>, Bytes)>,
}

/// Checks an upload form (§3.2): `messaging_product` is `whatsapp`, the file
/// is there, not empty, of a supported type (from `type`, else the file
/// part's own) and within its kind's size limit; returns the media to store.
pub(crate) fn check_upload(phone_number_id: &str, form: Upload) -> Result<Media, GraphError> {
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
    Ok(Media::new(phone_number_id.to_owned(), mime_type.trim().to_owned(), bytes))
}

/// 131053 for a file over `max` bytes.
pub(crate) fn too_big(max: usize) -> GraphError {
    GraphError::media(format!("Media file size too big. Max file size we currently support: {}MB.", max / MB))
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
        let mut stored = HashMap::new();
        stored.insert("1".into(), Media::new("pn".into(), "application/pdf".into(), Bytes::from_static(b"%PDF")));
        let r = |used_as| MediaRef { path: "image['id']".into(), id: "1".into(), used_as };
        assert_eq!(check_ref(&stored, "pn", &r(MediaUse::Image)).map_err(|e| e.code), Err(131053));
        assert!(check_ref(&stored, "pn", &r(MediaUse::Document)).is_ok());
        assert_eq!(check_ref(&stored, "other", &r(MediaUse::Document)).map_err(|e| e.code), Err(100));
        let missing = MediaRef { id: "2".into(), ..r(MediaUse::Document) };
        assert_eq!(check_ref(&stored, "pn", &missing).map_err(|e| e.code), Err(100));
    }
}
