//! Ids, keys and clocks shaped like Meta's: Graph object ids, wamids,
//! business-scoped user ids, contact keys, language codes and the Unix time
//! in webhooks. Pure functions at the bottom of the emulator.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rand::Rng as _;

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A Graph object id: 16 decimal digits, no leading zero (fits in a u64).
pub(crate) fn graph_id() -> String {
    let mut rng = rand::rng();
    rng.random_range(1_000_000_000_000_000u64..10_000_000_000_000_000).to_string()
}

/// Which way a message went; Meta's wamids encode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Outbound,
    Inbound,
}

/// A wamid shaped like Meta's: `wamid.` + base64 of a small binary record
/// holding the user's number, the direction and a random hex id.
pub(crate) fn wamid(contact: &str, direction: Direction) -> String {
    let mut rng = rand::rng();
    let (marker, hex_len) = match direction {
        Direction::Outbound => (0x11u8, 18),
        Direction::Inbound => (0x12u8, 20),
    };
    let random: String = (0..hex_len).map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16)])).collect();
    let contact = &contact.as_bytes()[..contact.len().min(200)];
    let mut raw = vec![0x1c, 0x18, u8::try_from(contact.len()).unwrap_or(u8::MAX)];
    raw.extend_from_slice(contact);
    raw.extend_from_slice(&[0x15, 0x02, 0x00, marker, 0x18, u8::try_from(random.len()).unwrap_or(u8::MAX)]);
    raw.extend_from_slice(random.as_bytes());
    raw.push(0x00);
    format!("wamid.{}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Whether `s` looks like a business-scoped user id (`US.123…`, `US.ENT.123…`).
pub(crate) fn is_bsuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3
        && b.len() <= 256
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2] == b'.'
        && b[3..].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'.')
}

/// The key a contact is stored under: a BSUID as is, a number as its digits.
pub(crate) fn contact_key(contact: &str) -> String {
    let contact = contact.trim();
    if is_bsuid(contact) { contact.to_owned() } else { contact.chars().filter(char::is_ascii_digit).collect() }
}

/// Language codes match across `en_US` / `en-US` spellings.
pub(crate) fn same_language(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| x == y || (x == b'-' || x == b'_') && (y == b'-' || y == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wamids_look_like_metas() {
        let id = wamid("14155550123", Direction::Outbound);
        let raw = base64::engine::general_purpose::STANDARD.decode(id.trim_start_matches("wamid.")).expect("b64");
        assert_eq!(&raw[..3], &[0x1c, 0x18, 11]);
        assert_eq!(&raw[3..14], b"14155550123");
        assert_eq!(raw[17], 0x11);
        assert_ne!(id, wamid("14155550123", Direction::Outbound));
    }

    #[test]
    fn graph_ids_are_16_digits() {
        let id = graph_id();
        assert_eq!(id.len(), 16);
        assert!(id.parse::<u64>().is_ok());
    }

    #[test]
    fn contacts_are_keyed_by_digits_or_bsuid() {
        assert_eq!(contact_key("+1 (415) 555-0123"), "14155550123");
        assert_eq!(contact_key("US.ENT.123"), "US.ENT.123");
        assert!(is_bsuid("US.25718394402918375519"));
        assert!(!is_bsuid("14155550123"));
        assert!(!is_bsuid("us.123"));
    }

    #[test]
    fn languages_match_across_separators() {
        assert!(same_language("en_US", "en-US"));
        assert!(!same_language("en_US", "en_GB"));
        assert!(!same_language("en", "en_US"));
    }
}
