//! Recipients: an E.164 phone number or a business-scoped user id.

use super::syntax::quoted;

const PHONE_DIGITS_MIN: usize = 8;
const PHONE_DIGITS_MAX: usize = 15;
const BSUID_MAX: usize = 256;

const RECIPIENT_FORM: &str = "a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
                              or a business-scoped user id (e.g. US.1234)";

/// Where a send goes: the two recipient forms the Cloud API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number; holds its digits only (no `+` or separators).
    Phone(String),
    /// A business-scoped user id (BSUID) such as `US.25718394402918375519`,
    /// or a parent BSUID such as `US.ENT.1234`.
    UserId(String),
}

/// Normalises a recipient.
///
/// Accepts an E.164 phone number (an optional leading `+`; spaces, dashes,
/// parentheses and dots between digits; 8 to 15 digits, not starting with 0)
/// or a BSUID (`CC.` + letters and digits, at most 256 characters, with an
/// optional `ENT.` for parent ids).
///
/// # Errors
///
/// Anything else, with a description of the problem suitable as a
/// [`FieldViolation`] description.
pub fn recipient(to: &str) -> Result<Recipient, String> {
    if to.is_empty() {
        return Err(format!("is required: {RECIPIENT_FORM}"));
    }
    if let Some(digits) = phone_digits(to) {
        return Ok(Recipient::Phone(digits));
    }
    if is_bsuid(to) {
        return Ok(Recipient::UserId(to.to_owned()));
    }
    Err(format!("must be {RECIPIENT_FORM}, got {}", quoted(to)))
}

/// The digits of a phone number in E.164 form, or `None`.
fn phone_digits(to: &str) -> Option<String> {
    let to = to.trim_start_matches(' ');
    let to = to.strip_prefix('+').unwrap_or(to);
    let mut digits = String::with_capacity(PHONE_DIGITS_MAX);
    for ch in to.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    let valid = (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits.len()) && !digits.starts_with('0');
    valid.then_some(digits)
}

/// `CC.<alnum>` or a parent id `CC.ENT.<alnum>`, at most 256 characters (REFERENCE.md §1.3).
fn is_bsuid(to: &str) -> bool {
    let Some((country, id)) = to.split_once('.') else {
        return false;
    };
    let id = id.strip_prefix("ENT.").unwrap_or(id);
    to.len() <= BSUID_MAX
        && country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn recipient_accepts_phone_numbers_and_bsuids() {
        let phone = |digits: &str| Ok(Recipient::Phone(digits.into()));
        assert_eq!(recipient("14155550123"), phone("14155550123"));
        assert_eq!(recipient("+1 (415) 555-0123"), phone("14155550123"));
        assert_eq!(recipient("+44.20.7946.0958"), phone("442079460958"));
        assert_eq!(recipient("12345678"), phone("12345678"));
        assert_eq!(recipient("123456789012345"), phone("123456789012345"));
        assert_eq!(recipient("US.1234"), Ok(Recipient::UserId("US.1234".into())));
        assert_eq!(recipient("BR.ENT.99812"), Ok(Recipient::UserId("BR.ENT.99812".into())));
        let long = format!("US.{}", "a1".repeat(126));
        assert_eq!(recipient(&long), Ok(Recipient::UserId(long.clone())));
    }

    #[test]
    fn recipient_rejects_everything_else() {
        for bad in [
            "12ab",
            "1234567",
            "1234567890123456",
            "+0123456789",
            "++14155550123",
            "1415555012+3",
            "14155550123\n",
            "us.1234",
            "USA.1234",
            "US.",
            "US.12-34",
            "US.ENT.",
            "+",
            "(+)",
            "🙂",
        ] {
            assert!(recipient(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(recipient(&format!("US.{}", "1".repeat(254))).is_err(), "BSUIDs are at most 256 characters");
        assert_eq!(
            recipient("12ab").unwrap_err(),
            "must be a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
             or a business-scoped user id (e.g. US.1234), got \"12ab\""
        );
        assert!(recipient("").unwrap_err().starts_with("is required"));
    }

    #[test]
    fn invalid_to_is_reported_on_to() {
        let req = pb::SendMessageRequest { to: "12ab".into(), ..send(text("hi")) };
        assert_eq!(fields(&req), ["to"]);
        assert!(violation(&req, "to").ends_with("got \"12ab\""));
    }

    #[test]
    fn huge_inputs_are_quoted_short() {
        let req = pb::SendMessageRequest { to: "x".repeat(100_000), ..send(text("hi")) };
        assert!(violation(&req, "to").len() < 300);
    }
}
