//! The gateway's one reading of `{{…}}` placeholders: the send check reads
//! approved templates with it, and template creation checks the names it yields.

/// A `{{` that no `}}` closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedPlaceholder;

/// Every `{{…}}` placeholder of `text` as written (trimmed, possibly empty),
/// in order, repeats included; a `{{` that is never closed ends the scan
/// with [`UnclosedPlaceholder`].
pub fn scan_placeholders(text: &str) -> impl Iterator<Item = Result<&str, UnclosedPlaceholder>> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let Some(open) = current.find("{{") else {
            rest = None;
            return None;
        };
        let after = &current[open + 2..];
        match after.find("}}") {
            Some(close) => {
                rest = Some(&after[close + 2..]);
                Some(Ok(after[..close].trim()))
            }
            None => {
                rest = None;
                Some(Err(UnclosedPlaceholder))
            }
        }
    })
}

/// The distinct, non-empty placeholders of `text`, in order of first
/// appearance, up to an unclosed `{{`. Lenient, as Meta already accepted the
/// templates this reads; creation checks the names first.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for name in scan_placeholders(text).map_while(Result::ok) {
        if !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    }
    found
}

/// `name` in braces, as a template writes it: `{{name}}`.
pub(super) fn braces(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// Placeholders in braces, comma-separated, for messages.
pub(super) fn list(names: &[&str]) -> String {
    names.iter().map(|n| braces(n)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_distinct_and_ordered() {
        assert_eq!(placeholders("{{2}} {{1}} {{ 2 }}"), ["2", "1"]);
        assert_eq!(placeholders("no vars"), Vec::<String>::new());
        assert_eq!(placeholders("open {{1"), Vec::<String>::new());
        assert_eq!(placeholders("{{}} {{a}} then {{b"), ["a"]);
    }

    #[test]
    fn a_scan_yields_every_placeholder_as_written() {
        let scanned: Vec<_> = scan_placeholders("{{ 1 }}{{}}{{1}} {{x").collect();
        assert_eq!(scanned, [Ok("1"), Ok(""), Ok("1"), Err(UnclosedPlaceholder)]);
        assert_eq!(scan_placeholders("}} no {{ opening").count(), 1);
        assert_eq!(scan_placeholders("plain").next(), None);
    }
}
