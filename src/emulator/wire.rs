//! The emulator's own wire types and JSON encoding.
//!
//! These types are deliberately not shared with `graph/`: the gateway and the
//! emulator each spell Meta's JSON from the reference, so a misnamed field
//! fails a test instead of agreeing with itself. Everything the emulator
//! writes goes through [`to_meta_json`], which escapes non-ASCII characters as
//! `\uXXXX` (UTF-16, surrogate pairs for astral characters) the way Graph
//! bodies are written and signed.

use std::io;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

/// Serializes `value` as compact JSON with every non-ASCII character escaped.
///
/// Serializing our own types and `serde_json::Value` cannot fail (no maps with
/// non-string keys), so a failure is reported as `{}` rather than a panic.
pub(crate) fn to_meta_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, MetaFormatter);
    match value.serialize(&mut ser) {
        Ok(()) => out,
        Err(error) => {
            tracing::error!(%error, "emulator could not serialize a JSON body");
            b"{}".to_vec()
        }
    }
}

/// A JSON HTTP response whose body was produced by [`to_meta_json`].
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    response
}

/// A 200 JSON response.
pub(crate) fn ok<T: Serialize + ?Sized>(value: &T) -> Response {
    json_response(StatusCode::OK, to_meta_json(value))
}

/// `{"success":true}`.
pub(crate) fn success() -> Response {
    ok(&Success { success: true })
}

/// A `serde_json` formatter that writes non-ASCII as `\uXXXX` escapes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MetaFormatter;

impl serde_json::ser::Formatter for MetaFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        // Fragments never contain characters that need JSON escaping (serde_json
        // routes those through `write_char_escape`); only non-ASCII is left.
        let mut ascii_start = 0;
        for (at, ch) in fragment.char_indices() {
            if ch.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[ascii_start..at])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            ascii_start = at + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[ascii_start..])
    }
}

// === responses ===

/// `{"success": true}`.
#[derive(Debug, Serialize)]
pub(crate) struct Success {
    pub(crate) success: bool,
}

/// The answer to an accepted `POST /{phone_number_id}/messages`.
#[derive(Debug, Serialize)]
pub(crate) struct SendResponse {
    pub(crate) messaging_product: &'static str,
    pub(crate) contacts: Vec<SendContact>,
    pub(crate) messages: Vec<SendMessageId>,
}

/// `contacts[]` of a send response.
#[derive(Debug, Serialize)]
pub(crate) struct SendContact {
    pub(crate) input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) wa_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
}

/// `messages[]` of a send response.
#[derive(Debug, Serialize)]
pub(crate) struct SendMessageId {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_status: Option<&'static str>,
}

/// `POST /{phone_number_id}/media` and template create answers carry an id.
#[derive(Debug, Serialize)]
pub(crate) struct IdResponse {
    pub(crate) id: String,
}

/// `GET /{media_id}`.
#[derive(Debug, Serialize)]
pub(crate) struct MediaInfo {
    pub(crate) messaging_product: &'static str,
    pub(crate) url: String,
    pub(crate) mime_type: String,
    pub(crate) sha256: String,
    /// A number, or a string when the emulator is configured so.
    pub(crate) file_size: Value,
    pub(crate) id: String,
}

/// `POST /{waba_id}/message_templates`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateCreated {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) category: String,
}

/// One template as `GET /{template_id}` and the list render it; fields not
/// asked for with `fields=` are `None` and left out.
#[derive(Debug, Default, Serialize)]
pub(crate) struct TemplateOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) components: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_send_ttl_seconds: Option<i64>,
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rejected_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) quality_score: Option<QualityScore>,
}

/// `quality_score` of a template.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QualityScore {
    pub(crate) score: String,
    pub(crate) date: i64,
}

/// `GET /{waba_id}/message_templates`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateList {
    pub(crate) data: Vec<TemplateOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) paging: Option<Paging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<serde_json::Map<String, Value>>,
}

/// Graph's cursor paging block.
#[derive(Debug, Serialize)]
pub(crate) struct Paging {
    pub(crate) cursors: Cursors,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
}

/// `paging.cursors`.
#[derive(Debug, Serialize)]
pub(crate) struct Cursors {
    pub(crate) before: String,
    pub(crate) after: String,
}

// === webhooks (REFERENCE.md §5.4–5.7) ===

/// The webhook envelope.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope {
    pub(crate) object: &'static str,
    pub(crate) entry: Vec<Entry>,
}

/// One `entry[]`: the WABA, and `time` on non-`messages` fields only.
#[derive(Debug, Serialize)]
pub(crate) struct Entry {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time: Option<i64>,
    pub(crate) changes: Vec<Change>,
}

/// One `changes[]`.
#[derive(Debug, Serialize)]
pub(crate) struct Change {
    pub(crate) value: ChangeValue,
    pub(crate) field: &'static str,
}

/// The `value` of a change, by field.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ChangeValue {
    /// `field: "messages"`.
    Messages(MessagesValue),
    /// Template webhooks: their shapes vary, built in `webhooks.rs`.
    Template(Value),
}

/// The `value` of a `messages` change.
#[derive(Debug, Serialize)]
pub(crate) struct MessagesValue {
    pub(crate) messaging_product: &'static str,
    pub(crate) metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) contacts: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) messages: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) statuses: Vec<Status>,
}

/// `value.metadata`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Metadata {
    pub(crate) display_phone_number: String,
    pub(crate) phone_number_id: String,
}

/// A status object (§5.6).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Status {
    pub(crate) id: String,
    pub(crate) status: &'static str,
    pub(crate) timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recipient_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recipient_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recipient_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) biz_opaque_callback_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pricing: Option<Pricing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) errors: Option<Vec<WebhookError>>,
}

/// Per-message pricing (PMP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Pricing {
    pub(crate) pricing_model: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) category: String,
    pub(crate) billable: bool,
}

/// An error object inside a webhook: no `type`, no `fbtrace_id`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WebhookError {
    pub(crate) code: i64,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) error_data: WebhookErrorData,
    pub(crate) href: &'static str,
}

/// `error_data` of a webhook error.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WebhookErrorData {
    pub(crate) details: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn encode(v: &Value) -> String {
        String::from_utf8(to_meta_json(v)).expect("ascii")
    }

    #[test]
    fn non_ascii_is_escaped_as_utf16() {
        assert_eq!(encode(&json!("café")), r#""caf\u00e9""#);
        assert_eq!(encode(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(encode(&json!("a€b")), r#""a\u20acb""#);
        assert_eq!(encode(&json!({"k":"Olá 👍🏽!"})), r#"{"k":"Ol\u00e1 \ud83d\udc4d\ud83c\udffd!"}"#);
    }

    #[test]
    fn ascii_and_json_escapes_are_unchanged() {
        assert_eq!(encode(&json!("a\"b\\c\nd/e")), r#""a\"b\\c\nd/e""#);
        assert_eq!(encode(&json!("\u{1}")), r#""\u0001""#);
        assert_eq!(encode(&json!({"n":1,"b":true})), r#"{"b":true,"n":1}"#);
    }

    #[test]
    fn escaped_output_parses_back_to_the_same_text() {
        let text = "Ünïcödé ✓ 𝄞 🇧🇷 \u{7f} \u{80}";
        let back: Value = serde_json::from_slice(&to_meta_json(&json!(text))).expect("json");
        assert_eq!(back, json!(text));
        assert!(to_meta_json(&json!(text)).is_ascii());
    }
}
