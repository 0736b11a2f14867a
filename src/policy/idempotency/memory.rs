//! Idempotency keys in this process, bounded by retention and by count.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use super::Slot;

/// The most keys kept in memory; the oldest settled ones go first.
const MAX_MEMORY_KEYS: usize = 200_000;

/// Keys in this process: each slot with its write time, and the writes in
/// order for eviction.
#[derive(Default)]
pub(super) struct Memory {
    slots: HashMap<String, (Slot, Instant)>,
    order: VecDeque<(Instant, String)>,
}

pub(super) fn lock(memory: &Mutex<Memory>) -> MutexGuard<'_, Memory> {
    // Every critical section is a few inserts and removes that cannot panic.
    memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Memory {
    /// The slot already held by `key`, or `None` after claiming it.
    pub(super) fn claim(&mut self, key: &str, fingerprint: [u8; 32], retention: Duration) -> Option<Slot> {
        let now = Instant::now();
        self.evict(now, retention);
        if let Some((slot, _)) = self.slots.get(key) {
            return Some(slot.clone());
        }
        self.slots.insert(key.to_owned(), (Slot::InFlight { fingerprint }, now));
        self.order.push_back((now, key.to_owned()));
        None
    }

    pub(super) fn settle(&mut self, key: &str, slot: Option<Slot>) {
        let now = Instant::now();
        match slot {
            Some(slot) => {
                self.slots.insert(key.to_owned(), (slot, now));
                self.order.push_back((now, key.to_owned()));
            }
            None => {
                self.slots.remove(key);
            }
        }
    }

    /// Drops expired keys, then the oldest settled ones past the size cap.
    fn evict(&mut self, now: Instant, retention: Duration) {
        while let Some((at, key)) = self.order.front() {
            let expired = now.duration_since(*at) >= retention;
            if !expired && self.slots.len() <= MAX_MEMORY_KEYS {
                break;
            }
            let (at, key) = (*at, key.clone());
            self.order.pop_front();
            // Only the latest write of a key, and never a send in flight.
            if let Some((slot, written)) = self.slots.get(&key)
                && *written == at
                && !matches!(slot, Slot::InFlight { .. })
            {
                self.slots.remove(&key);
            }
        }
    }
}
