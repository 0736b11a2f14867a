//! A problem with one request field: what every layer that checks a request
//! (conversion, policy) reports, and what [`crate::error`] turns into a
//! `google.rpc.BadRequest`. It lives at the bottom so those layers need not
//! import the error boundary above them.

/// One problem with a request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The path of the field, e.g. `content.interactive.buttons.buttons[3].title`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

/// The violations as one line: `field: description; …`.
pub fn describe(violations: &[FieldViolation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
}

/// The most of one input value an error message repeats.
pub const MAX_ECHO_BYTES: usize = 256;

/// `value` quoted for an error message, cut to [`MAX_ECHO_BYTES`] on a
/// character boundary: enough to recognise it, never enough to bloat a reply.
pub fn echo(value: &str) -> String {
    if value.len() <= MAX_ECHO_BYTES {
        return format!("{value:?}");
    }
    let mut end = MAX_ECHO_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", &value[..end], value.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_cut_on_a_character_boundary() {
        assert_eq!(echo("abc"), "\"abc\"");
        let long = "é".repeat(500);
        let cut = echo(&long);
        assert!(cut.len() < MAX_ECHO_BYTES + 32 && cut.ends_with("… (1000 bytes)"), "{cut}");
    }
}
