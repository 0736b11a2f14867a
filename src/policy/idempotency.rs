//! Idempotency keys for sends: the Cloud API has none, so the gateway owns it.
//!
//! The first request with a key claims it; a retry with the same key and the
//! same request gets the first result back instead of a second message. A
//! key whose first attempt failed definitely (Meta refused it) is released, so
//! the retry really runs. A key whose first attempt ended without a known
//! outcome (a timeout, a 5xx, a client that went away mid-call) stays blocked:
//! the message may have been sent, and only the client can decide.
//! Keys are scoped by the caller and expire after a retention period.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use crate::error::{Error, FieldViolation};

/// How long a key is remembered.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

const SWEEP_EVERY: u32 = 1024;

/// An in-process idempotency store.
pub struct Idempotency<T> {
    inner: Arc<Mutex<Inner<T>>>,
    retention: Duration,
}

struct Inner<T> {
    slots: HashMap<String, Slot<T>>,
    claims_since_sweep: u32,
}

enum Slot<T> {
    InFlight { fingerprint: [u8; 32] },
    Done { fingerprint: [u8; 32], result: T, at: Instant },
    Unknown { fingerprint: [u8; 32], at: Instant },
}

/// The outcome of a claim.
pub enum Claim<T> {
    /// The key is new: send, then settle the guard.
    Fresh(Guard<T>),
    /// The key was already used by the same request: its result.
    Replay(T),
}

/// A claimed key. Dropping it unsettled marks the outcome unknown.
pub struct Guard<T> {
    inner: Arc<Mutex<Inner<T>>>,
    key: String,
    fingerprint: [u8; 32],
    settled: bool,
}

// === impl Idempotency ===

impl<T: Clone> Idempotency<T> {
    /// A store that remembers keys for `retention`.
    pub fn new(retention: Duration) -> Self {
        Self { inner: Arc::new(Mutex::new(Inner { slots: HashMap::new(), claims_since_sweep: 0 })), retention }
    }

    /// Claims `key` for a request with `fingerprint` (a hash of its content).
    pub fn claim(&self, key: String, fingerprint: [u8; 32]) -> Result<Claim<T>, Error> {
        let mut inner = lock(&self.inner);
        inner.sweep(self.retention);
        let reused = || {
            Error::Invalid(vec![FieldViolation::new(
                "idempotency_key",
                "was already used with a different request; use a new key for a new message",
            )])
        };
        match inner.slots.get(&key) {
            Some(Slot::Done { fingerprint: f, result, .. }) if *f == fingerprint => {
                return Ok(Claim::Replay(result.clone()));
            }
            Some(Slot::InFlight { fingerprint: f }) if *f == fingerprint => {
                return Err(Error::Aborted(
                    "a request with this idempotency key is still in flight; retry after it finishes".into(),
                ));
            }
            Some(Slot::Unknown { fingerprint: f, .. }) if *f == fingerprint => {
                return Err(Error::Precondition {
                    reason: "IDEMPOTENCY_OUTCOME_UNKNOWN",
                    message: "the first request with this idempotency key ended without a known outcome and may \
                              have been sent; check its status events, or send again with a new key"
                        .into(),
                });
            }
            Some(_) => return Err(reused()),
            None => {}
        }
        inner.slots.insert(key.clone(), Slot::InFlight { fingerprint });
        Ok(Claim::Fresh(Guard { inner: self.inner.clone(), key, fingerprint, settled: false }))
    }
}

impl<T> Inner<T> {
    fn sweep(&mut self, retention: Duration) {
        self.claims_since_sweep += 1;
        if self.claims_since_sweep < SWEEP_EVERY {
            return;
        }
        self.claims_since_sweep = 0;
        self.slots.retain(|_, slot| match slot {
            Slot::InFlight { .. } => true,
            Slot::Done { at, .. } | Slot::Unknown { at, .. } => at.elapsed() < retention,
        });
    }
}

fn lock<T>(inner: &Mutex<Inner<T>>) -> MutexGuard<'_, Inner<T>> {
    // A panic while holding the lock cannot leave the map half-updated: every
    // critical section is a single insert or remove.
    inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// === impl Guard ===

impl<T> Guard<T> {
    /// The send succeeded: later claims replay `result`.
    pub fn succeed(mut self, result: T) {
        self.settle(Some(Slot::Done { fingerprint: self.fingerprint, result, at: Instant::now() }));
    }

    /// The send was refused for sure: the key is free again.
    pub fn release(mut self) {
        self.settle(None);
    }

    /// The send may or may not have happened.
    pub fn unknown(mut self) {
        self.settle(Some(Slot::Unknown { fingerprint: self.fingerprint, at: Instant::now() }));
    }

    fn settle(&mut self, slot: Option<Slot<T>>) {
        self.settled = true;
        let mut inner = lock(&self.inner);
        match slot {
            Some(slot) => inner.slots.insert(self.key.clone(), slot),
            None => inner.slots.remove(&self.key),
        };
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        if !self.settled {
            self.settle(Some(Slot::Unknown { fingerprint: self.fingerprint, at: Instant::now() }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Idempotency<u32> {
        Idempotency::new(DEFAULT_RETENTION)
    }

    fn fresh(claim: Result<Claim<u32>, Error>) -> Guard<u32> {
        match claim {
            Ok(Claim::Fresh(guard)) => guard,
            _ => panic!("expected a fresh claim"),
        }
    }

    #[test]
    fn a_retry_replays_the_first_result() {
        let store = store();
        fresh(store.claim("k".into(), [1; 32])).succeed(7);
        assert!(matches!(store.claim("k".into(), [1; 32]), Ok(Claim::Replay(7))));
    }

    #[test]
    fn reuse_with_another_request_is_invalid() {
        let store = store();
        fresh(store.claim("k".into(), [1; 32])).succeed(7);
        assert!(matches!(store.claim("k".into(), [2; 32]), Err(Error::Invalid(_))));
    }

    #[test]
    fn a_concurrent_retry_is_aborted() {
        let store = store();
        let _guard = fresh(store.claim("k".into(), [1; 32]));
        assert!(matches!(store.claim("k".into(), [1; 32]), Err(Error::Aborted(_))));
    }

    #[test]
    fn a_definite_failure_frees_the_key() {
        let store = store();
        fresh(store.claim("k".into(), [1; 32])).release();
        fresh(store.claim("k".into(), [1; 32])).succeed(1);
    }

    #[test]
    fn an_unknown_or_abandoned_outcome_blocks_the_key() {
        let store = store();
        fresh(store.claim("a".into(), [1; 32])).unknown();
        drop(fresh(store.claim("b".into(), [1; 32])));
        for key in ["a", "b"] {
            assert!(matches!(store.claim(key.into(), [1; 32]), Err(Error::Precondition { .. })));
        }
    }
}
