//! Reading borrowed raw JSON: each element is parsed on its own, from the
//! very slice that becomes its `raw_json`.

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// Parses one raw element (or value) as `T`.
pub(super) fn from_raw<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// Parses an optional type-named object; `None` stays `None`.
pub(super) fn typed<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>, serde_json::Error> {
    raw.map(from_raw).transpose()
}

/// The first 16 hex digits of the SHA-256 of the element's bytes as received.
pub(super) fn digest(raw: &RawValue) -> String {
    let hash = Sha256::digest(raw.get().as_bytes());
    hex::encode(&hash[..8])
}
