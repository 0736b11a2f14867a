//! The budget of body bytes in flight across every webhook connection.
//!
//! Bodies are read before their signature can be checked, so a stranger can
//! make the listener buffer them. Each POST reserves its size here before a
//! byte of its body is read; when the budget is spent, new bodies are refused
//! (503) unread, so memory stays under the budget however many connections
//! send at once.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes that may be reserved at once.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
    /// Bodies refused so far, for the operator.
    refused: Arc<AtomicU64>,
    /// The Unix second of the last log line about refusals.
    last_logged: Arc<AtomicU64>,
}

/// Bytes held for one body until it is dropped.
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl BodyBudget {
    /// A budget of `total` bytes (capped at what a semaphore can count).
    pub fn new(total: usize) -> Self {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        Self { bytes: Arc::new(Semaphore::new(total)), total, refused: Arc::default(), last_logged: Arc::default() }
    }

    /// Reserves `bytes`, or `None` when the budget cannot hold them right now.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reservation> {
        let reserved = u32::try_from(bytes.max(1))
            .ok()
            .filter(|b| *b as usize <= self.total)
            .and_then(|b| self.bytes.clone().try_acquire_many_owned(b).ok());
        match reserved {
            Some(permit) => Some(Reservation { _permit: permit }),
            None => {
                self.refused_one(bytes);
                None
            }
        }
    }

    /// Bodies refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Counts a refusal and, at most once a second, tells the operator.
    fn refused_one(&self, bytes: usize) {
        let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.last_logged.swap(now, Ordering::Relaxed) != now {
            tracing::warn!(
                bytes,
                budget = self.total,
                refused_total = refused,
                "webhook body refused with 503: webhook.max_body_bytes_in_flight is spent"
            );
        }
    }

    /// Bytes not reserved right now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_refused_past_the_budget_and_returned_when_dropped() {
        let budget = BodyBudget::new(100);
        let a = budget.try_reserve(60).expect("fits");
        assert!(budget.try_reserve(41).is_none(), "60 + 41 is over 100");
        let b = budget.try_reserve(40).expect("60 + 40 fits");
        assert_eq!(budget.available(), 0);
        drop(a);
        assert_eq!(budget.available(), 60);
        drop(b);
        assert_eq!(budget.available(), 100);
        assert!(budget.try_reserve(101).is_none(), "larger than the whole budget");
        assert_eq!(budget.refused(), 2, "every refusal is counted");
    }
}
