//! What every subscription task shares: its connection and wake-ups, the
//! waits that end on shutdown or on the subscriber leaving, and decoding
//! stream entries into events.

use std::{future, sync::Arc, time::Duration};

use prost::Message as _;
use redis::{Value, aio::ConnectionManager, streams::StreamId};
use tokio::{sync::watch, time::timeout};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::keys::Keys;
use crate::{
    bus::{BusError, Fed, Feeder},
    pb,
};

/// The stream field holding the encoded event.
const FIELD: &str = "e";

/// How often an idle subscriber reads anyway, in case an announcement was lost.
pub(super) const REPOLL: Duration = Duration::from_secs(5);

/// What a subscription task needs.
pub(super) struct Reader {
    /// The bus's command connection (a cheap clone of it).
    pub(super) conn: ConnectionManager,
    /// The bus's key names.
    pub(super) keys: Arc<Keys>,
    /// Changes on every announcement: time to read again.
    pub(super) notify: watch::Receiver<u64>,
    /// Cancelled when the gateway shuts down or the bus drops.
    pub(super) shutdown: CancellationToken,
}

/// Whether a subscription task goes on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flow {
    /// Go on (read again).
    Go,
    /// The subscriber dropped its stream or was cut off for lagging.
    Stop,
    /// The gateway is shutting down.
    Shutdown,
}

impl Flow {
    /// Ends a subscription: on shutdown, tells the subscriber to come back
    /// (with its last cursor) rather than ending the stream as if complete.
    pub(super) fn finish(self, feeder: Feeder) {
        if self == Self::Shutdown {
            feeder.fail(BusError::Unavailable("the gateway is shutting down; resume after the last cursor".into()));
        }
    }
}

impl From<Fed> for Flow {
    fn from(fed: Fed) -> Self {
        match fed {
            Fed::Sent => Self::Go,
            Fed::Stop => Self::Stop,
        }
    }
}

// === impl Reader ===

impl Reader {
    /// Waits for an announcement or `within`, whichever comes first.
    pub(super) async fn wait(&mut self, feeder: &Feeder, within: Duration) -> Flow {
        let notify = &mut self.notify;
        let news = async {
            // A closed channel means the bus is being dropped, which cancels
            // `shutdown`; until then only the timer wakes us.
            if notify.changed().await.is_err() {
                future::pending::<()>().await;
            }
        };
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => Flow::Shutdown,
            () = feeder.closed() => Flow::Stop,
            _ = timeout(within, news) => Flow::Go,
        }
    }

    /// Waits until the subscriber has room for an event.
    pub(super) async fn room(&self, feeder: &Feeder) -> Flow {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => Flow::Shutdown,
            room = feeder.room() => if room { Flow::Go } else { Flow::Stop },
        }
    }

    /// Feeds a replayed event at the subscriber's pace: the events are safe
    /// in the log meanwhile, so a large replay never lags anyone.
    pub(super) async fn feed_paced(&self, feeder: &mut Feeder, event: pb::Event) -> Flow {
        tokio::select! {
            fed = feeder.feed_paced(Arc::new(event)) => fed.into(),
            () = self.shutdown.cancelled() => Flow::Shutdown,
        }
    }
}

/// The event in a stream entry, its cursor set; `None` (logged) when the
/// entry does not hold one.
pub(super) fn decode(mut entry: StreamId) -> Option<pb::Event> {
    let Some(Value::BulkString(bytes)) = entry.map.remove(FIELD) else {
        warn!(cursor = %entry.id, "skipping a stream entry without an event");
        return None;
    };
    match pb::Event::decode(bytes.as_slice()) {
        Ok(mut event) => {
            event.cursor = entry.id;
            Some(event)
        }
        Err(error) => {
            warn!(cursor = %entry.id, %error, "skipping a stream entry that does not decode");
            None
        }
    }
}
