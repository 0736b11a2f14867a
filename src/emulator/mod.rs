//! An emulator of the WhatsApp Business Cloud API, like stripe-mock for Stripe.
//!
//! It is a real HTTP server that speaks the Graph API paths of REFERENCE.md
//! (with or without a `vNN.N` prefix): messages and mark-read, media upload,
//! lookup, download and delete, and message-template CRUD. It validates
//! requests as Meta does and answers with Meta's bodies and error envelopes.
//! After each accepted message it posts signed `sent` → `delivered` → `read`
//! status webhooks (or one `failed` 131047 when the 24 h window is closed);
//! new templates go PENDING → APPROVED/REJECTED with their webhook. A small
//! admin API under `/_admin` (and [`EmulatorHandle`] in-process) injects
//! inbound messages and faults and lists what was sent.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use wagate::emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::bind(([127, 0, 0, 1], 0).into(), EmulatorConfig::default()).await?;
//! let base_url = format!("http://{}", emulator.local_addr());
//! let handle = emulator.handle();
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! tokio::spawn(emulator.run(shutdown.clone()));
//! # let _ = (base_url, handle); Ok(()) }
//! ```
//!
//! Layout: `routes` holds the Graph path table, auth and the message
//! handlers; `validate`, `media` and `templates` the rules and handlers of
//! their endpoints; `state` the in-memory store; `webhooks` the signed
//! delivery queue; `admin` the admin API; `errors` and `wire` the JSON Meta
//! reads and writes.

mod admin;
mod errors;
mod media;
mod routes;
mod state;
mod templates;
mod validate;
mod webhooks;
mod wire;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

pub use webhooks::signature;

use state::Shared;

/// How the emulator behaves. [`Default`] gives the development defaults.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The only bearer token Graph paths accept (default `emulator-token`).
    pub access_token: String,
    /// The app secret that signs webhooks (default `emulator-app-secret`).
    pub app_secret: String,
    /// Where signed webhooks are POSTed; `None` drops them.
    pub webhook_url: Option<String>,
    /// The business phone number's id (default `113502948871204`).
    pub phone_number_id: String,
    /// The business phone number, digits only (default `15557771234`).
    pub display_phone_number: String,
    /// The WhatsApp Business Account id (default `109348720013455`).
    pub waba_id: String,
    /// Messages accepted per second per phone number before error 130429;
    /// 0 = unlimited (default 80, Meta's default throughput).
    pub throughput_per_second: u32,
    /// Delay before `sent`, then between `sent`, `delivered` and `read`
    /// (default 1 s; tests use a few milliseconds).
    pub status_interval: Duration,
    /// How long a new or edited template stays PENDING (default 2 s).
    pub template_review_delay: Duration,
    /// Free-form messages to a contact whose 24 h window is closed are
    /// accepted, then fail with a `failed` 131047 webhook (default true).
    pub enforce_window: bool,
    /// Base of media download URLs; `None` uses `http://{bound address}`.
    pub public_base_url: Option<String>,
    /// First retry delay of a failed webhook POST; it doubles up to 30 s
    /// (default 1 s).
    pub webhook_retry_initial_backoff: Duration,
    /// How long an undelivered webhook is retried before it is dropped
    /// (default 7 days, Meta's longer published horizon).
    pub webhook_retry_horizon: Duration,
    /// Write `file_size` in `GET /{media-id}` as a JSON string rather than a
    /// number (Meta's sources disagree, REFERENCE.md §3.1; default false).
    pub media_file_size_as_string: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            access_token: "emulator-token".to_owned(),
            app_secret: "emulator-app-secret".to_owned(),
            webhook_url: None,
            phone_number_id: "113502948871204".to_owned(),
            display_phone_number: "15557771234".to_owned(),
            waba_id: "109348720013455".to_owned(),
            throughput_per_second: 80,
            status_interval: Duration::from_secs(1),
            template_review_delay: Duration::from_secs(2),
            enforce_window: true,
            public_base_url: None,
            webhook_retry_initial_backoff: Duration::from_secs(1),
            webhook_retry_horizon: Duration::from_secs(7 * 24 * 3600),
            media_file_size_as_string: false,
        }
    }
}

/// A bound emulator, not yet serving.
#[derive(Debug)]
pub struct Emulator {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    // Stops the background tasks (webhook delivery, template reviews) if the
    // emulator is dropped without being run.
    background: DropGuard,
}

/// A cheap, cloneable view of a running emulator, for tests and the sandbox.
#[derive(Debug, Clone)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
}

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

// === impl Emulator ===

impl Emulator {
    /// Binds the listener now (port 0 picks a free port) and starts the
    /// webhook delivery task; nothing is served until [`Emulator::run`].
    pub async fn bind(addr: SocketAddr, config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let base_url = match &config.public_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", reachable(local_addr)),
        };
        let background = CancellationToken::new();
        let shared = Shared::start(config, base_url, background.clone()).map_err(std::io::Error::other)?;
        Ok(Emulator { listener, local_addr, shared, background: background.drop_guard() })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for tests and the sandbox; it stays usable after `run` ends.
    pub fn handle(&self) -> EmulatorHandle {
        EmulatorHandle { shared: self.shared.clone() }
    }

    /// Serves until `shutdown` is cancelled, lets in-flight requests finish,
    /// then stops webhook delivery and pending template reviews.
    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let Emulator { listener, shared, background, .. } = self;
        let app = routes::app(shared.clone());
        tracing::info!(addr = %listener.local_addr()?, "cloud api emulator serving");
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await;
        shared.stop().await;
        drop(background);
        served
    }
}

/// An address clients can reach: the unspecified address becomes loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
        SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port())),
        other => other,
    }
}

// === impl EmulatorHandle ===

impl EmulatorHandle {
    /// Every accepted `POST /messages` body, oldest first (the newest
    /// 100 000 in a long-running emulator).
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.sent()
    }

    /// Forgets what was sent.
    pub fn clear_sent(&self) {
        self.shared.clear_sent();
    }

    /// Queues a fault; faults are matched in the order they were injected.
    pub fn inject_fault(&self, fault: Fault) {
        self.shared.inject_fault(fault);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Turns `read` statuses for this contact on or off (on by default).
    pub fn set_read_receipts(&self, contact_wa_id: &str, on: bool) {
        self.shared.set_read_receipts(contact_wa_id, on);
    }

    /// Opens the contact's 24 h window, as if they had just written.
    pub fn open_window(&self, phone_number_id: &str, contact_wa_id: &str) {
        self.shared.open_window(phone_number_id, contact_wa_id);
    }

    /// Closes the contact's window, as if 24 h had passed.
    pub fn close_window(&self, phone_number_id: &str, contact_wa_id: &str) {
        self.shared.close_window(phone_number_id, contact_wa_id);
    }

    /// Injects an inbound message: opens the window, queues the signed
    /// `messages` webhook (contacts + messages) and returns its wamid.
    /// Inbound media without an `id` gets a fresh downloadable media id.
    pub async fn inject_inbound(&self, inbound: InboundSpec) -> Result<String, EmulatorError> {
        self.shared.inject_inbound(inbound)
    }

    /// Seeds an APPROVED template directly (no review, no webhook) and
    /// returns its id. `components` use the create-request shape; enum
    /// values may be in any case.
    pub fn add_template(
        &self,
        name: &str,
        language: &str,
        category: &str,
        components: serde_json::Value,
    ) -> Result<String, EmulatorError> {
        self.shared.add_template(name, language, category, components)
    }

    /// Corrupts a stored media object's bytes (its first byte is flipped)
    /// while keeping the SHA-256 and size given at upload, so its next
    /// download is a tampered one.
    pub fn corrupt_media(&self, media_id: &str) -> Result<(), EmulatorError> {
        media::corrupt(&self.shared, media_id)
    }

    /// How many media objects are stored (uploaded and inbound).
    pub fn media_count(&self) -> usize {
        self.shared.lock().media.len()
    }

    /// Changes where webhooks go; `None` stops posting (queued ones are dropped).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.shared.webhooks.set_url(url);
    }

    /// Clears every store (sent log, faults, media, templates, contacts,
    /// windows, queued webhooks), keeping the configuration.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// The base URL media download links start with.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }
}

#[cfg(test)]
mod tests;
