//! Stream entry ids (`<ms>-<seq>`): the cursors of the Redis bus.

use std::fmt;

use crate::bus::BusError;

/// A stream entry id (`<ms>-<seq>`), the cursor of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct EntryId {
    /// Redis's clock, in milliseconds, when the entry was added.
    pub(super) ms: u64,
    /// The entry's rank among those of the same millisecond.
    pub(super) seq: u64,
}

// === impl EntryId ===

impl EntryId {
    /// Before every entry.
    pub(super) const ZERO: Self = Self { ms: 0, seq: 0 };

    /// Parses `\d+-\d+` (each part fitting in 64 bits).
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-')?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse::<u64>().ok()
        };
        Some(Self { ms: number(ms)?, seq: number(seq)? })
    }

    /// Parses a cursor a client gave.
    pub(super) fn parse_cursor(cursor: impl AsRef<str> + Into<String>) -> Result<Self, BusError> {
        Self::parse(cursor.as_ref()).ok_or_else(|| BusError::invalid_cursor(cursor, "not a Redis stream entry id"))
    }

    /// The smallest id after this one, for an inclusive `XRANGE` start; `None`
    /// after the largest possible id.
    pub(super) fn successor(self) -> Option<Self> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(Self { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| Self { ms, seq: 0 }),
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::EntryId;

    #[test]
    fn entry_ids_parse_strictly() {
        assert_eq!(EntryId::parse("1700000000000-3"), Some(EntryId { ms: 1_700_000_000_000, seq: 3 }));
        assert_eq!(EntryId::parse("0-0"), Some(EntryId::ZERO));
        for bad in ["", "-", "1-", "-1", "1", "1-2-3", "a-1", "+1-2", "1- 2", "18446744073709551616-0"] {
            assert_eq!(EntryId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn successor_carries_into_milliseconds() {
        assert_eq!(EntryId { ms: 5, seq: 1 }.successor(), Some(EntryId { ms: 5, seq: 2 }));
        assert_eq!(EntryId { ms: 5, seq: u64::MAX }.successor(), Some(EntryId { ms: 6, seq: 0 }));
        assert_eq!(EntryId { ms: u64::MAX, seq: u64::MAX }.successor(), None);
        assert_eq!(EntryId { ms: 7, seq: 9 }.to_string(), "7-9");
    }
}
