//! GCRA in Redis, shared by every replica and timed by Redis's own clock.

use std::time::Duration;

use redis::{Script, aio::ConnectionManager};

use super::{PolicyError, Verdict};

/// GCRA on Redis: `KEYS[1]` holds the theoretical arrival time in
/// microseconds; `ARGV[1]` is the emission interval, `ARGV[2]` the burst
/// tolerance (both µs). Returns 0 when allowed, else the µs to wait.
const GCRA_SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tolerance then
  return tat - now - tolerance
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return 0
";

/// One key per limited thing, under `prefix`.
pub(super) struct RedisGcra {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
}

impl RedisGcra {
    pub(super) fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self { conn, prefix: prefix.to_owned(), script: Script::new(GCRA_SCRIPT) }
    }

    /// One GCRA step for `key`, run atomically by Redis.
    pub(super) async fn acquire(&self, key: &str, interval: u64, tolerance: u64) -> Result<Verdict, PolicyError> {
        let mut conn = self.conn.clone();
        let wait: u64 = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(interval)
            .arg(tolerance)
            .invoke_async(&mut conn)
            .await?;
        Ok(if wait == 0 { Verdict::Allowed } else { Verdict::Refused(Duration::from_micros(wait)) })
    }
}
