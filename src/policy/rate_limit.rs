//! The per-number throughput limit (REFERENCE.md §7.2: 80 messages/s by
//! default), applied before Meta so that a burst is refused here, with a
//! retry delay, instead of failing at Meta with 130429.
//!
//! The algorithm is GCRA (the generic cell rate algorithm): each number keeps
//! a theoretical arrival time that advances by one emission interval per
//! accepted message; a message is refused when it would push that time more
//! than one second's burst ahead of now. The same arithmetic runs in this
//! process or, shared by every replica, as one Redis script timed by Redis's
//! own clock.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use redis::{Script, aio::ConnectionManager};

use super::window::StoreError;

/// Whether a message may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit.
    Allowed,
    /// Over the limit: retry after this long.
    Refused(Duration),
}

/// A per-number limit.
pub struct RateLimit {
    /// Messages per second; 0 means no limit.
    per_second: u32,
    backend: Backend,
}

enum Backend {
    Memory { start: Instant, tats: Mutex<HashMap<String, u64>> },
    Redis { conn: ConnectionManager, prefix: String, script: Script },
}

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

impl RateLimit {
    /// A limit kept in this process.
    pub fn memory(per_second: u32) -> Self {
        Self { per_second, backend: Backend::Memory { start: Instant::now(), tats: Mutex::default() } }
    }

    /// A limit shared through Redis; keys start with `prefix`.
    pub fn redis(per_second: u32, conn: ConnectionManager, prefix: &str) -> Self {
        let backend = Backend::Redis { conn, prefix: format!("{prefix}rate:"), script: Script::new(GCRA_SCRIPT) };
        Self { per_second, backend }
    }

    /// Takes one message from `phone_number_id`'s allowance.
    pub async fn acquire(&self, phone_number_id: &str) -> Result<Verdict, StoreError> {
        if self.per_second == 0 {
            return Ok(Verdict::Allowed);
        }
        let interval = 1_000_000 / u64::from(self.per_second);
        // A second's worth of messages may go at once.
        let tolerance = interval * (u64::from(self.per_second) - 1);
        match &self.backend {
            Backend::Memory { start, tats } => {
                let now = start.elapsed().as_micros() as u64;
                let mut tats = tats.lock().unwrap_or_else(|p| p.into_inner());
                let tat = tats.entry(phone_number_id.to_owned()).or_insert(0);
                Ok(gcra(tat, now, interval, tolerance))
            }
            Backend::Redis { conn, prefix, script } => {
                let mut conn = conn.clone();
                let wait: u64 = script
                    .key(format!("{prefix}{phone_number_id}"))
                    .arg(interval)
                    .arg(tolerance)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(|e| StoreError(e.to_string()))?;
                Ok(if wait == 0 { Verdict::Allowed } else { Verdict::Refused(Duration::from_micros(wait)) })
            }
        }
    }
}

/// One GCRA step at `now` (µs) on the theoretical arrival time `tat`.
fn gcra(tat: &mut u64, now: u64, interval: u64, tolerance: u64) -> Verdict {
    let arrival = (*tat).max(now);
    if arrival - now > tolerance {
        return Verdict::Refused(Duration::from_micros(arrival - now - tolerance));
    }
    *tat = arrival + interval;
    Verdict::Allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_burst_then_one_per_interval() {
        // 4 per second: an interval of 250 ms, a burst of 4.
        let (interval, tolerance) = (250_000, 750_000);
        let mut tat = 0;
        for _ in 0..4 {
            assert_eq!(gcra(&mut tat, 1_000_000, interval, tolerance), Verdict::Allowed);
        }
        assert_eq!(gcra(&mut tat, 1_000_000, interval, tolerance), Verdict::Refused(Duration::from_millis(250)));
        assert_eq!(gcra(&mut tat, 1_250_000, interval, tolerance), Verdict::Allowed, "one interval later");
        assert!(matches!(gcra(&mut tat, 1_250_000, interval, tolerance), Verdict::Refused(_)));
        assert_eq!(gcra(&mut tat, 10_000_000, interval, tolerance), Verdict::Allowed, "idle time refills");
    }

    #[tokio::test]
    async fn zero_means_no_limit_and_numbers_are_independent() {
        let unlimited = RateLimit::memory(0);
        for _ in 0..1000 {
            assert_eq!(unlimited.acquire("1").await.unwrap(), Verdict::Allowed);
        }
        let limit = RateLimit::memory(1);
        assert_eq!(limit.acquire("1").await.unwrap(), Verdict::Allowed);
        assert!(matches!(limit.acquire("1").await.unwrap(), Verdict::Refused(_)));
        assert_eq!(limit.acquire("2").await.unwrap(), Verdict::Allowed);
    }
}
