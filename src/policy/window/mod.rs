//! The 24 h customer-service window of each (business number, contact): a
//! contact's message opens it for 24 hours, during which free-form messages
//! may be sent; outside it only templates (REFERENCE.md §7.1).
//!
//! It is fed by inbound message events, keeping the latest message time even
//! when webhooks arrive out of order. Meta's clock wins in the end (a send
//! may still fail with 131047); this check saves the round trip and the
//! failed message.

mod memory;
mod redis;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use memory::MemoryWindows;
pub use redis::RedisWindows;

use super::PolicyError;
use crate::pb;

/// How long a contact's message keeps the window open.
pub const WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// A contact's window as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// When the contact last wrote, in Unix seconds.
    pub last_inbound: i64,
}

impl WindowState {
    /// When the window closes, in Unix seconds.
    pub fn closes_at(&self) -> i64 {
        self.last_inbound.saturating_add(WINDOW.as_secs() as i64)
    }

    /// Whether it is open at `now` (Unix seconds).
    pub fn is_open(&self, now: i64) -> bool {
        now < self.closes_at()
    }
}

/// The inbound messages among `events`, as (phone number id, contact, Unix
/// seconds): once by phone number and once by business-scoped user id, since
/// a send may address either.
pub fn inbound_times(events: &[pb::Event]) -> impl Iterator<Item = (&str, &str, i64)> {
    events.iter().flat_map(|event| {
        let (contacts, at) = match &event.kind {
            Some(pb::event::Kind::Message(m)) if !event.phone_number_id.is_empty() => {
                // A time in the future (clock skew) counts as now.
                let now = now_unix();
                let at = event.occurred_at.as_ref().map_or(now, |t| t.seconds.min(now));
                ([m.from.as_str(), m.from_user_id.as_str()], at)
            }
            _ => (["", ""], 0),
        };
        contacts.into_iter().filter(|c| !c.is_empty()).map(move |c| (event.phone_number_id.as_str(), c, at))
    })
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The window store: in this process, or shared through Redis by every replica.
pub enum Windows {
    /// In this process.
    Memory(MemoryWindows),
    /// Shared through Redis.
    Redis(RedisWindows),
}

impl Windows {
    /// An in-process store.
    pub fn memory() -> Self {
        Self::Memory(MemoryWindows::default())
    }

    /// Records the inbound messages among `events`.
    pub async fn record(&self, events: &[pb::Event]) -> Result<(), PolicyError> {
        match self {
            Self::Memory(windows) => {
                for (phone, contact, at) in inbound_times(events) {
                    windows.record(phone, contact, at);
                }
                Ok(())
            }
            Self::Redis(windows) => windows.record(events).await,
        }
    }

    /// The window of `contact` on `phone_number_id`, if the contact ever
    /// wrote, looked up under its WhatsApp id when Meta knows the number by
    /// another one (see [`Windows::alias`]).
    pub async fn get(&self, phone_number_id: &str, contact: &str) -> Result<Option<WindowState>, PolicyError> {
        let wa_id = match self {
            Self::Memory(windows) => windows.wa_id_of(phone_number_id, contact),
            Self::Redis(windows) => windows.wa_id_of(phone_number_id, contact).await?,
        };
        let contact = wa_id.as_deref().unwrap_or(contact);
        match self {
            Self::Memory(windows) => Ok(windows.get(phone_number_id, contact)),
            Self::Redis(windows) => windows.get(phone_number_id, contact).await,
        }
    }

    /// Remembers, from a send's answer, that Meta knows the number `dialled`
    /// (digits) as `wa_id`: inbound messages, and so windows, carry the
    /// WhatsApp id, which differs in some countries (Mexico's `52 1`).
    pub async fn alias(&self, phone_number_id: &str, dialled: &str, wa_id: &str) -> Result<(), PolicyError> {
        if dialled == wa_id || wa_id.is_empty() {
            return Ok(());
        }
        match self {
            Self::Memory(windows) => {
                windows.alias(phone_number_id, dialled, wa_id);
                Ok(())
            }
            Self::Redis(windows) => windows.alias(phone_number_id, dialled, wa_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_message_wins_even_out_of_order() {
        let windows = MemoryWindows::default();
        assert_eq!(windows.get("p", "c"), None);
        windows.record("p", "c", 1_000);
        windows.record("p", "c", 500);
        let state = windows.get("p", "c").unwrap();
        assert_eq!(state.last_inbound, 1_000);
        assert!(state.is_open(1_000 + 86_399));
        assert!(!state.is_open(1_000 + 86_400));
        assert_eq!(windows.get("p", "other"), None);
    }
}
