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
