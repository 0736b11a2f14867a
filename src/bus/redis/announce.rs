//! Announcements: the pub/sub listener that turns every replica's publishes
//! into wake-ups of this replica's subscribers.

use std::{sync::Arc, time::Duration};

use redis::{Client, Value, aio::PubSub};
use tokio::{
    sync::watch,
    time::{Instant, interval_at, sleep, timeout},
};
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::connection::{self, RESPONSE_TIMEOUT, open_pubsub};

/// How often the pub/sub connection is checked with a PING: a half-open
/// connection would otherwise go unnoticed for as long as nothing is published.
const PUBSUB_HEALTH_EVERY: Duration = Duration::from_secs(15);

/// Turns announcements into wake-ups of the local subscribers, reconnecting
/// whenever the pub/sub connection is lost.
pub(super) async fn listen(
    client: Client,
    channel: String,
    first: PubSub,
    notify: Arc<watch::Sender<u64>>,
    shutdown: CancellationToken,
) {
    let mut pubsub = Some(first);
    let mut backoff = connection::backoff();
    loop {
        let current = match pubsub.take() {
            Some(current) => current,
            None => match open_pubsub(&client, &channel).await {
                Ok(current) => {
                    backoff.recovered("subscribing to announcements");
                    // Anything announced while we were away was missed:
                    // everyone reads from their cursor.
                    wake(&notify);
                    current
                }
                Err(error) => {
                    let delay = backoff.failed("subscribing to announcements", &error);
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = sleep(delay) => continue,
                    }
                }
            },
        };
        let (mut sink, mut messages) = current.split();
        let mut health = interval_at(Instant::now() + PUBSUB_HEALTH_EVERY, PUBSUB_HEALTH_EVERY);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                message = messages.next() => match message {
                    // The payload (the last id) is not needed: readers go by their cursor.
                    Some(_) => wake(&notify),
                    None => break,
                },
                _ = health.tick() => {
                    if !matches!(timeout(RESPONSE_TIMEOUT, sink.ping::<Value>()).await, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        warn!(%channel, "lost the pub/sub connection to Redis; reconnecting");
    }
}

/// Wakes every local subscriber.
pub(super) fn wake(notify: &watch::Sender<u64>) {
    notify.send_modify(|generation| *generation = generation.wrapping_add(1));
}
