//! The Cloud API's error envelope, decoded into a typed error.

use serde::Deserialize;

/// Why a call to the Graph API failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Meta answered with its error envelope.
    #[error("graph error {}: {}", .0.code, .0.message)]
    Api(Box<ApiError>),
    /// Meta answered with a non-success status and no envelope we could read
    /// (e.g. a bare 500 from a proxy).
    #[error("graph answered HTTP {status} without an error envelope")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The first bytes of the body, for the log.
        body: String,
    },
    /// The call did not finish in time. It may still have been processed.
    #[error("graph call timed out")]
    Timeout,
    /// The connection could not be made: Meta never saw the call.
    #[error("graph unreachable: {0}")]
    Transport(String),
    /// The connection failed after the call may have reached Meta.
    #[error("graph connection interrupted: {0}")]
    Interrupted(String),
    /// The media URL Graph returned is not one the token may be sent to.
    #[error("media URL refused: {0}")]
    MediaUrlRefused(String),
    /// A success answer whose body we could not read.
    #[error("graph answer could not be decoded: {0}")]
    Decode(String),
}

/// The fields of Meta's error envelope that clients act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status Meta answered with.
    pub http_status: u16,
    /// `error.code`, e.g. 131047.
    pub code: i64,
    /// `error.error_subcode`, when present.
    pub subcode: Option<i64>,
    /// `error.type`, e.g. OAuthException.
    pub kind: String,
    /// `error.message`, e.g. "(#131047) Re-engagement message".
    pub message: String,
    /// `error.error_data.details`.
    pub details: String,
    /// `error.fbtrace_id`, for Meta support.
    pub fbtrace_id: String,
    /// `error.is_transient`, when present.
    pub is_transient: Option<bool>,
}

impl Error {
    /// Decodes an error answer: Meta's envelope when the body holds one, else [`Error::Http`].
    pub fn from_response(http_status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            code: i64,
            #[serde(default)]
            error_subcode: Option<i64>,
            #[serde(default, rename = "type")]
            kind: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            error_data: Option<Data>,
            #[serde(default)]
            fbtrace_id: String,
            #[serde(default)]
            is_transient: Option<bool>,
        }
        #[derive(Deserialize)]
        struct Data {
            #[serde(default)]
            details: String,
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error: e }) => Self::Api(Box::new(ApiError {
                http_status,
                code: e.code,
                subcode: e.error_subcode,
                kind: e.kind,
                message: e.message,
                details: e.error_data.map(|d| d.details).unwrap_or_default(),
                fbtrace_id: e.fbtrace_id,
                is_transient: e.is_transient,
            })),
            Err(_) => Self::Http {
                status: http_status,
                body: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_envelope_with_subcode_and_details() {
        let body = br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,
            "error_subcode":33,"error_data":{"messaging_product":"whatsapp","details":"bad to"},
            "fbtrace_id":"AbC"}}"#;
        let Error::Api(e) = Error::from_response(400, body) else { panic!("not an api error") };
        assert_eq!((e.code, e.subcode, e.details.as_str()), (100, Some(33), "bad to"));
        assert_eq!((e.kind.as_str(), e.fbtrace_id.as_str(), e.http_status), ("OAuthException", "AbC", 400));
    }

    #[test]
    fn a_body_without_envelope_is_an_http_error() {
        assert!(matches!(Error::from_response(502, b"<html>bad gateway"), Error::Http { status: 502, .. }));
    }
}
