//! One webhook connection, served by hyper and watched by us: closed when it
//! is evicted or too slow to send its first request, when it has had no
//! request in flight for the idle timeout, or at shutdown.

use std::{
    convert::Infallible,
    net::SocketAddr,
    pin::pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::Full;
use hyper::{server::conn::http1, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulConnection},
};
use tokio::{
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::pending::{Admitted, Pending};
use crate::webhook::handler::{WebhookState, handle};

/// The largest buffer hyper may hold for one connection's request head.
const MAX_HEAD_BUFFER: usize = 64 * 1024;
/// Streams one HTTP/2 connection may open at once (when HTTP/2 is enabled).
const MAX_HTTP2_STREAMS: u32 = 64;
/// How often a connection with a request in flight is looked at again.
const IN_FLIGHT_RECHECK: Duration = Duration::from_secs(1);

/// What every connection shares.
pub(super) struct Shared {
    pub(super) state: Arc<WebhookState>,
    pub(super) pending: Arc<Pending>,
    pub(super) active: Arc<Semaphore>,
    pub(super) shutdown: CancellationToken,
}

/// What the watchdog knows of one connection.
struct Activity {
    id: u64,
    accepted: Instant,
    requested: AtomicBool,
    refused: AtomicBool,
    in_flight: AtomicUsize,
    /// Milliseconds after `accepted` when the last request ended.
    last_request_end_ms: AtomicU64,
    active_permit: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Activity {
    /// The moment the connection is closed unless something happens first.
    fn deadline(&self, state: &WebhookState) -> Instant {
        let limits = &state.limits;
        if !self.requested.load(Ordering::Acquire) {
            self.accepted + limits.header_read_timeout
        } else if self.in_flight.load(Ordering::Acquire) > 0 {
            Instant::now() + IN_FLIGHT_RECHECK
        } else {
            self.accepted
                + Duration::from_millis(self.last_request_end_ms.load(Ordering::Acquire))
                + limits.idle_timeout
        }
    }

    /// Marks the first request: the connection leaves the pending set and
    /// takes a place among the connections served. `false` when none is free.
    fn start_serving(&self, shared: &Shared) -> bool {
        if self.refused.load(Ordering::Acquire) {
            return false;
        }
        if self.requested.swap(true, Ordering::AcqRel) {
            return true;
        }
        shared.pending.leave(self.id);
        match shared.active.clone().try_acquire_owned() {
            Ok(permit) => {
                *self.active_permit.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
                true
            }
            Err(_) => {
                self.refused.store(true, Ordering::Release);
                false
            }
        }
    }
}

/// Counts a request in flight until dropped.
struct InFlight<'a>(&'a Activity);

impl<'a> InFlight<'a> {
    fn start(activity: &'a Activity) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(activity)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let elapsed = u64::try_from(self.0.accepted.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_request_end_ms.store(elapsed, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn connection_limit_reached() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(
        b"webhook connection limit reached (webhook.max_connections); retry later",
    )));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Serves one accepted connection until it ends or is closed.
pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, admitted: Admitted, shared: Shared) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        id: admitted.id,
        accepted: Instant::now(),
        requested: AtomicBool::new(false),
        refused: AtomicBool::new(false),
        in_flight: AtomicUsize::new(0),
        last_request_end_ms: AtomicU64::new(0),
        active_permit: Mutex::new(None),
    });
    let shared = Arc::new(shared);
    let service = service_fn({
        let (activity, shared) = (activity.clone(), shared.clone());
        move |request| {
            let (activity, shared) = (activity.clone(), shared.clone());
            async move {
                if !activity.start_serving(&shared) {
                    return Ok::<_, Infallible>(connection_limit_reached());
                }
                let _in_flight = InFlight::start(&activity);
                Ok(handle(&shared.state, request).await)
            }
        }
    });
    let io = TokioIo::new(stream);
    if shared.state.limits.http2 {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().max_buf_size(MAX_HEAD_BUFFER);
        builder.http2().timer(TokioTimer::new()).max_concurrent_streams(MAX_HTTP2_STREAMS);
        watch(builder.serve_connection(io, service), peer, &admitted.evicted, &activity, &shared).await;
    } else {
        let mut builder = http1::Builder::new();
        builder.max_buf_size(MAX_HEAD_BUFFER);
        watch(builder.serve_connection(io, service), peer, &admitted.evicted, &activity, &shared).await;
    }
    // Closed before its first request (or evicted): no longer pending.
    shared.pending.leave(activity.id);
}

/// Drives `connection`, closing it when one of its limits is reached.
async fn watch<C>(connection: C, peer: SocketAddr, evicted: &CancellationToken, activity: &Activity, shared: &Shared)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut connection = pin!(connection);
    let mut draining = false;
    loop {
        let requested = activity.requested.load(Ordering::Acquire);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "webhook connection ended with an error");
                }
                return;
            }
            () = evicted.cancelled(), if !requested => return,
            () = shared.shutdown.cancelled(), if !draining => {
                if !requested {
                    return;
                }
                // hyper closes it at once when no request is in flight,
                // after the response otherwise.
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
            () = tokio::time::sleep_until(activity.deadline(&shared.state)) => {
                let idle = activity.in_flight.load(Ordering::Acquire) == 0;
                if idle && activity.deadline(&shared.state) <= Instant::now() {
                    tracing::debug!(%peer, requested, "closed a webhook connection that was idle or slow");
                    return;
                }
            }
        }
    }
}
