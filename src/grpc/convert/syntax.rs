//! Syntax checks shared by the conversions: URLs, parameter names, dates,
//! emoji, and values quoted for messages.

/// An absolute http(s) URL: a host, and no whitespace or control characters.
pub(in crate::grpc) fn is_http_url(url: &str) -> bool {
    let Some(rest) = strip_prefix_ignore_case(url, "https://").or_else(|| strip_prefix_ignore_case(url, "http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) { s.get(prefix.len()..) } else { None }
}

/// A placeholder name as Meta allows it: `^[a-z_][a-z0-9_]*$`.
/// The longest Graph id accepted: real ones are under 25 characters.
const MAX_GRAPH_ID_LEN: usize = 64;

/// Whether `id` can be a Graph object id, which becomes a URL path segment:
/// digits, optionally joined by `_` (Graph's composite ids), nothing that a
/// URL would read as a path, a query or an escape (`.`, `..`, `/`, `?`, `%`).
pub(in crate::grpc) fn is_graph_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_GRAPH_ID_LEN
        && id.split('_').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// A required Graph id for `field`, checked before it reaches a Graph path.
pub(in crate::grpc) fn check_graph_id(field: &str, id: &str, what: &str) -> Result<(), crate::error::Error> {
    use crate::error::Error;
    if id.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if !is_graph_id(id) {
        return Err(Error::invalid(field, format!("{} is not a {what} (Graph ids are digits)", quoted(id))));
    }
    Ok(())
}

pub(in crate::grpc) fn is_parameter_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `YYYY-MM-DD` with a plausible month and day.
pub(super) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let number = |range: std::ops::Range<usize>| s.get(range).and_then(|n| n.parse::<u8>().ok()).unwrap_or(0);
    b.len() == 10
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && (1..=12).contains(&number(5..7))
        && (1..=31).contains(&number(8..10))
}

/// Whether a character is (part of) an emoji: pictographs, dingbats, flags, joiners.
pub(super) fn is_emoji(ch: char) -> bool {
    matches!(u32::from(ch),
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, supplemental symbols
        | 0x2600..=0x27BF // miscellaneous symbols and dingbats
        | 0x2B00..=0x2BFF // arrows and stars such as ⭐
        | 0xFE0F | 0x200D // emoji presentation selector, zero-width joiner
    )
}

/// `s` quoted for an error message, cut short so a huge input does not bloat the reply.
pub(in crate::grpc) fn quoted(s: &str) -> String {
    const SHOWN: usize = 64;
    if s.chars().count() <= SHOWN {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_ids_are_digits_and_never_a_path() {
        for ok in ["1284751093365217", "12_34"] {
            assert!(is_graph_id(ok), "{ok}");
        }
        for bad in
            ["", ".", "..", "../me", "a/b", "12%2F", "12?fields=x", "12#", " 12", "12_", "_12", "abc", &"1".repeat(65)]
        {
            assert!(!is_graph_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn dates_are_checked_without_panicking() {
        assert!(is_date("2011-05-01"));
        for bad in ["2011-5-1", "2011-00-10", "2011-01-32", "20110501xx", "é011-05-01", "2011-05-0é", ""] {
            assert!(!is_date(bad), "{bad:?}");
        }
    }
}
