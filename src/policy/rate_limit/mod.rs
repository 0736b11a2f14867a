//! Meta's pacing limits, applied before Meta so that a burst is refused here,
//! with a retry delay, instead of failing at Meta: the per-number throughput
//! (REFERENCE.md §7.2: 80 messages/s by default, else 130429) and the pair
//! rate to one user (§7.3: one message per 6 s, bursts of up to 45 borrowed
//! from the future, else 131056).
//!
//! The algorithm is GCRA (the generic cell rate algorithm): each number keeps
//! a theoretical arrival time that advances by one emission interval per
//! accepted message; a message is refused when it would push that time more
//! than one second's burst ahead of now. The same arithmetic runs in this
//! process or, shared by every replica, as one Redis script timed by Redis's
//! own clock.

mod memory;
mod redis;

use std::time::Duration;

use ::redis::aio::ConnectionManager;

use memory::MemoryGcra;
use redis::RedisGcra;

use super::PolicyError;

/// Whether a message may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit.
    Allowed,
    /// Over the limit: retry after this long.
    Refused(Duration),
}

/// A rate: one message per `interval`, with bursts of `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The steady spacing between messages.
    pub interval: Duration,
    /// How many may go at once after a pause.
    pub burst: u32,
}

impl Rate {
    /// `n` messages per second, a second's worth at once; `None` for 0 (no limit).
    pub fn per_second(n: u32) -> Option<Self> {
        (n > 0).then(|| Self { interval: Duration::from_micros(1_000_000 / u64::from(n)), burst: n })
    }

    /// Meta's pair rate to one user: one per 6 s, bursts of 45 (REFERENCE.md §7.3).
    pub const PAIR: Self = Self { interval: Duration::from_secs(6), burst: 45 };
}

/// A limit per key (a phone number, or a phone number and a contact).
pub struct RateLimit {
    /// `None`: no limit.
    rate: Option<Rate>,
    backend: Backend,
}

enum Backend {
    Memory(MemoryGcra),
    Redis(RedisGcra),
}

impl RateLimit {
    /// A limit kept in this process.
    pub fn memory(rate: Option<Rate>) -> Self {
        Self { rate, backend: Backend::Memory(MemoryGcra::default()) }
    }

    /// A limit shared through Redis; keys start with `prefix` (which names the limit).
    pub fn redis(rate: Option<Rate>, conn: ConnectionManager, prefix: &str) -> Self {
        Self { rate, backend: Backend::Redis(RedisGcra::new(conn, prefix)) }
    }

    /// Takes one message from `key`'s allowance.
    pub async fn acquire(&self, key: &str) -> Result<Verdict, PolicyError> {
        let Some(rate) = self.rate else { return Ok(Verdict::Allowed) };
        let interval = rate.interval.as_micros() as u64;
        let tolerance = interval * u64::from(rate.burst.max(1) - 1);
        match &self.backend {
            Backend::Memory(gcra) => Ok(gcra.acquire(key, interval, tolerance)),
            Backend::Redis(gcra) => gcra.acquire(key, interval, tolerance).await,
        }
    }
}

/// Which limit refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The phone number's throughput.
    Throughput,
    /// The pair rate to one contact.
    Pair,
}

/// Both limits of a send.
pub struct RateLimits {
    per_number: RateLimit,
    per_pair: RateLimit,
}

impl RateLimits {
    /// Limits kept in this process: `per_number`, and Meta's pair rate unless `pair` is false.
    pub fn memory(per_number: Option<Rate>, pair: bool) -> Self {
        Self { per_number: RateLimit::memory(per_number), per_pair: RateLimit::memory(pair.then_some(Rate::PAIR)) }
    }

    /// Limits shared through Redis.
    pub fn redis(per_number: Option<Rate>, pair: bool, conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            per_number: RateLimit::redis(per_number, conn.clone(), &format!("{prefix}rate:")),
            per_pair: RateLimit::redis(pair.then_some(Rate::PAIR), conn, &format!("{prefix}pair-rate:")),
        }
    }

    /// Takes one message from `contact`'s pair allowance, then from the
    /// number's (the narrower first, so a refused pair spends nothing of
    /// the number's). [`PolicyError::RateLimited`] says which refused, and
    /// when to retry.
    pub async fn acquire(&self, phone_number_id: &str, contact: &str) -> Result<(), PolicyError> {
        let refused = |limit, retry_after| PolicyError::RateLimited {
            limit,
            phone_number_id: phone_number_id.to_owned(),
            retry_after,
        };
        if let Verdict::Refused(wait) = self.per_pair.acquire(&format!("{phone_number_id}:{contact}")).await? {
            return Err(refused(Limit::Pair, wait));
        }
        if let Verdict::Refused(wait) = self.per_number.acquire(phone_number_id).await? {
            return Err(refused(Limit::Throughput, wait));
        }
        Ok(())
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
    async fn the_pair_rate_allows_a_burst_of_45_then_one_per_6_seconds() {
        let limit = RateLimit::memory(Some(Rate::PAIR));
        for i in 0..45 {
            assert_eq!(limit.acquire("phone:contact").await.unwrap(), Verdict::Allowed, "message {i}");
        }
        let Verdict::Refused(wait) = limit.acquire("phone:contact").await.unwrap() else { panic!("46th allowed") };
        assert!(wait > Duration::from_secs(5) && wait <= Duration::from_secs(6), "{wait:?}");
        assert_eq!(limit.acquire("phone:other").await.unwrap(), Verdict::Allowed, "other contacts are unaffected");
    }

    #[tokio::test]
    async fn zero_means_no_limit_and_numbers_are_independent() {
        let unlimited = RateLimit::memory(Rate::per_second(0));
        for _ in 0..1000 {
            assert_eq!(unlimited.acquire("1").await.unwrap(), Verdict::Allowed);
        }
        let limit = RateLimit::memory(Rate::per_second(1));
        assert_eq!(limit.acquire("1").await.unwrap(), Verdict::Allowed);
        assert!(matches!(limit.acquire("1").await.unwrap(), Verdict::Refused(_)));
        assert_eq!(limit.acquire("2").await.unwrap(), Verdict::Allowed);
    }
}
