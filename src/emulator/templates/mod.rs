//! Message template rules (REFERENCE.md §4): create and edit validation,
//! the emulated review's verdict and webhooks, listing with cursors and
//! filters, and the checks a template send must pass. Pure functions over
//! [`Template`] values; the store and the HTTP handlers sit above them.
//!
//! Guarantees: create input is case-insensitive and stored UPPERCASE (OTP
//! buttons are stored as URL buttons, as Meta's GET returns them); every
//! status, category or quality change is described by the webhook Meta
//! would send, with `entry.time` and `message_template_id` as a JSON number.
//!
//! Layout: `create` validates a create request, `components` and
//! `placeholders` the component list and its `{{…}}` variables, `edit` an
//! edit; `review` holds the verdict and the webhook items; `listing` renders
//! and pages; `send` checks a template send.

mod components;
pub(crate) mod create;
pub(crate) mod edit;
pub(crate) mod listing;
mod placeholders;
pub(crate) mod review;
pub(crate) mod send;

use std::time::Instant;

use serde_json::Value;

use super::{
    errors::GraphError,
    ids::{graph_id, unix_now},
};

/// A template rule's result: the Graph error to answer with.
pub(crate) type Result<T> = std::result::Result<T, GraphError>;

/// One message template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) category: String,
    pub(crate) parameter_format: String,
    /// Normalized components (UPPERCASE enum values, OTP buttons as URL).
    pub(crate) components: Vec<Value>,
    pub(crate) status: String,
    pub(crate) rejected_reason: Option<String>,
    pub(crate) quality_score: String,
    pub(crate) quality_date: i64,
    pub(crate) ttl_seconds: Option<i64>,
    /// Bumped by every create/edit so a stale review does not apply.
    pub(crate) review: u64,
    /// When this template was edited while APPROVED (Meta caps those edits).
    pub(crate) approved_edits: Vec<Instant>,
}

/// How strictly a template is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// `POST /message_templates`: every rule of §4.1, examples included.
    Create,
    /// Seeded by a test: examples are optional, `parameter_format` is inferred.
    Seed,
}

/// A validated create request.
#[derive(Debug, Clone)]
pub(crate) struct NewTemplate {
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) category: String,
    pub(crate) parameter_format: String,
    pub(crate) components: Vec<Value>,
    pub(crate) ttl_seconds: Option<i64>,
}

impl NewTemplate {
    /// A PENDING template with a fresh id.
    pub(crate) fn into_template(self) -> Template {
        Template {
            id: graph_id(),
            name: self.name,
            language: self.language,
            category: self.category,
            parameter_format: self.parameter_format,
            components: self.components,
            status: "PENDING".into(),
            rejected_reason: None,
            quality_score: "UNKNOWN".into(),
            quality_date: unix_now(),
            ttl_seconds: self.ttl_seconds,
            review: 1,
            approved_edits: Vec::new(),
        }
    }
}

/// 100 Invalid parameter, the error of every template rule.
pub(crate) fn bad(details: impl Into<String>) -> GraphError {
    GraphError::invalid_param(details)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    /// A valid create request, in mixed case as clients send it.
    pub(super) fn create_body() -> Value {
        json!({
            "name": "order_shipped", "language": "en_US", "category": "utility", "parameter_format": "positional",
            "components": [
                {"type": "header", "format": "image", "example": {"header_handle": ["4::aW1h"]}},
                {"type": "body", "text": "Hi {{1}}, your order of {{2}} ships {{3}}.",
                    "example": {"body_text": [["Ana", "$84.50", "July 15"]]}},
                {"type": "footer", "text": "Example Outfitters"},
                {"type": "buttons", "buttons": [
                    {"type": "url", "text": "Track", "url": "https://x.example/t/{{1}}", "example": ["https://x.example/t/1"]},
                    {"type": "quick_reply", "text": "Stop updates"}]}
            ]
        })
    }
}
