//! GCRA in this process, timed by a monotonic clock.

use std::{collections::HashMap, sync::Mutex, time::Instant};

use super::{Verdict, gcra};

/// Keys kept in memory before the idle ones are dropped.
const MAX_MEMORY_KEYS: usize = 100_000;

/// Theoretical arrival times (µs since `start`) by key.
pub(super) struct MemoryGcra {
    start: Instant,
    tats: Mutex<HashMap<String, u64>>,
}

impl Default for MemoryGcra {
    fn default() -> Self {
        Self { start: Instant::now(), tats: Mutex::default() }
    }
}

impl MemoryGcra {
    /// One GCRA step for `key` now.
    pub(super) fn acquire(&self, key: &str, interval: u64, tolerance: u64) -> Verdict {
        let now = self.start.elapsed().as_micros() as u64;
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        // Keys whose allowance is full again carry no information.
        if tats.len() >= MAX_MEMORY_KEYS {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.entry(key.to_owned()).or_insert(0);
        gcra(tat, now, interval, tolerance)
    }
}
