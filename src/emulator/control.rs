//! The data the in-process and admin APIs exchange with tests: what was
//! sent, the faults and inbound messages they inject, and what they can
//! refuse. Plain data, below the store that acts on it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One accepted `POST /{phone_number_id}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentMessage {
    /// The sending phone number id (from the path).
    pub phone_number_id: String,
    /// The wamid given to the message; empty for mark-read requests.
    pub message_id: String,
    /// The request body as received.
    pub body: serde_json::Value,
}

/// Make the next `count` matching Graph calls fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// How many calls fail before the fault is used up.
    pub count: u32,
    /// How they fail.
    pub kind: FaultKind,
    /// Only calls whose path (as received, version included) contains this;
    /// `None` matches every Graph call (not `/_admin`).
    pub path_contains: Option<String>,
}

/// How a faulted call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Meta's error envelope with these values.
    GraphError {
        /// The HTTP status.
        http_status: u16,
        /// `error.code`.
        code: i64,
        /// `error.error_subcode`.
        subcode: Option<i64>,
        /// `error.message`, e.g. `(#131000) Something went wrong`.
        message: String,
        /// `error.error_data.details`.
        details: String,
    },
    /// This status and this raw body, no envelope (e.g. a proxy's 502).
    RawStatus {
        /// The HTTP status.
        http_status: u16,
        /// The body, sent as is.
        body: String,
    },
    /// Wait this long, then handle the call normally.
    Latency(Duration),
}

/// An inbound message to inject, as if a WhatsApp user had written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InboundSpec {
    /// The business number written to; `None` = the configured one.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// The user's wa_id (digits), or a BSUID such as `US.1234`.
    pub from: String,
    /// The user's profile name (default `Emulator User`).
    #[serde(default)]
    pub profile_name: Option<String>,
    /// The Cloud API inbound message object without `id`, `from` and
    /// `timestamp`, e.g. `{"type":"text","text":{"body":"hi"}}`.
    pub message: serde_json::Value,
}

/// What the in-process emulator API can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmulatorError {
    /// The phone number id is not the emulated one.
    #[error("unknown phone number id {0}")]
    UnknownPhoneNumber(String),
    /// The injected inbound message is malformed.
    #[error("invalid inbound message: {0}")]
    InvalidInbound(String),
    /// The seeded template is malformed.
    #[error("invalid template: {0}")]
    InvalidTemplate(String),
    /// No template has this id.
    #[error("unknown template id {0}")]
    UnknownTemplate(String),
    /// No media object has this id.
    #[error("unknown media id {0}")]
    UnknownMedia(String),
}
