//! WhatsApp error objects, as messages, statuses and values carry them.

use serde::Deserialize;

use super::lenient;

/// An error object, in `messages[].errors`, `statuses[].errors` or `value.errors`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ErrorObject {
    /// The error code.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub(in crate::webhook) code: i64,
    /// The title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) title: String,
    /// The message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message: String,
    /// `{details}`.
    pub(in crate::webhook) error_data: Option<ErrorData>,
    /// A documentation link.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) href: String,
}

/// `errors[].error_data`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ErrorData {
    /// The details.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) details: String,
}
