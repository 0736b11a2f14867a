//! The one place where errors become gRPC statuses.
//!
//! Handlers return [`Error`] and use `?`; `From<Error> for Status` picks the
//! code and attaches the rich details a client in any language can act on:
//! `google.rpc.BadRequest` for invalid requests, `google.rpc.ErrorInfo` for
//! Graph errors (reason `WHATSAPP_<code>`, domain `graph.facebook.com`).

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::{
    bus::BusError,
    graph,
    policy::{PolicyError, rate_limit::Limit},
    violation::describe,
};

pub use crate::violation::FieldViolation;

/// The ErrorInfo domain of errors that come from Meta.
pub const GRAPH_DOMAIN: &str = "graph.facebook.com";
/// The ErrorInfo domain of errors the gateway raises itself.
pub const WAGATE_DOMAIN: &str = "wagate";

/// Everything an RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; nothing was sent.
    #[error("invalid request: {}", describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// No credentials, or unknown ones.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials do not allow this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the state forbids it now; `reason` names the rule.
    #[error("{message}")]
    Precondition {
        /// A stable UPPER_SNAKE reason, e.g. `WINDOW_CLOSED`.
        reason: &'static str,
        /// What to do about it.
        message: String,
    },
    /// The Graph API failed.
    #[error(transparent)]
    Graph(#[from] graph::Error),
    /// The request conflicts with one in flight; retry later.
    #[error("{0}")]
    Aborted(String),
    /// A value passed a limit (e.g. an upload larger than its kind allows); `reason` names the limit.
    #[error("{message}")]
    OutOfRange {
        /// A stable UPPER_SNAKE reason, e.g. `MEDIA_TOO_LARGE`.
        reason: &'static str,
        /// What was exceeded, and by how much.
        message: String,
    },
    /// Data arrived corrupted (e.g. a download whose SHA-256 differs from Meta's).
    #[error("{0}")]
    DataLoss(String),
    /// A policy refused the send or could not decide.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The event bus failed.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// A consumer group's position fell out of the retained history before
    /// the group read it (in memory); the group goes on from the oldest event.
    #[error("a consumer group lost events evicted from the history")]
    GroupHistoryLost {
        /// The cursor of the last event the subscriber was sent (empty when none).
        last_cursor: String,
    },
    /// A store the gateway depends on (Redis) is unreachable; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// The call did not finish within its deadline (the default one, when
    /// the client set none).
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(String),
    /// A bug or an unexpected state; logged, never detailed to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A call or stream cut short by the server's shutdown: clients retry
    /// (streams resume from their last cursor) against another replica.
    pub fn shutting_down() -> Self {
        Self::Unavailable("the gateway is shutting down; retry".into())
    }

    /// A request refused for one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }
}

impl From<Vec<FieldViolation>> for Error {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::Invalid(violations)
    }
}

/// The gRPC code that fits a Graph error code (REFERENCE.md §6.2).
///
/// Code 100 with subcode 33 is Graph's "object does not exist" (an unknown
/// media or template id): NOT_FOUND rather than a bad parameter.
pub fn graph_code(code: i64, subcode: Option<i64>, http_status: u16) -> Code {
    match code {
        100 if subcode == Some(33) => Code::NotFound,
        0 | 190 => Code::Unauthenticated,
        10 | 200..=299 | 131005 | 368 | 131031 | 130497 => Code::PermissionDenied,
        4 | 80007 | 80008 | 130429 | 131056 | 131048 | 133016 => Code::ResourceExhausted,
        100 | 131008 | 131009 | 132000 | 132005 | 132007 | 132012 | 131021 | 131051 | 131053 => Code::InvalidArgument,
        33 | 132001 => Code::NotFound,
        3 | 131047 | 132015 | 132016 | 133010 | 131042 | 131030 | 131045 | 131037 => Code::FailedPrecondition,
        2 | 131016 | 133004 | 131057 => Code::Unavailable,
        1 | 131000 => Code::Internal,
        _ if http_status >= 500 => Code::Unavailable,
        _ => Code::Unknown,
    }
}

/// The most of a status message sent: messages may echo client input (a
/// cursor, a field's value), which must not grow the trailers without bound.
const MAX_MESSAGE_BYTES: usize = 1024;
/// The most of one field violation's description (it may echo the field;
/// echoes are cut shorter where they are written, see `quoted`).
const MAX_DESCRIPTION_BYTES: usize = 512;

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
fn bounded(text: String, max: usize) -> String {
    const MARK: &str = "… (truncated)";
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub(MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &text[..end])
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let status = status_of(err);
        if status.message().len() <= MAX_MESSAGE_BYTES {
            return status;
        }
        Status::with_details_and_metadata(
            status.code(),
            bounded(status.message().to_owned(), MAX_MESSAGE_BYTES),
            status.details().to_vec().into(),
            status.metadata().clone(),
        )
    }
}

fn status_of(err: Error) -> Status {
    match err {
        Error::Invalid(violations) => {
            let violations: Vec<_> = violations
                .into_iter()
                .map(|v| FieldViolation {
                    field: bounded(v.field, MAX_DESCRIPTION_BYTES),
                    description: bounded(v.description, MAX_DESCRIPTION_BYTES),
                })
                .collect();
            let message = format!("invalid request: {}", describe(&violations));
            let mut details = ErrorDetails::new();
            for v in violations {
                details.add_bad_request_violation(v.field, v.description);
            }
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        Error::Unauthenticated(m) => Status::unauthenticated(m),
        Error::PermissionDenied(m) => Status::permission_denied(m),
        Error::NotFound(m) => Status::not_found(m),
        Error::Precondition { reason, message } => {
            let details = ErrorDetails::with_error_info(reason, WAGATE_DOMAIN, HashMap::new());
            Status::with_error_details(Code::FailedPrecondition, message, details)
        }
        Error::Aborted(m) => Status::aborted(m),
        Error::OutOfRange { reason, message } => {
            let details = ErrorDetails::with_error_info(reason, WAGATE_DOMAIN, HashMap::new());
            Status::with_error_details(Code::OutOfRange, message, details)
        }
        Error::DataLoss(m) => {
            tracing::warn!(error = %m, "data loss");
            Status::data_loss(m)
        }
        Error::Unavailable(m) => Status::unavailable(m),
        Error::DeadlineExceeded(m) => Status::deadline_exceeded(m),
        Error::Policy(e) => policy_status(e),
        Error::Bus(e) => bus_status(e),
        Error::GroupHistoryLost { last_cursor } => lagged(
            // Groups are never cut off for being slow: their position fell out of the history.
            "events were dropped from the retained history before the consumer group read them; subscribe \
                 again to the group to go on from the oldest retained event"
                .to_owned(),
            last_cursor,
        ),
        Error::Graph(e) => graph_status(e),
        Error::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            Status::internal("internal error; see the gateway log")
        }
    }
}

fn policy_status(err: PolicyError) -> Status {
    let same = match err {
        PolicyError::Invalid(violations) => Error::Invalid(violations),
        PolicyError::Refused { reason, message } => Error::Precondition { reason, message },
        PolicyError::NotFound(m) => Error::NotFound(m),
        PolicyError::InFlight(m) => Error::Aborted(m),
        PolicyError::Unavailable(m) => Error::Unavailable(m),
        PolicyError::Graph(e) => Error::Graph(e),
        PolicyError::RateLimited { limit, phone_number_id, retry_after } => {
            let (reason, what) = match limit {
                Limit::Throughput => ("THROUGHPUT_LIMIT", "its throughput limit (policy.messages_per_second)"),
                Limit::Pair => ("PAIR_RATE_LIMIT", "Meta's pair rate to this contact (1 message per 6 s)"),
            };
            let message = format!(
                "phone number {phone_number_id} is over {what}; retry in {} ms",
                retry_after.as_millis().max(1)
            );
            let metadata = HashMap::from([("phone_number_id".to_owned(), phone_number_id)]);
            let mut details = ErrorDetails::with_error_info(reason, WAGATE_DOMAIN, metadata);
            details.set_retry_info(Some(retry_after));
            return Status::with_error_details(Code::ResourceExhausted, message, details);
        }
    };
    Status::from(same)
}

fn bus_status(err: BusError) -> Status {
    match err {
        BusError::Unavailable(m) => Status::unavailable(m),
        BusError::InvalidCursor { cursor, reason } => Status::from(Error::invalid(
            "cursor",
            format!("{} is not a cursor of this gateway's event log: {reason}", crate::violation::echo(&cursor)),
        )),
        BusError::Lagged { last_cursor } => lagged(
            format!(
                "the subscriber fell too far behind and was cut off; subscribe again with after_cursor {last_cursor:?}"
            ),
            last_cursor,
        ),
        BusError::GroupFilterMismatch { group } => Status::from(Error::Precondition {
            reason: "CONSUMER_GROUP_FILTER_MISMATCH",
            message: format!(
                "consumer group {group:?} was created with another filter (phone_number_ids, kinds, contacts), and \
                 every subscriber of a group shares its filter; subscribe with the same filter as the group's other \
                 subscribers, or use another consumer_group name"
            ),
        }),
    }
}

/// The status that ends a lagging subscriber's stream: it says where to resume.
fn lagged(message: String, last_cursor: String) -> Status {
    let metadata = HashMap::from([("last_cursor".to_owned(), last_cursor)]);
    let details = ErrorDetails::with_error_info("SUBSCRIBER_LAGGED", WAGATE_DOMAIN, metadata);
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

fn graph_status(err: graph::Error) -> Status {
    match err {
        graph::Error::Api(e) => {
            let code = graph_code(e.code, e.subcode, e.http_status);
            let mut metadata = HashMap::from([
                ("code".to_owned(), e.code.to_string()),
                ("http_status".to_owned(), e.http_status.to_string()),
                ("type".to_owned(), e.kind.clone()),
                ("fbtrace_id".to_owned(), e.fbtrace_id.clone()),
                ("details".to_owned(), bounded(e.details.clone(), MAX_MESSAGE_BYTES)),
            ]);
            if let Some(subcode) = e.subcode {
                metadata.insert("subcode".to_owned(), subcode.to_string());
            }
            if let Some(transient) = e.is_transient {
                metadata.insert("is_transient".to_owned(), transient.to_string());
            }
            let message = if e.details.is_empty() { e.message } else { format!("{}: {}", e.message, e.details) };
            let details = ErrorDetails::with_error_info(format!("WHATSAPP_{}", e.code), GRAPH_DOMAIN, metadata);
            Status::with_error_details(code, message, details)
        }
        graph::Error::Http { status, body } => {
            tracing::warn!(status, body = %body, "graph answered without an error envelope");
            let metadata = HashMap::from([("http_status".to_owned(), status.to_string())]);
            let details = ErrorDetails::with_error_info(format!("HTTP_{status}"), GRAPH_DOMAIN, metadata);
            let code = if status >= 500 { Code::Unavailable } else { Code::Unknown };
            Status::with_error_details(
                code,
                format!("the Cloud API answered HTTP {status}; the message may or may not have been sent"),
                details,
            )
        }
        graph::Error::MediaUrlRefused(m) => {
            tracing::warn!(reason = %m, "refused to send the access token to a media URL");
            let details = ErrorDetails::with_error_info("MEDIA_URL_REFUSED", WAGATE_DOMAIN, HashMap::new());
            Status::with_error_details(Code::FailedPrecondition, format!("{m}; the token was not sent"), details)
        }
        graph::Error::Timeout => {
            Status::deadline_exceeded("the Cloud API did not answer in time; the message may or may not have been sent")
        }
        graph::Error::Transport(m) => Status::unavailable(format!("the Cloud API is unreachable: {m}")),
        graph::Error::Interrupted(m) => Status::unavailable(format!(
            "the connection to the Cloud API failed mid-call ({m}); the call may or may not have taken effect"
        )),
        graph::Error::Decode(m) => {
            tracing::error!(error = %m, "undecodable graph answer");
            Status::internal("the Cloud API answered with a body the gateway could not read")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary_and_marked() {
        let cut = bounded("é".repeat(1000), 101);
        assert!(cut.len() <= 101 && cut.ends_with("… (truncated)"), "{cut}");
        assert_eq!(bounded("short".into(), 101), "short");
    }

    fn api(code: i64, http_status: u16) -> Error {
        Error::Graph(graph::Error::Api(Box::new(graph::ApiError {
            http_status,
            code,
            subcode: Some(2494010),
            kind: "OAuthException".into(),
            message: format!("(#{code}) title"),
            details: "what happened".into(),
            fbtrace_id: "trace".into(),
            is_transient: None,
        })))
    }

    #[test]
    fn graph_errors_map_to_codes_with_error_info() {
        for (code, expected) in [
            (131047, Code::FailedPrecondition),
            (130429, Code::ResourceExhausted),
            (131056, Code::ResourceExhausted),
            (100, Code::InvalidArgument),
            (190, Code::Unauthenticated),
            (132001, Code::NotFound),
            (131016, Code::Unavailable),
        ] {
            let status = Status::from(api(code, 400));
            assert_eq!(status.code(), expected, "code {code}");
            let info = status.get_details_error_info().expect("ErrorInfo attached");
            assert_eq!(info.reason, format!("WHATSAPP_{code}"));
            assert_eq!(info.domain, GRAPH_DOMAIN);
            assert_eq!(info.metadata["code"], code.to_string());
            assert_eq!(info.metadata["subcode"], "2494010");
            assert_eq!(info.metadata["fbtrace_id"], "trace");
            assert_eq!(info.metadata["details"], "what happened");
        }
    }

    #[test]
    fn unknown_codes_follow_the_http_status() {
        assert_eq!(Status::from(api(999_999, 503)).code(), Code::Unavailable);
        assert_eq!(Status::from(api(999_999, 400)).code(), Code::Unknown);
    }

    #[test]
    fn unknown_objects_are_not_found() {
        let unknown = Error::Graph(graph::Error::Api(Box::new(graph::ApiError {
            http_status: 400,
            code: 100,
            subcode: Some(33),
            kind: "GraphMethodException".into(),
            message: "Unsupported get request.".into(),
            details: String::new(),
            fbtrace_id: "trace".into(),
            is_transient: None,
        })));
        assert_eq!(Status::from(unknown).code(), Code::NotFound);
    }

    #[test]
    fn limits_and_corruption_have_their_codes() {
        let status = Status::from(Error::OutOfRange { reason: "MEDIA_TOO_LARGE", message: "over 5 MB".into() });
        assert_eq!(status.code(), Code::OutOfRange);
        assert_eq!(status.get_details_error_info().expect("ErrorInfo").reason, "MEDIA_TOO_LARGE");
        assert_eq!(Status::from(Error::DataLoss("sha256 differs".into())).code(), Code::DataLoss);
    }

    #[test]
    fn violations_become_bad_request_details() {
        let status = Status::from(Error::invalid("to", "must be E.164"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("to: must be E.164"));
        let bad = status.get_details_bad_request().expect("BadRequest attached");
        assert_eq!(bad.field_violations[0].field, "to");
    }
}
