//! The webhook listener Meta posts to (hyper 1): accepting connections and
//! holding each to its limits; each request goes to [`super::handler`].
//!
//! The listener faces the internet, so no stranger may stall it:
//! - a new connection has `header_read_timeout` to send its first request
//!   head, and connections that have not sent one yet have a cap of their own
//!   ([`pending`]): past it the oldest is closed, so idle or slow-header
//!   connections can never keep out a POST that arrives whole;
//! - a connection that has sent a request counts against `max_connections`;
//!   with no request in flight for `idle_timeout` it is closed;
//! - bodies reserve their size from a global budget before they are read
//!   ([`super::budget`]);
//! - accept errors (out of descriptors) back off instead of spinning and are
//!   logged at most once a second ([`crate::accept_errors`]);
//! - at shutdown the listening socket closes at once, connections without a
//!   request in flight close at once, and requests in flight finish.

mod connection;
mod pending;

use std::{io, net::SocketAddr, sync::Arc};

use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use self::pending::Pending;
use super::handler::WebhookState;
use crate::accept_errors::AcceptErrors;

/// A bound webhook listener.
pub struct Listener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Listener {
    /// Binds `addr` (port 0 allowed).
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` is cancelled, then closes the listening
    /// socket and lets the requests in flight finish.
    pub async fn run(self, state: Arc<WebhookState>, shutdown: CancellationToken) -> io::Result<()> {
        let limits = &state.limits;
        let pending = Arc::new(Pending::new(limits.max_pending_connections));
        let active = Arc::new(Semaphore::new(limits.max_connections.min(Semaphore::MAX_PERMITS)));
        let connections = TaskTracker::new();
        let mut errors = AcceptErrors::new("webhook");
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = shutdown.cancelled() => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => {
                    errors.succeeded();
                    accepted
                }
                Err(e) => {
                    // Out of descriptors, say: wait for connections to close
                    // rather than spin on an accept that fails at once.
                    let pause = errors.failed(&e);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = shutdown.cancelled() => break,
                    }
                    continue;
                }
            };
            let admitted = pending.admit();
            connections.spawn(connection::serve(
                stream,
                peer,
                admitted,
                connection::Shared {
                    state: state.clone(),
                    pending: pending.clone(),
                    active: active.clone(),
                    shutdown: shutdown.clone(),
                },
            ));
        }
        // New connections are refused from here on.
        drop(self.listener);
        connections.close();
        connections.wait().await;
        Ok(())
    }
}
