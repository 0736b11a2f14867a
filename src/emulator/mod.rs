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
//! Layout, from the bottom floor up; each module imports only from the
//! floors below it:
//! - `config`, `control`, `ids` and `wire`: plain data (the configuration,
//!   the test-facing API types, Meta-shaped ids and JSON); `errors`: Meta's
//!   error envelopes.
//! - `validate`, `media` and `templates`: the rules of their endpoints, pure
//!   functions; `webhooks`: the signed delivery queue.
//! - `state`: the in-memory store and its background work.
//! - `extract`: request extractors; `handlers`: one module per endpoint
//!   family, the admin API included.
//! - `routes`: the path table, auth and fault injection; this module: the
//!   public [`Emulator`] and [`EmulatorHandle`].

mod config;
mod control;
mod errors;
mod extract;
mod handlers;
mod ids;
mod media;
mod routes;
mod state;
mod templates;
mod validate;
mod webhooks;
mod wire;

use std::{net::SocketAddr, sync::Arc};

use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

pub use config::EmulatorConfig;
pub use control::{EmulatorError, Fault, FaultKind, InboundSpec, SentMessage};
pub use webhooks::signature;

use state::Shared;

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
        self.shared.corrupt_media(media_id)
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
mod samples;
