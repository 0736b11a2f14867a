//! Retrying a failing dependency (Redis, the bus) from a background loop:
//! exponential delays with jitter, so that many tasks do not retry in step
//! after an outage, and one log line when the failures start and one when
//! they end, not one per attempt.

use std::{fmt::Display, time::Duration};

use backon::{BackoffBuilder as _, ExponentialBackoff, ExponentialBuilder};
use tracing::{debug, info, warn};

/// The delays of one retrying loop.
#[derive(Debug)]
pub struct Backoff {
    policy: ExponentialBuilder,
    delays: ExponentialBackoff,
    failing: bool,
}

impl Backoff {
    /// Delays doubling from `min` up to `max`, each with jitter; never gives up.
    pub fn new(min: Duration, max: Duration) -> Self {
        let policy =
            ExponentialBuilder::default().with_min_delay(min).with_max_delay(max).with_jitter().without_max_times();
        Self { delays: policy.build(), policy, failing: false }
    }

    /// Records a failure of `what`; returns how long to wait before retrying.
    pub fn failed(&mut self, what: &str, error: &dyn Display) -> Duration {
        if self.failing {
            debug!(%error, "still failing: {what}");
        } else {
            warn!(%error, "failed: {what}; retrying with backoff");
            self.failing = true;
        }
        // `without_max_times` never ends the iterator; the cap is the fallback.
        self.delays.next().unwrap_or(Duration::from_secs(1))
    }

    /// Records a success: the next failure starts again from the shortest delay.
    pub fn recovered(&mut self, what: &str) {
        if self.failing {
            info!("recovered: {what}");
            self.failing = false;
        }
        self.delays = self.policy.build();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_start_over_after_a_recovery() {
        let (min, max) = (Duration::from_millis(10), Duration::from_millis(80));
        let mut backoff = Backoff::new(min, max);
        let delays: Vec<Duration> = (0..8).map(|_| backoff.failed("test", &"down")).collect();
        // Jitter adds at most the delay itself on top.
        assert!(delays.iter().all(|d| *d >= min && *d <= max * 2), "{delays:?}");
        assert!(delays[7] >= max, "capped delays reach the cap: {delays:?}");
        backoff.recovered("test");
        assert!(backoff.failed("test", &"down") <= min * 2, "starts again from the shortest delay");
    }
}
