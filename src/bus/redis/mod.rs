//! The Redis backend of the event bus: any number of gateway replicas share
//! one event log.
//!
//! # Layout in Redis
//!
//! Every key starts with the configured prefix `P`:
//!
//! | key | type | what |
//! | --- | --- | --- |
//! | `P events` | stream | the log: one entry per event, its encoded protobuf in field `e`; the entry id is the event's cursor; capped by `MAXLEN ~ history` and `MINID ~ now - max_age` |
//! | `P events:new` | pub/sub channel | the id of the last entry of each published batch |
//! | `P seen:<waba id>:<event id>` | string, `PX dedup_window` | the event id was stored: a redelivery is dropped |
//! | `P status:<waba id>:<wamid>` | string, `PX dedup_window` | the furthest status rank stored for the message |
//! | `P group-filter:<group>` | string | the filter of consumer group `<group>` ([`Filter::canonical`], JSON), set by its first subscriber |
//! | `P durable` | string, `PX 60000` | written by each durability round, which then waits for that write (`redis.durability`) |
//!
//! # Guarantees
//!
//! - `publish` runs one Lua script per batch, so a batch is deduplicated,
//!   ranked, appended and announced atomically: on error nothing of it is
//!   stored. The script checks every key's type before its first write,
//!   because Redis does not roll back a script that fails half-way.
//! - A subscription's cursor (the last entry id it read) is the single source
//!   of truth: it reads `XRANGE` from just after the cursor until caught up,
//!   then waits for the next announcement, so replay turns into live delivery
//!   with no gap and no duplicate. Announcements only wake readers up; a missed
//!   one (a pub/sub reconnect) is covered by waking everyone after each
//!   reconnect and by a re-read every few seconds.
//! - What was in the log when a subscription started is replay, fed at the
//!   subscriber's pace; what is published later is live, and a subscriber
//!   more than its buffer behind on it is cut off with [`BusError::Lagged`].
//! - Redis errors while subscribed are retried with backoff: a subscription
//!   outlives a Redis outage and resumes from its cursor. Entry ids are
//!   time-based, so even a Redis that restarted empty hands out ids after the
//!   cursors its subscribers hold.
//! - A consumer group delivers each entry to one of its consumers
//!   (`XREADGROUP … >`); an entry not acknowledged within `ack_timeout` is
//!   taken over by whichever consumer runs `XAUTOCLAIM` next (possibly the
//!   same one), so delivery is at least once. Group consumers are fed at
//!   their pace and never cut off.
//! - A group has one filter: `SET … NX` stores the first subscriber's, and a
//!   subscriber with another is refused. So an entry that does not match is
//!   for no consumer of the group, and is acknowledged at once, even one
//!   taken over from another consumer.
//! - With `redis.durability` set, `publish` returns only once its events
//!   survive a Redis crash: fsynced to the append-only file (`WAITAOF`, or
//!   `appendfsync always` checked at startup on Redis before 7.2) or
//!   acknowledged by replicas (`WAIT`). When the wait fails the events stay
//!   stored, but `publish` fails, so the webhook answers 503 and Meta's
//!   redelivery is deduplicated and waited for again.
//! - A consumer the gateway named itself (the client gave no name) is
//!   deleted from the group when its subscription ends with nothing pending
//!   for it; one with entries pending stays, so that they are redelivered.
//!
//! # Connections
//!
//! One multiplexed [`ConnectionManager`] (which reconnects by itself) carries
//! every command, and one pub/sub connection per [`RedisBus`] carries the
//! announcements to all local subscribers through a [`watch`] channel. No
//! command blocks on the server: consumer groups read with a non-blocking
//! `XREADGROUP` when woken by an announcement, exactly like plain
//! subscriptions read `XRANGE`. A blocking `XREADGROUP … BLOCK` would stall
//! every other command pipelined on the shared connection, and a dedicated
//! connection per group subscriber would cost one Redis client (and one
//! reconnect loop) per gRPC stream, while the announcement already says when
//! there is something to read.
//!
//! Requires Redis 6.2 or later (`XAUTOCLAIM`, `XTRIM MINID`). Redis Cluster is
//! not supported: the publish script touches keys in many hash slots.
//!
//! # Files
//!
//! This file holds [`RedisBus`] and its commands. `scripts` holds the publish
//! script; `subscribe` the task that feeds a plain subscription, `groups` the
//! one that feeds a consumer-group subscription (both on the `reader`
//! shared by the two); `announce` the pub/sub listener that wakes them;
//! `connection` the connections, their timeouts and retry delays;
//! `persistence` reads what protects acknowledged events at startup, and
//! `durable` waits for it on every publish;
//! `keys` and `entry_id` the names and ids in Redis.

mod announce;
mod connection;
mod durable;
mod entry_id;
mod groups;
mod keys;
mod persistence;
mod reader;
mod scripts;
mod subscribe;

use std::{fmt, sync::Arc};

use prost::Message as _;
use redis::{Client, Script, aio::ConnectionManager, streams::StreamRangeReply};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

use self::{
    announce::{listen, wake},
    connection::{command_connection, millis, open_pubsub, retry_dropped, unavailable},
    durable::Confirmer,
    entry_id::EntryId,
    groups::{GROUP_READ_AHEAD, Member, claim_group_filter, consume, create_group},
    keys::Keys,
    reader::Reader,
    scripts::PUBLISH_LUA,
    subscribe::tail,
};
use super::{BusError, BusSettings, Filter, Start, Subscription, account_scoped, mark_superseded, status_rank};
use crate::{config::Durability, pb};

pub use self::persistence::{Fsync, Persistence, Protection, Role, Version};

/// Why a Redis bus could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Redis could not be reached.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// `redis.durability` cannot be guaranteed on this server; says what to change.
    #[error("{0}")]
    Durability(String),
}

/// The event bus on Redis: one capped stream for history, replay and consumer
/// groups, pub/sub to wake every replica's subscribers.
pub struct RedisBus {
    conn: ConnectionManager,
    keys: Arc<Keys>,
    settings: BusSettings,
    script: Script,
    /// Bumped on every announcement; subscribers re-read when it changes.
    notify: Arc<watch::Sender<u64>>,
    /// Stops this bus's tasks: cancelled with the parent token or when the bus drops.
    shutdown: CancellationToken,
    _stop_tasks: DropGuard,
    /// The server's persistence as read at startup, or why it could not be.
    persistence: Result<Persistence, String>,
    /// Waits for durability after each publish, when configured.
    confirmer: Option<Confirmer>,
}

// === impl RedisBus ===

impl RedisBus {
    /// Connects with a [`ConnectionManager`] (which reconnects by itself),
    /// subscribes to the announcements and starts the pub/sub listener task.
    ///
    /// `url` is a redis-rs URL (`redis://`, `rediss://`, `redis+unix://`);
    /// every key starts with `key_prefix`. The listener and every subscription
    /// stop when `shutdown` is cancelled or this bus is dropped.
    pub async fn connect(
        url: &str,
        key_prefix: &str,
        settings: BusSettings,
        shutdown: CancellationToken,
    ) -> Result<Self, BusError> {
        Self::connect_durable(url, key_prefix, settings, Durability::None, shutdown).await.map_err(|e| match e {
            ConnectError::Bus(e) => e,
            ConnectError::Durability(why) => BusError::Unavailable(why),
        })
    }

    /// [`RedisBus::connect`], then reads the server's persistence and makes
    /// every publish wait for `durability`. Refuses (with what to change)
    /// when the server cannot guarantee it: `Durability::Aof` on Redis
    /// before 7.2 needs `appendonly yes` and `appendfsync always`.
    pub async fn connect_durable(
        url: &str,
        key_prefix: &str,
        settings: BusSettings,
        durability: Durability,
        shutdown: CancellationToken,
    ) -> Result<Self, ConnectError> {
        let client = Client::open(url).map_err(unavailable)?;
        let mut conn = command_connection(&client).await.map_err(unavailable)?;
        let keys = Arc::new(Keys::new(key_prefix));
        let persistence = persistence::inspect(&mut conn).await.map_err(|e| e.to_string());
        let plan = persistence::plan(&durability, persistence.as_ref().map_err(String::as_str))
            .map_err(ConnectError::Durability)?;
        let shutdown = shutdown.child_token();
        let confirmer =
            Confirmer::start(plan, &client, keys.durable.clone(), shutdown.clone()).await.map_err(unavailable)?;

        // Subscribe before returning, so that a subscription made right after
        // `connect` hears the very next announcement.
        let pubsub = open_pubsub(&client, &keys.channel).await.map_err(unavailable)?;
        let (notify, _) = watch::channel(0u64);
        let notify = Arc::new(notify);
        tokio::spawn(listen(client, keys.channel.clone(), pubsub, notify.clone(), shutdown.clone()));

        Ok(Self {
            conn,
            keys,
            settings,
            script: Script::new(PUBLISH_LUA),
            notify,
            _stop_tasks: shutdown.clone().drop_guard(),
            shutdown,
            persistence,
            confirmer,
        })
    }

    /// The server's persistence and replication as read at startup, or why
    /// they could not be read (`INFO` refused).
    pub fn persistence(&self) -> Result<&Persistence, &str> {
        self.persistence.as_ref().map_err(String::as_str)
    }

    /// Stores `events` in order, dropping redeliveries and marking superseded
    /// statuses, and returns the ones stored with their cursors. On error
    /// nothing of the batch is stored.
    pub async fn publish(&self, mut events: Vec<pb::Event>) -> Result<Vec<pb::Event>, BusError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let window = millis(self.settings.dedup_window).max(1);
        let max_age = self.settings.max_age.map_or(0, |age| millis(age).max(1));
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(&self.keys.stream)
            .arg(&self.keys.channel)
            .arg(self.settings.history.max(1))
            .arg(max_age)
            .arg(window)
            .arg(events.len());
        for event in &mut events {
            // The cursor is the entry id, assigned by XADD; never stored.
            event.cursor.clear();
            // An event without an id has no identity to deduplicate by.
            let dedup = !event.id.is_empty();
            if dedup {
                invocation.key(self.keys.seen(&account_scoped(event, &event.id)));
            }
            match status_rank(event) {
                Some((wamid, rank)) => {
                    invocation.key(self.keys.status(&account_scoped(event, wamid)));
                    // The script picks one: it alone knows the furthest status.
                    let mut late = event.clone();
                    mark_superseded(&mut late);
                    invocation.arg(u8::from(dedup)).arg(rank).arg(event.encode_to_vec()).arg(late.encode_to_vec());
                }
                None => {
                    invocation.arg(u8::from(dedup)).arg(0u8).arg(event.encode_to_vec()).arg("");
                }
            }
        }

        let mut conn = self.conn.clone();
        let reply: Vec<String> = retry_dropped!(invocation.invoke_async(&mut conn).await).map_err(unavailable)?;
        if reply.len() != 2 * events.len() {
            return Err(BusError::Unavailable(format!(
                "redis: the publish script answered {} values for {} events",
                reply.len(),
                events.len()
            )));
        }

        let mut stored = Vec::with_capacity(events.len());
        for (mut event, outcome) in events.into_iter().zip(reply.chunks_exact(2)) {
            let [cursor, superseded] = outcome else { continue };
            if cursor.is_empty() {
                continue;
            }
            event.cursor.clone_from(cursor);
            if superseded == "1" {
                mark_superseded(&mut event);
            }
            stored.push(event);
        }
        if !stored.is_empty() {
            // The script announced the batch to every replica; wake the local
            // subscribers now rather than after the round trip.
            wake(&self.notify);
        }
        // Even when every event was a redelivery: the write that first
        // stored them precedes the confirmation's.
        if let Some(confirmer) = &self.confirmer {
            confirmer.confirm().await?;
        }
        Ok(stored)
    }

    /// A subscription from `start`, filtered. `Start::Newest` means after the
    /// last event stored when this returns.
    pub async fn subscribe(&self, start: Start, filter: Filter) -> Result<Subscription, BusError> {
        let after = match start {
            Start::After(cursor) => Some(EntryId::parse_cursor(cursor)?),
            Start::Oldest => Some(EntryId::ZERO),
            Start::Newest => None,
        };
        // What is in the log now is replay, fed at the subscriber's pace;
        // what comes later is live.
        let newest = self.last_entry().await?;
        let cursor = match after {
            Some(after) => self.issued(after, newest).await?,
            None => newest,
        };
        let (feeder, subscription) = Subscription::channel(self.settings.subscriber_buffer);
        tokio::spawn(tail(self.reader(), feeder, filter, cursor, newest));
        Ok(subscription)
    }

    /// A subscription sharing `group`'s events with the group's other
    /// consumers. `start` applies only when this creates the group; `filter`
    /// must be the group's (see [`super::Bus::subscribe_group`]). `consumer`
    /// `None` makes a one-off consumer, deleted from the group when the
    /// subscription ends with nothing pending for it.
    pub async fn subscribe_group(
        &self,
        group: &str,
        consumer: Option<&str>,
        start: Start,
        filter: Filter,
    ) -> Result<Subscription, BusError> {
        let start = match start {
            Start::After(cursor) => {
                let after = EntryId::parse_cursor(cursor)?;
                self.issued(after, self.last_entry().await?).await?.to_string()
            }
            Start::Oldest => "0".to_owned(),
            Start::Newest => "$".to_owned(),
        };
        let canonical = filter.canonical();
        let mut conn = self.conn.clone();
        // Before the group exists: a refused subscriber creates nothing.
        let stored =
            retry_dropped!(claim_group_filter(&mut conn, &self.keys, group, &canonical).await).map_err(unavailable)?;
        if stored.is_some_and(|stored| stored != canonical) {
            return Err(BusError::GroupFilterMismatch { group: group.to_owned() });
        }
        retry_dropped!(create_group(&mut conn, &self.keys.stream, group, &start).await).map_err(unavailable)?;

        // Half the read-ahead may wait in the subscription, half in the
        // consumer task; reading little also leaves entries to the group's
        // other consumers.
        let (feeder, subscription) = Subscription::channel(self.settings.subscriber_buffer.min(GROUP_READ_AHEAD / 2));
        let member = Member {
            group: group.to_owned(),
            consumer: consumer.map_or_else(|| format!("c-{:016x}", rand::random::<u64>()), str::to_owned),
            one_off: consumer.is_none(),
            filter: canonical,
            ack_timeout: self.settings.ack_timeout,
            count: feeder.buffer(),
        };
        tokio::spawn(consume(self.reader(), feeder, filter, member));
        Ok(subscription)
    }

    /// Acknowledges events delivered to `group`; returns how many were
    /// pending. Every cursor is checked before anything is acknowledged.
    pub async fn ack(&self, group: &str, cursors: &[String]) -> Result<u32, BusError> {
        for cursor in cursors {
            EntryId::parse_cursor(cursor)?;
        }
        if cursors.is_empty() {
            return Ok(0);
        }
        let mut conn = self.conn.clone();
        let xack = redis::cmd("XACK").arg(&self.keys.stream).arg(group).arg(cursors).clone();
        match retry_dropped!(xack.query_async::<u64>(&mut conn).await) {
            Ok(acked) => Ok(u32::try_from(acked).unwrap_or(u32::MAX)),
            // A group that does not exist has nothing pending.
            Err(error) if error.code() == Some("NOGROUP") => Ok(0),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Checks that Redis answers.
    pub async fn ping(&self) -> Result<(), BusError> {
        let mut conn = self.conn.clone();
        let ping = redis::cmd("PING");
        retry_dropped!(ping.query_async::<()>(&mut conn).await).map_err(unavailable)
    }

    /// The id of the last entry in the stream, or `0-0` when it is empty.
    async fn last_entry(&self) -> Result<EntryId, BusError> {
        let mut conn = self.conn.clone();
        let xrevrange = redis::cmd("XREVRANGE").arg(&self.keys.stream).arg("+").arg("-").arg("COUNT").arg(1).clone();
        let reply: StreamRangeReply = retry_dropped!(xrevrange.query_async(&mut conn).await).map_err(unavailable)?;
        match reply.ids.first() {
            None => Ok(EntryId::ZERO),
            Some(entry) => EntryId::parse(&entry.id)
                .ok_or_else(|| BusError::Unavailable(format!("redis: unexpected entry id {:?}", entry.id))),
        }
    }

    /// Checks a cursor a client gave: one later than anything this log has
    /// issued or could issue now would silently skip every event until then.
    async fn issued(&self, id: EntryId, newest: EntryId) -> Result<EntryId, BusError> {
        if id <= newest {
            return Ok(id);
        }
        // Later than the newest entry, yet possibly issued: the stream was
        // trimmed or Redis restarted empty since. Ids come from Redis's
        // clock, so a cursor from the past is fine.
        let mut conn = self.conn.clone();
        let time = redis::cmd("TIME");
        let (secs, micros): (u64, u64) = retry_dropped!(time.query_async(&mut conn).await).map_err(unavailable)?;
        if id.ms <= secs.saturating_mul(1000).saturating_add(micros / 1000) {
            return Ok(id);
        }
        Err(BusError::invalid_cursor(id.to_string(), "later than the newest event"))
    }

    fn reader(&self) -> Reader {
        Reader {
            conn: self.conn.clone(),
            keys: self.keys.clone(),
            notify: self.notify.subscribe(),
            shutdown: self.shutdown.clone(),
        }
    }
}

impl fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBus").field("stream", &self.keys.stream).field("settings", &self.settings).finish()
    }
}
