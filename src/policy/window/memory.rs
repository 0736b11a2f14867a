//! Windows in this process: the sandbox, or a single replica.

use std::{collections::HashMap, sync::Mutex};

use super::{WindowState, now_unix};

/// Windows kept in this process (the sandbox, a single replica). Closed
/// windows are dropped as new ones are recorded, so memory follows the
/// number of contacts who wrote within the last 24 h.
#[derive(Debug, Default)]
pub struct MemoryWindows {
    last_inbound: Mutex<HashMap<(String, String), i64>>,
    aliases: Mutex<HashMap<(String, String), String>>,
}

/// Records between two sweeps of closed windows.
const SWEEP_EVERY: usize = 4096;

/// Aliases kept in memory before they are forgotten (they are relearnt from
/// the next send's answer).
const MAX_ALIASES: usize = 100_000;

impl MemoryWindows {
    /// Records a message from `contact` to `phone_number_id` at `at` (Unix seconds).
    pub fn record(&self, phone_number_id: &str, contact: &str, at: i64) {
        let mut map = self.last_inbound.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let now = now_unix();
            map.retain(|_, last| WindowState { last_inbound: *last }.is_open(now));
        }
        let last = map.entry((phone_number_id.to_owned(), contact.to_owned())).or_insert(at);
        *last = (*last).max(at);
    }

    /// The window of `contact`, if it ever wrote.
    pub fn get(&self, phone_number_id: &str, contact: &str) -> Option<WindowState> {
        let map = self.last_inbound.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(phone_number_id.to_owned(), contact.to_owned())).map(|&last_inbound| WindowState { last_inbound })
    }

    /// Remembers that Meta knows the number `dialled` as `wa_id`.
    pub fn alias(&self, phone_number_id: &str, dialled: &str, wa_id: &str) {
        let mut aliases = self.aliases.lock().unwrap_or_else(|p| p.into_inner());
        if aliases.len() >= MAX_ALIASES {
            aliases.clear();
        }
        aliases.insert((phone_number_id.to_owned(), dialled.to_owned()), wa_id.to_owned());
    }

    pub(super) fn wa_id_of(&self, phone_number_id: &str, dialled: &str) -> Option<String> {
        let aliases = self.aliases.lock().unwrap_or_else(|p| p.into_inner());
        aliases.get(&(phone_number_id.to_owned(), dialled.to_owned())).cloned()
    }
}
