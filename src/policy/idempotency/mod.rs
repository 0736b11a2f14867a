//! Idempotency keys for sends: the Cloud API has none, so the gateway owns it.
//!
//! The first request with a key claims it; a retry with the same key and the
//! same request gets the first result back instead of a second message. A
//! key whose request was refused before or by Meta is released, so a retry
//! really runs. A key whose Graph call ended without a known outcome (a
//! timeout, a 5xx, a connection cut mid-call, a client that went away while
//! the call ran) stays blocked: the message may have been sent, and only the
//! client can decide. Keys are scoped by the caller, expire after a
//! retention period, and are shared by every replica when Redis is used.

mod memory;
mod redis;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use ::redis::aio::ConnectionManager;

use memory::{Memory, lock};
use redis::{redis_claim, redis_settle};

use super::PolicyError;
use crate::pb;

/// How long a key is remembered.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest accepted idempotency key, in characters.
pub const MAX_KEY_LEN: usize = 256;

/// What is remembered of a send.
type Outcome = pb::SendMessageResponse;

/// The idempotency store: in this process, or shared through Redis.
#[derive(Clone)]
pub struct Idempotency {
    backend: Backend,
    retention: Duration,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<Mutex<Memory>>),
    Redis { conn: ConnectionManager, prefix: String },
}

/// The state of a key.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    InFlight { fingerprint: [u8; 32] },
    Done { fingerprint: [u8; 32], result: Outcome },
    Unknown { fingerprint: [u8; 32] },
}

/// The outcome of a claim.
pub enum Claim {
    /// The key is new: send, then settle the guard.
    Fresh(Guard),
    /// The key was already used by the same request: its result.
    Replay(Outcome),
}

/// A claimed key. Dropped unsettled, it is released, or marked unknown once
/// [`Guard::sending`] was called.
pub struct Guard {
    store: Idempotency,
    key: String,
    fingerprint: [u8; 32],
    state: GuardState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GuardState {
    Claimed,
    Sending,
    Settled,
}

// === impl Idempotency ===

impl Idempotency {
    /// A store in this process.
    pub fn memory(retention: Duration) -> Self {
        let memory = Memory::default();
        Self { backend: Backend::Memory(Arc::new(Mutex::new(memory))), retention }
    }

    /// A store shared through Redis; keys start with `prefix`.
    pub fn redis(conn: ConnectionManager, prefix: &str, retention: Duration) -> Self {
        Self { backend: Backend::Redis { conn, prefix: format!("{prefix}idempotency:") }, retention }
    }

    /// Checks a client's key.
    pub fn check_key(key: &str) -> Result<(), PolicyError> {
        if key.chars().count() > MAX_KEY_LEN || key.chars().any(char::is_control) {
            return Err(PolicyError::invalid(
                "idempotency_key",
                format!("must be at most {MAX_KEY_LEN} printable characters"),
            ));
        }
        Ok(())
    }

    /// Claims `key` for a request with `fingerprint` (a hash of its content).
    pub async fn claim(&self, key: String, fingerprint: [u8; 32]) -> Result<Claim, PolicyError> {
        let existing = match &self.backend {
            Backend::Memory(memory) => lock(memory).claim(&key, fingerprint, self.retention),
            Backend::Redis { conn, prefix } => {
                redis_claim(conn.clone(), &format!("{prefix}{key}"), fingerprint, self.retention).await?
            }
        };
        let reused = || {
            PolicyError::invalid(
                "idempotency_key",
                "was already used with a different request; use a new key for a new message",
            )
        };
        match existing {
            None => Ok(Claim::Fresh(Guard { store: self.clone(), key, fingerprint, state: GuardState::Claimed })),
            Some(Slot::Done { fingerprint: f, result }) if f == fingerprint => Ok(Claim::Replay(result)),
            Some(Slot::InFlight { fingerprint: f }) if f == fingerprint => Err(PolicyError::InFlight(
                "a request with this idempotency key is still in flight; retry after it finishes".into(),
            )),
            Some(Slot::Unknown { fingerprint: f }) if f == fingerprint => Err(PolicyError::Refused {
                reason: "IDEMPOTENCY_OUTCOME_UNKNOWN",
                message: "the first request with this idempotency key ended without a known outcome and may \
                          have been sent; check its status events, or send again with a new key"
                    .into(),
            }),
            Some(_) => Err(reused()),
        }
    }

    async fn settle(&self, key: &str, slot: Option<Slot>) -> Result<(), PolicyError> {
        match &self.backend {
            Backend::Memory(memory) => {
                lock(memory).settle(key, slot);
                Ok(())
            }
            Backend::Redis { conn, prefix } => {
                redis_settle(conn.clone(), &format!("{prefix}{key}"), slot, self.retention).await
            }
        }
    }
}

// === impl Guard ===

impl Guard {
    /// The Graph call starts: from now on an unsettled guard means "unknown".
    pub fn sending(&mut self) {
        self.state = GuardState::Sending;
    }

    /// The send succeeded: later claims replay `result`.
    pub async fn succeed(mut self, result: Outcome) {
        let slot = Slot::Done { fingerprint: self.fingerprint, result };
        self.settle(Some(slot)).await;
    }

    /// The send was refused for sure (before or by Meta): the key is free again.
    pub async fn release(mut self) {
        self.settle(None).await;
    }

    /// The send may or may not have happened.
    pub async fn unknown(mut self) {
        let slot = Slot::Unknown { fingerprint: self.fingerprint };
        self.settle(Some(slot)).await;
    }

    async fn settle(&mut self, slot: Option<Slot>) {
        self.state = GuardState::Settled;
        if let Err(e) = self.store.settle(&self.key, slot).await {
            // The record expires with the retention period; until then a
            // retry is refused as in flight rather than sent twice.
            tracing::warn!(error = %e, "could not settle an idempotency key");
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let slot = match self.state {
            GuardState::Settled => return,
            GuardState::Claimed => None,
            GuardState::Sending => Some(Slot::Unknown { fingerprint: self.fingerprint }),
        };
        let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
        match &store.backend {
            Backend::Memory(memory) => lock(memory).settle(&key, slot),
            // Drop cannot wait: settle in the background, best effort.
            Backend::Redis { .. } => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Err(e) = store.settle(&key, slot).await {
                            tracing::warn!(error = %e, "could not settle an abandoned idempotency key");
                        }
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redis::{decode, encode};
    use super::*;

    fn store() -> Idempotency {
        Idempotency::memory(DEFAULT_RETENTION)
    }

    fn outcome(id: &str) -> Outcome {
        Outcome { message_id: id.into(), ..Default::default() }
    }

    async fn fresh(store: &Idempotency, key: &str, fingerprint: u8) -> Guard {
        match store.claim(key.into(), [fingerprint; 32]).await {
            Ok(Claim::Fresh(guard)) => guard,
            Ok(Claim::Replay(_)) => panic!("replayed"),
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn a_retry_replays_the_first_result() {
        let store = store();
        fresh(&store, "k", 1).await.succeed(outcome("wamid.1")).await;
        assert!(matches!(store.claim("k".into(), [1; 32]).await, Ok(Claim::Replay(o)) if o.message_id == "wamid.1"));
    }

    #[tokio::test]
    async fn reuse_with_another_request_is_invalid() {
        let store = store();
        fresh(&store, "k", 1).await.succeed(outcome("wamid.1")).await;
        assert!(matches!(store.claim("k".into(), [2; 32]).await, Err(PolicyError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_concurrent_retry_is_aborted() {
        let store = store();
        let _guard = fresh(&store, "k", 1).await;
        assert!(matches!(store.claim("k".into(), [1; 32]).await, Err(PolicyError::InFlight(_))));
    }

    #[tokio::test]
    async fn a_refusal_frees_the_key_even_when_dropped_before_sending() {
        let store = store();
        fresh(&store, "a", 1).await.release().await;
        drop(fresh(&store, "b", 1).await);
        fresh(&store, "a", 1).await.succeed(outcome("wamid.a")).await;
        fresh(&store, "b", 1).await.succeed(outcome("wamid.b")).await;
    }

    #[tokio::test]
    async fn an_unknown_or_abandoned_send_blocks_the_key() {
        let store = store();
        fresh(&store, "a", 1).await.unknown().await;
        let mut sending = fresh(&store, "b", 1).await;
        sending.sending();
        drop(sending);
        for key in ["a", "b"] {
            assert!(matches!(store.claim(key.into(), [1; 32]).await, Err(PolicyError::Refused { .. })), "{key}");
        }
    }

    #[test]
    fn records_round_trip_through_their_redis_encoding() {
        for slot in [
            Slot::InFlight { fingerprint: [7; 32] },
            Slot::Unknown { fingerprint: [8; 32] },
            Slot::Done { fingerprint: [9; 32], result: outcome("wamid.HBg=") },
        ] {
            assert_eq!(decode(&encode(&slot)), Some(slot));
        }
        assert_eq!(decode("x:zz"), None);
    }

    #[test]
    fn keys_are_bounded() {
        assert!(Idempotency::check_key(&"k".repeat(MAX_KEY_LEN)).is_ok());
        assert!(Idempotency::check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
        assert!(Idempotency::check_key("a\nb").is_err());
    }
}
