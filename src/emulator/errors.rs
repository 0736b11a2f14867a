//! Meta's synchronous error envelope (REFERENCE.md §6.1).
//!
//! Every failed request leaves the emulator as a [`GraphError`]: the HTTP
//! status Meta would use and `{"error":{message,type,code,error_subcode?,
//! error_data?,fbtrace_id}}`, with `message` spelled `(#<code>) <title>` for
//! WhatsApp codes and Graph's own wording for generic Graph errors (unknown
//! object, bad token). Handlers only build these; nothing else turns a failure
//! into a response.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use rand::Rng as _;
use serde::Serialize;

use super::wire;

/// Where Meta documents its error codes; webhook error objects link here.
pub(crate) const ERROR_CODES_HREF: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

/// One failed Graph call, ready to become an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GraphError {
    /// The HTTP status of the answer.
    pub(crate) status: StatusCode,
    /// `error.message`.
    pub(crate) message: String,
    /// `error.type`.
    pub(crate) kind: &'static str,
    /// `error.code`.
    pub(crate) code: i64,
    /// `error.error_subcode`.
    pub(crate) subcode: Option<i64>,
    /// `error.error_data.details`; `None` leaves `error_data` out, as Graph
    /// does for its generic errors.
    pub(crate) details: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    code: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_subcode: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_data: Option<ErrorData<'a>>,
    fbtrace_id: String,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    messaging_product: &'static str,
    details: &'a str,
}

// === impl GraphError ===

impl GraphError {
    /// A WhatsApp error: `(#code) title`, `OAuthException`, with details.
    pub(crate) fn whatsapp(status: StatusCode, code: i64, title: &str, details: impl Into<String>) -> Self {
        Self {
            status,
            message: format!("(#{code}) {title}"),
            kind: "OAuthException",
            code,
            subcode: None,
            details: Some(details.into()),
        }
    }

    /// 100 Invalid parameter: a value of the wrong JSON type, an unknown enum
    /// value, a malformed phone number.
    pub(crate) fn invalid_param(details: impl Into<String>) -> Self {
        Self::whatsapp(StatusCode::BAD_REQUEST, 100, "Invalid parameter", details)
    }

    /// 131008 Required parameter is missing.
    pub(crate) fn missing(details: impl Into<String>) -> Self {
        Self::whatsapp(StatusCode::BAD_REQUEST, 131008, "Required parameter is missing", details)
    }

    /// 131008 for the parameter at `path`, worded as Meta does.
    pub(crate) fn missing_param(path: &str) -> Self {
        Self::missing(format!("The parameter {path} is required."))
    }

    /// 131009 Parameter value is not valid: a length, count or format limit.
    pub(crate) fn invalid_value(details: impl Into<String>) -> Self {
        Self::whatsapp(StatusCode::BAD_REQUEST, 131009, "Parameter value is not valid", details)
    }

    /// 131021 Recipient cannot be sender.
    pub(crate) fn recipient_is_sender() -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            131021,
            "Recipient cannot be sender",
            "Sender and recipient phone number is the same.",
        )
    }

    /// 131053 Media upload error.
    pub(crate) fn media(details: impl Into<String>) -> Self {
        Self::whatsapp(StatusCode::BAD_REQUEST, 131053, "Media upload error", details)
    }

    /// 130429 Rate limit hit (throughput per phone number).
    pub(crate) fn throughput() -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            130429,
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        )
    }

    /// 132000 Number of parameters does not match the template.
    pub(crate) fn param_count(details: impl Into<String>) -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            132000,
            "Number of parameters does not match the expected number of params",
            details,
        )
    }

    /// 132001 Template does not exist in that language, or is not approved.
    pub(crate) fn template_missing(name: &str, language: &str) -> Self {
        Self::whatsapp(
            StatusCode::NOT_FOUND,
            132001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        )
    }

    /// 132012 A parameter's type differs from the template's placeholder.
    pub(crate) fn param_format(details: impl Into<String>) -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            132012,
            "Parameter format does not match format in the created template",
            details,
        )
    }

    /// 132015 Template is paused.
    pub(crate) fn template_paused(name: &str) -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            132015,
            "Template is Paused",
            format!("Template {name} is paused due to low quality so it cannot be sent in a template message."),
        )
    }

    /// 132016 Template is disabled.
    pub(crate) fn template_disabled(name: &str) -> Self {
        Self::whatsapp(
            StatusCode::BAD_REQUEST,
            132016,
            "Template is disabled",
            format!(
                "Template {name} has been paused too many times due to low quality and is now permanently disabled."
            ),
        )
    }

    /// 100/33 `GraphMethodException`: the object does not exist (or does not
    /// support this method). `method` is lowercase, as in Graph's wording.
    pub(crate) fn unknown_object(method: &str, id: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to \
                 missing permissions, or does not support this operation. Please read the Graph API \
                 documentation at https://developers.facebook.com/docs/graph-api"
            ),
            kind: "GraphMethodException",
            code: 100,
            subcode: Some(33),
            details: None,
        }
    }

    /// 190 for a token that does not match.
    pub(crate) fn invalid_token() -> Self {
        Self::oauth(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token - Cannot parse access token")
    }

    /// 190 for a request without any token.
    pub(crate) fn missing_token() -> Self {
        Self::oauth(StatusCode::UNAUTHORIZED, 190, "An access token is required to request this resource.")
    }

    /// An unknown path: Graph's "Unknown path components" error.
    pub(crate) fn unknown_path(path: &str) -> Self {
        Self::oauth(StatusCode::NOT_FOUND, 2500, &format!("Unknown path components: {path}"))
    }

    /// A known path called with a method it does not support.
    pub(crate) fn method_not_allowed(method: &str) -> Self {
        let mut e = Self::oauth(
            StatusCode::METHOD_NOT_ALLOWED,
            100,
            &format!("Unsupported {} request.", method.to_ascii_lowercase()),
        );
        e.kind = "GraphMethodException";
        e
    }

    /// A generic Graph error without `error_data`.
    fn oauth(status: StatusCode, code: i64, message: &str) -> Self {
        Self { status, message: message.to_owned(), kind: "OAuthException", code, subcode: None, details: None }
    }

    /// An injected fault's envelope, exactly as the test asked.
    pub(crate) fn injected(status: u16, code: i64, subcode: Option<i64>, message: &str, details: &str) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            message: message.to_owned(),
            kind: "OAuthException",
            code,
            subcode,
            details: Some(details.to_owned()),
        }
    }

    /// The JSON body, with a fresh `fbtrace_id`.
    pub(crate) fn body(&self) -> Vec<u8> {
        let envelope = Envelope {
            error: Body {
                message: &self.message,
                kind: self.kind,
                code: self.code,
                error_subcode: self.subcode,
                error_data: self.details.as_deref().map(|details| ErrorData { messaging_product: "whatsapp", details }),
                fbtrace_id: fbtrace_id(),
            },
        };
        wire::to_meta_json(&envelope)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = wire::json_response(self.status, self.body());
        if self.code == 190 {
            // Graph names the failure in the challenge header too.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token\"",
                ),
            );
        }
        response
    }
}

/// A random trace id shaped like Meta's (`A` + 22 URL-safe characters).
pub(crate) fn fbtrace_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(23);
    id.push('A');
    for _ in 0..22 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::emulator::samples;

    fn parse(e: &GraphError) -> Value {
        serde_json::from_slice(&e.body()).expect("json")
    }

    #[test]
    fn whatsapp_errors_have_the_code_in_the_message_and_details() {
        let mut v = parse(&GraphError::throughput());
        assert_eq!(v["error"]["fbtrace_id"].as_str().map(str::len), Some(23));
        v["error"]["fbtrace_id"] = json!("X");
        assert_eq!(
            v,
            json!({"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
                "error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},
                "fbtrace_id":"X"}})
        );
    }

    #[test]
    fn unknown_objects_are_graph_method_exceptions_with_subcode_33() {
        let e = GraphError::unknown_object("get", "1284751093365999");
        let v = parse(&e);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["type"], "GraphMethodException");
        assert_eq!((v["error"]["code"].as_i64(), v["error"]["error_subcode"].as_i64()), (Some(100), Some(33)));
        assert!(v["error"].get("error_data").is_none());
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Unsupported get request. Object with ID '1284751093365999'"))
        );
    }

    #[test]
    fn bad_tokens_are_401_with_code_190() {
        let response = GraphError::invalid_token().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    #[test]
    fn error_envelopes_have_the_sample_shapes() {
        let body = |e: GraphError| serde_json::from_slice::<Value>(&e.body()).expect("json");
        for (name, ours) in [
            ("error-130429-rate-limit.json", body(GraphError::throughput())),
            ("error-100-unknown-object.json", body(GraphError::unknown_object("get", "1284751093365999"))),
            ("error-190-invalid-token.json", body(GraphError::invalid_token())),
            ("error-132001-template-not-found.json", body(GraphError::template_missing("order_shiped", "en_US"))),
            ("error-131008-missing-parameter.json", body(GraphError::missing_param("text['body']"))),
        ] {
            for (_, sample) in samples::load(name) {
                assert_eq!(samples::keys(&ours["error"]), samples::keys(&sample["error"]), "{name}");
                let mut ours = ours["error"].clone();
                let mut theirs = sample["error"].clone();
                ours["fbtrace_id"] = Value::Null;
                theirs["fbtrace_id"] = Value::Null;
                assert_eq!(ours, theirs, "{name}");
            }
        }
    }
}
