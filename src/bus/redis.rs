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
//! | `P seen:<event id>` | string, `PX dedup_window` | the event id was stored: a redelivery is dropped |
//! | `P status:<wamid>` | string, `PX dedup_window` | the furthest status rank stored for the message |
//! | `P group-filter:<group>` | string | the filter of consumer group `<group>` ([`Filter::canonical`], JSON), set by its first subscriber |
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

use std::{fmt, future, sync::Arc, time::Duration};

use prost::Message as _;
use redis::{
    Client, RedisError, Script, Value,
    aio::{ConnectionManager, ConnectionManagerConfig, PubSub},
    streams::{StreamAutoClaimReply, StreamId, StreamRangeReply, StreamReadReply},
};
use tokio::{
    sync::watch,
    time::{Instant, interval_at, sleep, timeout},
};
use tokio_stream::StreamExt as _;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, info, warn};

use super::{BusError, BusSettings, Fed, Feeder, Filter, Start, Subscription, mark_superseded, status_rank};
use crate::pb;

/// The stream field holding the encoded event.
const FIELD: &str = "e";
/// How many entries one read fetches at most.
const READ_BATCH: usize = 512;
/// How many entries a group consumer holds delivered but unread at most:
/// their acknowledgement deadline runs from the moment they are read.
const GROUP_READ_AHEAD: usize = 16;
/// How often an idle subscriber reads anyway, in case an announcement was lost.
const REPOLL: Duration = Duration::from_secs(5);
/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may take. Generous: a large publish batch is one script.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the pub/sub connection is checked with a PING: a half-open
/// connection would otherwise go unnoticed for as long as nothing is published.
const PUBSUB_HEALTH_EVERY: Duration = Duration::from_secs(15);
/// Backoff between retries of a failing read or reconnect.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The publish script. Keys and arguments:
///
/// - `KEYS[1]`: the stream; then, for each event in order, its seen key (when
///   it is deduplicated) and its status key (when it is a status).
/// - `ARGV[1]`: the announcement channel; `ARGV[2]`: `MAXLEN`; `ARGV[3]`: the
///   maximum age in ms (0: none); `ARGV[4]`: the dedup window in ms;
///   `ARGV[5]`: the number of events `n`; then four per event: dedup flag
///   (`1`/`0`), status rank (0: not a status), the encoded event, and the
///   encoded event marked superseded (empty when not a status).
///
/// Returns two strings per event: the new entry id (empty when the event was
/// a redelivery and dropped) and `1` when the superseded variant was stored.
const PUBLISH_LUA: &str = r#"
local n = tonumber(ARGV[5])
if not (n and tonumber(ARGV[2]) and tonumber(ARGV[3]) and tonumber(ARGV[4])) or #ARGV ~= 5 + 4 * n then
  return redis.error_reply('ERR wagate publish: malformed arguments')
end
local stream = KEYS[1]
local max_age = tonumber(ARGV[3])

-- Validate before the first write: a script that fails half-way is not rolled back.
local function usable(key, wanted)
  local t = redis.call('TYPE', key)['ok']
  return t == 'none' or t == wanted
end
if not usable(stream, 'stream') then
  return redis.error_reply('WRONGTYPE wagate publish: ' .. stream .. ' is not a stream')
end
local k = 2
for i = 0, n - 1 do
  local dedup, rank = ARGV[6 + 4 * i], tonumber(ARGV[7 + 4 * i])
  if (dedup ~= '0' and dedup ~= '1') or not rank then
    return redis.error_reply('ERR wagate publish: malformed event arguments')
  end
  local wanted = (dedup == '1' and 1 or 0) + (rank > 0 and 1 or 0)
  for j = k, k + wanted - 1 do
    if not KEYS[j] then
      return redis.error_reply('ERR wagate publish: missing keys')
    end
    if not usable(KEYS[j], 'string') then
      return redis.error_reply('WRONGTYPE wagate publish: ' .. KEYS[j] .. ' is not a string')
    end
  end
  k = k + wanted
end
if k ~= #KEYS + 1 then
  return redis.error_reply('ERR wagate publish: too many keys')
end

local out, last = {}, nil
k = 2
for i = 0, n - 1 do
  local dedup, rank = ARGV[6 + 4 * i], tonumber(ARGV[7 + 4 * i])
  local fresh = true
  if dedup == '1' then
    fresh = redis.call('SET', KEYS[k], '1', 'NX', 'PX', ARGV[4]) ~= false
    k = k + 1
  end
  local superseded = false
  if rank > 0 then
    local key = KEYS[k]
    k = k + 1
    if fresh then
      local furthest = tonumber(redis.call('GET', key)) or 0
      if rank < furthest then
        superseded = true
      else
        redis.call('SET', key, ARGV[7 + 4 * i], 'PX', ARGV[4])
      end
    end
  end
  if fresh then
    local payload = superseded and ARGV[9 + 4 * i] or ARGV[8 + 4 * i]
    last = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '*', 'e', payload)
    out[#out + 1] = last
    out[#out + 1] = superseded and '1' or '0'
  else
    out[#out + 1] = ''
    out[#out + 1] = '0'
  end
end
if last then
  if max_age > 0 then
    -- Redis's clock, the one its entry ids come from.
    local now = redis.call('TIME')
    local min = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - max_age
    if min > 0 then
      redis.call('XTRIM', stream, 'MINID', '~', string.format('%d', min))
    end
  end
  redis.call('PUBLISH', ARGV[1], last)
end
return out
"#;

/// Runs `$op` once more when its first attempt found the connection dropped:
/// the [`ConnectionManager`] only notices a dead connection (say, Redis
/// restarted) when a command fails on it, and the retry awaits the
/// reconnection it started. Retrying a publish is safe: if the first attempt
/// did run, the retry drops its events as redeliveries.
macro_rules! retry_dropped {
    ($op:expr) => {
        match $op {
            Err(error) if error.is_connection_dropped() => $op,
            other => other,
        }
    };
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
        let client = Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // Few, short reconnect attempts per command: while Redis is down a
            // publish should fail fast (the webhook answers 503 and Meta
            // redelivers) rather than hold the request; the next command
            // starts another round.
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(1));
        let conn = client.get_connection_manager_with_config(config).await.map_err(unavailable)?;
        let keys = Arc::new(Keys::new(key_prefix));

        // Subscribe before returning, so that a subscription made right after
        // `connect` hears the very next announcement.
        let pubsub = open_pubsub(&client, &keys.channel).await.map_err(unavailable)?;
        let (notify, _) = watch::channel(0u64);
        let notify = Arc::new(notify);
        let shutdown = shutdown.child_token();
        tokio::spawn(listen(client, keys.channel.clone(), pubsub, notify.clone(), shutdown.clone()));

        Ok(Self {
            conn,
            keys,
            settings,
            script: Script::new(PUBLISH_LUA),
            notify,
            _stop_tasks: shutdown.clone().drop_guard(),
            shutdown,
        })
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
                invocation.key(self.keys.seen(&event.id));
            }
            match status_rank(event) {
                Some((wamid, rank)) => {
                    invocation.key(self.keys.status(wamid));
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

/// The key names of one bus.
#[derive(Debug)]
struct Keys {
    prefix: String,
    stream: String,
    channel: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned(), stream: format!("{prefix}events"), channel: format!("{prefix}events:new") }
    }

    fn seen(&self, id: &str) -> String {
        format!("{}seen:{id}", self.prefix)
    }

    fn status(&self, wamid: &str) -> String {
        format!("{}status:{wamid}", self.prefix)
    }

    fn group_filter(&self, group: &str) -> String {
        format!("{}group-filter:{group}", self.prefix)
    }
}

/// A stream entry id (`<ms>-<seq>`), the cursor of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EntryId {
    ms: u64,
    seq: u64,
}

impl EntryId {
    /// Before every entry.
    const ZERO: Self = Self { ms: 0, seq: 0 };

    /// Parses `\d+-\d+` (each part fitting in 64 bits).
    fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-')?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse::<u64>().ok()
        };
        Some(Self { ms: number(ms)?, seq: number(seq)? })
    }

    /// Parses a cursor a client gave.
    fn parse_cursor(cursor: impl AsRef<str> + Into<String>) -> Result<Self, BusError> {
        Self::parse(cursor.as_ref()).ok_or_else(|| BusError::invalid_cursor(cursor, "not a Redis stream entry id"))
    }

    /// The smallest id after this one, for an inclusive `XRANGE` start; `None`
    /// after the largest possible id.
    fn successor(self) -> Option<Self> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(Self { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| Self { ms, seq: 0 }),
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// What a subscription task needs.
struct Reader {
    conn: ConnectionManager,
    keys: Arc<Keys>,
    notify: watch::Receiver<u64>,
    shutdown: CancellationToken,
}

/// Whether a subscription task goes on.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
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
    fn finish(self, feeder: Feeder) {
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
    async fn wait(&mut self, feeder: &Feeder, within: Duration) -> Flow {
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
    async fn room(&self, feeder: &Feeder) -> Flow {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => Flow::Shutdown,
            room = feeder.room() => if room { Flow::Go } else { Flow::Stop },
        }
    }

    /// Feeds a replayed event at the subscriber's pace: the events are safe
    /// in the log meanwhile, so a large replay never lags anyone.
    async fn feed_paced(&self, feeder: &mut Feeder, event: pb::Event) -> Flow {
        tokio::select! {
            fed = feeder.feed_paced(Arc::new(event)) => fed.into(),
            () = self.shutdown.cancelled() => Flow::Shutdown,
        }
    }

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

/// Feeds a plain subscription from `cursor` on, until the subscriber goes
/// away, lags or the bus shuts down.
///
/// Entries up to `replay_until` (the newest when it subscribed) are replay,
/// fed at the subscriber's pace; later ones are live, and a subscriber that
/// cannot take them is cut off with its cursor.
async fn tail(mut reader: Reader, mut feeder: Feeder, filter: Filter, mut cursor: EntryId, replay_until: EntryId) {
    let mut backoff = Backoff::default();
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

/// A consumer of a group.
struct Member {
    group: String,
    consumer: String,
    /// Named by the gateway, for this subscription only.
    one_off: bool,
    /// The group's filter ([`Filter::canonical`]).
    filter: String,
    ack_timeout: Duration,
    /// How many entries one read takes.
    count: usize,
}

/// Feeds a consumer-group subscription: new entries with `XREADGROUP >`, and
/// entries left unacknowledged too long with `XAUTOCLAIM`; then deletes a
/// one-off consumer.
async fn consume(mut reader: Reader, mut feeder: Feeder, filter: Filter, member: Member) {
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
    let mut backoff = Backoff::default();
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

/// `XGROUP CREATE … MKSTREAM`; an existing group is left as it is.
async fn create_group(conn: &mut ConnectionManager, stream: &str, group: &str, start: &str) -> Result<(), RedisError> {
    let create = redis::cmd("XGROUP").arg("CREATE").arg(stream).arg(group).arg(start).arg("MKSTREAM").clone();
    match create.query_async::<()>(conn).await {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Stores `canonical` as `group`'s filter unless it has one; returns the one
/// it has (`None` when this stored it).
async fn claim_group_filter(
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

/// The event in a stream entry, its cursor set; `None` (logged) when the
/// entry does not hold one.
fn decode(mut entry: StreamId) -> Option<pb::Event> {
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

/// Connects a pub/sub connection and subscribes to `channel`.
async fn open_pubsub(client: &Client, channel: &str) -> Result<PubSub, RedisError> {
    let connect = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub)
    };
    timeout(CONNECT_TIMEOUT, connect).await.unwrap_or_else(|_| {
        Err(RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "subscribing timed out")))
    })
}

/// Turns announcements into wake-ups of the local subscribers, reconnecting
/// whenever the pub/sub connection is lost.
async fn listen(
    client: Client,
    channel: String,
    first: PubSub,
    notify: Arc<watch::Sender<u64>>,
    shutdown: CancellationToken,
) {
    let mut pubsub = Some(first);
    let mut backoff = Backoff::default();
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
fn wake(notify: &watch::Sender<u64>) {
    notify.send_modify(|generation| *generation = generation.wrapping_add(1));
}

/// Exponential backoff with jitter (so that many subscribers do not retry in
/// step after an outage), logging the first failure and the recovery.
#[derive(Debug)]
struct Backoff {
    next: Duration,
    failing: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: BACKOFF_MIN, failing: false }
    }
}

impl Backoff {
    /// Records a failure; returns how long to wait before retrying.
    fn failed(&mut self, what: &str, error: &RedisError) -> Duration {
        if self.failing {
            debug!(%error, "still failing: {what}");
        } else {
            warn!(%error, "redis failed {what}; retrying");
            self.failing = true;
        }
        let delay = self.next;
        self.next = (delay * 2).min(BACKOFF_MAX);
        let half = delay / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// Records a success.
    fn recovered(&mut self, what: &str) {
        if self.failing {
            info!("redis recovered: {what}");
        }
        *self = Self::default();
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn unavailable(error: RedisError) -> BusError {
    BusError::Unavailable(format!("redis: {error}"))
}

#[cfg(test)]
mod tests {
    use super::EntryId;

    #[test]
    fn entry_ids_parse_strictly() {
        assert_eq!(EntryId::parse("1700000000000-3"), Some(EntryId { ms: 1_700_000_000_000, seq: 3 }));
        assert_eq!(EntryId::parse("0-0"), Some(EntryId::ZERO));
        for bad in ["", "-", "1-", "-1", "1", "1-2-3", "a-1", "+1-2", "1- 2", "18446744073709551616-0"] {
            assert_eq!(EntryId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn successor_carries_into_milliseconds() {
        assert_eq!(EntryId { ms: 5, seq: 1 }.successor(), Some(EntryId { ms: 5, seq: 2 }));
        assert_eq!(EntryId { ms: 5, seq: u64::MAX }.successor(), Some(EntryId { ms: 6, seq: 0 }));
        assert_eq!(EntryId { ms: u64::MAX, seq: u64::MAX }.successor(), None);
        assert_eq!(EntryId { ms: 7, seq: 9 }.to_string(), "7-9");
    }
}
