//! Retry delays for the bus's background tasks (subscription readers and
//! the pub/sub listener) while Redis fails.

use std::time::Duration;

use redis::RedisError;
use tracing::{debug, info, warn};

/// Backoff between retries of a failing read or reconnect.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Exponential backoff with jitter (so that many subscribers do not retry in
/// step after an outage), logging the first failure and the recovery.
#[derive(Debug)]
pub(super) struct Backoff {
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
    pub(super) fn failed(&mut self, what: &str, error: &RedisError) -> Duration {
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
    pub(super) fn recovered(&mut self, what: &str) {
        if self.failing {
            info!("redis recovered: {what}");
        }
        *self = Self::default();
    }
}
