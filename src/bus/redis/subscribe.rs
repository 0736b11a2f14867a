//! The task that feeds a plain subscription: replay from its cursor with
//! `XRANGE`, then live events as announcements wake it.

use std::{sync::Arc, time::Duration};

use redis::{
    RedisError,
    streams::{StreamId, StreamRangeReply},
};
use tracing::warn;

use super::{
    connection,
    entry_id::EntryId,
    reader::{Flow, REPOLL, Reader, decode},
};
use crate::bus::{Feeder, Filter};

/// How many entries one read fetches at most.
const READ_BATCH: usize = 512;

/// Feeds a plain subscription from `cursor` on, until the subscriber goes
/// away, lags or the bus shuts down.
///
/// Entries up to `replay_until` (the newest when it subscribed) are replay,
/// fed at the subscriber's pace; later ones are live, and a subscriber that
/// cannot take them is cut off with its cursor.
pub(super) async fn tail(
    mut reader: Reader,
    mut feeder: Feeder,
    filter: Filter,
    mut cursor: EntryId,
    replay_until: EntryId,
) {
    let mut backoff = connection::backoff();
    loop {
        // Mark announcements seen before reading: one arriving during the
        // read wakes the next wait at once.
        reader.notify.borrow_and_update();
        let flow = match cursor.successor() {
            // Nothing can come after the largest id.
            None => reader.wait(&feeder, Duration::MAX).await,
            Some(from) => match reader.range(from).await {
                Ok(entries) => {
                    backoff.recovered("reading the event stream");
                    let caught_up = entries.len() < READ_BATCH;
                    let mut flow = Flow::Go;
                    for entry in entries {
                        let Some(id) = EntryId::parse(&entry.id) else {
                            warn!(id = %entry.id, "skipping a stream entry with an unexpected id");
                            continue;
                        };
                        // Advance past every entry read, matching or not.
                        cursor = id;
                        let Some(event) = decode(entry) else { continue };
                        if !filter.matches(&event) {
                            continue;
                        }
                        flow = if id > replay_until {
                            feeder.feed(Arc::new(event)).into()
                        } else {
                            reader.feed_paced(&mut feeder, event).await
                        };
                        if flow != Flow::Go {
                            break;
                        }
                    }
                    match flow {
                        Flow::Go if !caught_up => continue,
                        Flow::Go => reader.wait(&feeder, REPOLL).await,
                        other => other,
                    }
                }
                Err(error) => {
                    let delay = backoff.failed("reading the event stream", &error);
                    reader.wait(&feeder, delay).await
                }
            },
        };
        if flow != Flow::Go {
            return flow.finish(feeder);
        }
    }
}

// === impl Reader: plain subscriptions ===

impl Reader {
    /// Up to [`READ_BATCH`] entries from `from` on (inclusive).
    async fn range(&mut self, from: EntryId) -> Result<Vec<StreamId>, RedisError> {
        let xrange = redis::cmd("XRANGE")
            .arg(&self.keys.stream)
            .arg(from.to_string())
            .arg("+")
            .arg("COUNT")
            .arg(READ_BATCH)
            .clone();
        let reply: StreamRangeReply = xrange.query_async(&mut self.conn).await?;
        Ok(reply.ids)
    }
}
