//! The task that feeds a consumer-group subscription: new entries with
//! `XREADGROUP`, overdue ones taken over with `XAUTOCLAIM`, non-matching ones
//! acknowledged at once; and creating groups and storing their filters.

use std::time::Duration;

use redis::{
    RedisError, Value,
    aio::ConnectionManager,
    streams::{StreamAutoClaimReply, StreamId, StreamReadReply},
};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{
    connection::{self, millis},
    entry_id::EntryId,
    keys::Keys,
    reader::{Flow, REPOLL, Reader, decode},
};
use crate::bus::{Feeder, Filter};

/// How many entries a group consumer holds delivered but unread at most:
/// their acknowledgement deadline runs from the moment they are read.
pub(super) const GROUP_READ_AHEAD: usize = 16;

/// A consumer of a group.
pub(super) struct Member {
    /// The group's name.
    pub(super) group: String,
    /// The consumer's name within the group.
    pub(super) consumer: String,
    /// Named by the gateway, for this subscription only.
    pub(super) one_off: bool,
    /// The group's filter ([`Filter::canonical`]).
    pub(super) filter: String,
    /// How long a delivered entry may stay unacknowledged before another read takes it over.
    pub(super) ack_timeout: Duration,
    /// How many entries one read takes.
    pub(super) count: usize,
}

/// Feeds a consumer-group subscription: new entries with `XREADGROUP >`, and
/// entries left unacknowledged too long with `XAUTOCLAIM`; then deletes a
/// one-off consumer.
pub(super) async fn consume(mut reader: Reader, mut feeder: Feeder, filter: Filter, member: Member) {
    let flow = consume_until_stopped(&mut reader, &mut feeder, &filter, &member).await;
    flow.finish(feeder);
    if member.one_off {
        reader.forget(&member).await;
    }
}

/// The loop of [`consume`]; returns why it stopped.
async fn consume_until_stopped(reader: &mut Reader, feeder: &mut Feeder, filter: &Filter, member: &Member) -> Flow {
    // Claim often enough that an overdue entry waits at most about half the
    // timeout more; an idle consumer still looks every REPOLL.
    let claim_every = (member.ack_timeout / 2).clamp(Duration::from_millis(50), REPOLL);
    let mut next_claim = Instant::now();
    let mut claim_from = EntryId::ZERO.to_string();
    let mut backoff = connection::backoff();
    loop {
        // Read only when the subscriber has room: what is read is pending
        // for this consumer, its acknowledgement deadline running.
        let flow = reader.room(feeder).await;
        if flow != Flow::Go {
            return flow;
        }
        reader.notify.borrow_and_update();
        let claiming = Instant::now() >= next_claim;
        let read = if claiming {
            reader.autoclaim(member, &claim_from).await.map(|(entries, next)| (entries, Some(next)))
        } else {
            reader.read_group(member).await.map(|entries| (entries, None))
        };
        let flow = match read {
            Ok((entries, next)) => {
                backoff.recovered("reading the consumer group");
                let more = match next {
                    // Go on with the scan of the pending entries.
                    Some(next) if next != "0-0" && EntryId::parse(&next).is_some() => {
                        claim_from = next;
                        true
                    }
                    // The scan is complete: read new entries now, claim later.
                    Some(_) => {
                        claim_from = EntryId::ZERO.to_string();
                        next_claim = Instant::now() + claim_every;
                        true
                    }
                    None => entries.len() >= member.count,
                };
                match reader.deliver(feeder, filter, member, entries).await {
                    Flow::Go if more => continue,
                    Flow::Go => {
                        let within = next_claim.saturating_duration_since(Instant::now()).min(REPOLL);
                        reader.wait(feeder, within).await
                    }
                    other => other,
                }
            }
            Err(error) => {
                if reader.recreate_if_lost(member, &error).await {
                    continue;
                }
                let delay = backoff.failed("reading the consumer group", &error);
                reader.wait(feeder, delay).await
            }
        };
        if flow != Flow::Go {
            return flow;
        }
    }
}

// === impl Reader: consumer groups ===

impl Reader {
    /// One `XREADGROUP … >`, without BLOCK (see the module docs for why).
    async fn read_group(&mut self, member: &Member) -> Result<Vec<StreamId>, RedisError> {
        let xreadgroup = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&member.group)
            .arg(&member.consumer)
            .arg("COUNT")
            .arg(member.count)
            .arg("STREAMS")
            .arg(&self.keys.stream)
            .arg(">")
            .clone();
        // Nil when there is nothing new.
        let reply: Option<StreamReadReply> = xreadgroup.query_async(&mut self.conn).await?;
        Ok(reply.into_iter().flat_map(|reply| reply.keys).flat_map(|key| key.ids).collect())
    }

    /// One `XAUTOCLAIM` round from `from`: the entries pending longer than the
    /// acknowledgement timeout, now this consumer's, and where the next round
    /// starts (`0-0` when the scan is complete).
    async fn autoclaim(&mut self, member: &Member, from: &str) -> Result<(Vec<StreamId>, String), RedisError> {
        let xautoclaim = redis::cmd("XAUTOCLAIM")
            .arg(&self.keys.stream)
            .arg(&member.group)
            .arg(&member.consumer)
            .arg(millis(member.ack_timeout).max(1))
            .arg(from)
            .arg("COUNT")
            .arg(member.count)
            .clone();
        let reply: StreamAutoClaimReply = xautoclaim.query_async(&mut self.conn).await?;
        if !reply.claimed.is_empty() {
            debug!(
                group = %member.group,
                consumer = %member.consumer,
                count = reply.claimed.len(),
                "redelivering events not acknowledged in time"
            );
        }
        Ok((reply.claimed, reply.next_stream_id))
    }

    /// Feeds the entries a group read returned; acknowledges at once those
    /// that do not match the filter (every consumer of the group has this
    /// filter: they are for none of them) or cannot be decoded (they could
    /// never be delivered).
    async fn deliver(&mut self, feeder: &mut Feeder, filter: &Filter, member: &Member, entries: Vec<StreamId>) -> Flow {
        let mut skipped = Vec::new();
        let mut flow = Flow::Go;
        for entry in entries {
            let id = entry.id.clone();
            match decode(entry) {
                Some(event) if filter.matches(&event) => {
                    // What is not fed stays pending and is claimed again later.
                    flow = self.feed_paced(feeder, event).await;
                    if flow != Flow::Go {
                        break;
                    }
                }
                _ => skipped.push(id),
            }
        }
        if !skipped.is_empty() {
            let xack = redis::cmd("XACK").arg(&self.keys.stream).arg(&member.group).arg(&skipped).clone();
            if let Err(error) = xack.query_async::<u64>(&mut self.conn).await {
                // They stay pending, come back through XAUTOCLAIM and are skipped then.
                debug!(%error, "could not acknowledge skipped events");
            }
        }
        flow
    }

    /// Recreates the group when Redis lost it (a restart without persistence,
    /// or someone deleted it); returns whether it did. It starts at `0`: after
    /// data loss everything in the stream is new, and redelivering beats
    /// losing.
    async fn recreate_if_lost(&mut self, member: &Member, error: &RedisError) -> bool {
        if error.code() != Some("NOGROUP") {
            return false;
        }
        warn!(group = %member.group, "the consumer group is gone from Redis; recreating it");
        // Its filter went with it, most likely: keep it this consumer's.
        if let Err(error) = claim_group_filter(&mut self.conn, &self.keys, &member.group, &member.filter).await {
            debug!(%error, "could not store the recreated group's filter");
        }
        create_group(&mut self.conn, &self.keys.stream, &member.group, "0").await.is_ok()
    }

    /// Deletes a one-off consumer whose subscription ended, unless entries
    /// are pending for it: deleting it would drop them from the group's
    /// pending list, and nobody would get them again. Nothing else reads as
    /// this consumer, so nothing becomes pending for it meanwhile. Best
    /// effort: a consumer left behind only takes a little room in Redis.
    async fn forget(&mut self, member: &Member) {
        let xpending = redis::cmd("XPENDING")
            .arg(&self.keys.stream)
            .arg(&member.group)
            .arg("-")
            .arg("+")
            .arg(1)
            .arg(&member.consumer)
            .clone();
        match xpending.query_async::<Vec<Value>>(&mut self.conn).await {
            Ok(pending) if pending.is_empty() => {}
            Ok(_) => {
                debug!(group = %member.group, consumer = %member.consumer, "keeping a consumer with pending events");
                return;
            }
            Err(error) => {
                debug!(%error, consumer = %member.consumer, "could not check a consumer's pending events");
                return;
            }
        }
        let delete = redis::cmd("XGROUP")
            .arg("DELCONSUMER")
            .arg(&self.keys.stream)
            .arg(&member.group)
            .arg(&member.consumer)
            .clone();
        if let Err(error) = delete.query_async::<u64>(&mut self.conn).await {
            debug!(%error, consumer = %member.consumer, "could not delete a finished consumer");
        }
    }
}

/// `XGROUP CREATE … MKSTREAM`; an existing group is left as it is.
pub(super) async fn create_group(
    conn: &mut ConnectionManager,
    stream: &str,
    group: &str,
    start: &str,
) -> Result<(), RedisError> {
    let create = redis::cmd("XGROUP").arg("CREATE").arg(stream).arg(group).arg(start).arg("MKSTREAM").clone();
    match create.query_async::<()>(conn).await {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Stores `canonical` as `group`'s filter unless it has one; returns the one
/// it has (`None` when this stored it).
pub(super) async fn claim_group_filter(
    conn: &mut ConnectionManager,
    keys: &Keys,
    group: &str,
    canonical: &str,
) -> Result<Option<String>, RedisError> {
    let key = keys.group_filter(group);
    let set = redis::cmd("SET").arg(&key).arg(canonical).arg("NX").clone();
    let stored: Option<String> = set.query_async(conn).await?;
    if stored.is_some() {
        return Ok(None);
    }
    // Redis 6.2 cannot combine NX with GET.
    redis::cmd("GET").arg(&key).query_async(conn).await
}
