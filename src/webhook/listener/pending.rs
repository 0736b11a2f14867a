//! Connections that have not sent a request yet, with a cap of their own.
//!
//! Such a connection costs a stranger nothing to hold open, so they must not
//! share a cap with connections that have sent a request: when the cap is
//! reached, the oldest pending connection is closed to make room. A sender
//! that writes its request as it connects (Meta does) is never the oldest for
//! long, so any number of idle connections cannot keep it out.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use tokio_util::sync::CancellationToken;

/// The pending connections, oldest first.
#[derive(Debug)]
pub(super) struct Pending {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// Ids in admission order; ids that have left are skipped lazily.
    order: VecDeque<u64>,
    /// The eviction signal of each connection still pending.
    waiting: HashMap<u64, CancellationToken>,
}

/// A newly admitted connection: its id and the token cancelled if it is evicted.
#[derive(Debug)]
pub(super) struct Admitted {
    /// Its id, to leave with.
    pub(super) id: u64,
    /// Cancelled when it is closed to make room for a newer one.
    pub(super) evicted: CancellationToken,
}

impl Pending {
    /// At most `cap` pending connections (at least one).
    pub(super) fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), inner: Mutex::default() }
    }

    /// Admits a new connection, evicting the oldest pending ones past the cap.
    pub(super) fn admit(&self) -> Admitted {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = inner.next_id;
        inner.next_id += 1;
        let evicted = CancellationToken::new();
        inner.waiting.insert(id, evicted.clone());
        inner.order.push_back(id);
        while inner.waiting.len() > self.cap {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some(token) = inner.waiting.remove(&oldest) {
                tracing::debug!(cap = self.cap, "closed the oldest webhook connection that had sent no request");
                token.cancel();
            }
        }
        // Ids that left are skipped only when they reach the front; keep the
        // queue from growing past a small multiple of the cap.
        if inner.order.len() > 2 * self.cap + 64 {
            let Inner { order, waiting, .. } = &mut *inner;
            order.retain(|id| waiting.contains_key(id));
        }
        Admitted { id, evicted }
    }

    /// Connection `id` sent its first request, or closed.
    pub(super) fn leave(&self, id: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.waiting.remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap().waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_the_oldest_pending_connection_is_evicted() {
        let pending = Pending::new(2);
        let a = pending.admit();
        let b = pending.admit();
        pending.leave(b.id); // b sent its request: no longer pending
        let c = pending.admit();
        assert!(!a.evicted.is_cancelled() && !c.evicted.is_cancelled(), "two pending fit");
        let d = pending.admit();
        assert!(a.evicted.is_cancelled(), "a is the oldest still pending");
        assert!(!b.evicted.is_cancelled(), "a connection that sent a request is never evicted");
        assert!(!c.evicted.is_cancelled() && !d.evicted.is_cancelled());
        assert_eq!(pending.len(), 2);
    }

    #[test]
    fn the_queue_stays_bounded_when_connections_leave() {
        let pending = Pending::new(4);
        for _ in 0..10_000 {
            let admitted = pending.admit();
            pending.leave(admitted.id);
        }
        assert!(pending.inner.lock().unwrap().order.len() <= 2 * 4 + 64 + 1);
        assert_eq!(pending.len(), 0);
    }
}
