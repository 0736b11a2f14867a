//! Recipients: an E.164 phone number or a business-scoped user id.

use super::syntax::quoted;
use crate::graph::messages::SendTo;

const PHONE_DIGITS_MIN: usize = 8;
const PHONE_DIGITS_MAX: usize = 15;
const BSUID_MAX: usize = 256;

const RECIPIENT_FORM: &str = "a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
                              or a business-scoped user id (e.g. US.1234)";

/// Where a send goes: one of the two recipient forms the Cloud API accepts,
/// parsed once per request and used for the body, the contact's window and
/// the pair rate limit alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// A phone number.
    Phone {
        /// As the client wrote it; the body sends it so, as Meta echoes it
        /// back as `contacts[].input`.
        given: &'a str,
        /// Its digits only (no `+` or separators).
        digits: String,
    },
    /// A business-scoped user id (BSUID) such as `US.25718394402918375519`,
    /// or a parent BSUID such as `US.ENT.1234`.
    UserId(&'a str),
}

impl<'a> Recipient<'a> {
    /// Parses a recipient.
    ///
    /// Accepts an E.164 phone number (an optional leading `+`; spaces, dashes,
    /// parentheses and dots between digits; 8 to 15 digits, not starting with 0)
    /// or a BSUID (`CC.` + letters and digits, at most 256 characters, with an
    /// optional `ENT.` for parent ids).
    ///
    /// # Errors
    ///
    /// Anything else, with a description of the problem suitable as a
    /// [`FieldViolation`](crate::error::FieldViolation) description.
    pub fn parse(to: &'a str) -> Result<Self, String> {
        if to.is_empty() {
            return Err(format!("is required: {RECIPIENT_FORM}"));
        }
        if let Some(digits) = phone_digits(to) {
            return Ok(Self::Phone { given: to, digits });
        }
        if is_bsuid(to) {
            return Ok(Self::UserId(to));
        }
        Err(format!("must be {RECIPIENT_FORM}, got {}", quoted(to)))
    }

    /// The key of the contact's window and pair rate limit: a phone number's
    /// digits (so every spelling of a number is one contact), or the user id.
    pub fn contact_key(&self) -> &str {
        match self {
            Self::Phone { digits, .. } => digits,
            Self::UserId(id) => id,
        }
    }

    /// How a Graph body names it: a phone number as given, a user id as `recipient`.
    pub fn send_to(&self) -> SendTo<'a> {
        match self {
            Self::Phone { given, .. } => SendTo::Phone(given),
            Self::UserId(id) => SendTo::UserId(id),
        }
    }
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
        let phone = |given, digits: &str| Ok(Recipient::Phone { given, digits: digits.into() });
        assert_eq!(Recipient::parse("14155550123"), phone("14155550123", "14155550123"));
        assert_eq!(Recipient::parse("+1 (415) 555-0123"), phone("+1 (415) 555-0123", "14155550123"));
        assert_eq!(Recipient::parse("+44.20.7946.0958"), phone("+44.20.7946.0958", "442079460958"));
        assert_eq!(Recipient::parse("12345678"), phone("12345678", "12345678"));
        assert_eq!(Recipient::parse("123456789012345"), phone("123456789012345", "123456789012345"));
        assert_eq!(Recipient::parse("US.1234"), Ok(Recipient::UserId("US.1234")));
        assert_eq!(Recipient::parse("BR.ENT.99812"), Ok(Recipient::UserId("BR.ENT.99812")));
        let long = format!("US.{}", "a1".repeat(126));
        assert_eq!(Recipient::parse(&long), Ok(Recipient::UserId(&long)));
    }

    #[test]
    fn the_contact_key_is_the_digits_or_the_user_id() {
        assert_eq!(Recipient::parse("+1 (415) 555-0123").unwrap().contact_key(), "14155550123");
        assert_eq!(Recipient::parse("US.1234").unwrap().contact_key(), "US.1234");
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
            assert!(Recipient::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Recipient::parse(&format!("US.{}", "1".repeat(254))).is_err(), "BSUIDs are at most 256 characters");
        assert_eq!(
            Recipient::parse("12ab").unwrap_err(),
            "must be a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
             or a business-scoped user id (e.g. US.1234), got \"12ab\""
        );
        assert!(Recipient::parse("").unwrap_err().starts_with("is required"));
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
