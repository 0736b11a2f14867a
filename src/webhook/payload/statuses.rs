//! Delivery statuses of outbound messages (§5.6): one `value.statuses[]`
//! element with its pricing and conversation.

use serde::Deserialize;

use super::{errors::ErrorObject, lenient};

/// One `value.statuses[]` element (§5.6).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Status {
    /// The wamid of the outbound message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// `sent`, `delivered`, `read`, `played`, `failed`, or something newer.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) status: String,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(in crate::webhook) timestamp: Option<i64>,
    /// The recipient's `wa_id` (or group id).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) recipient_id: String,
    /// The recipient's BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) recipient_user_id: String,
    /// Echoed from the send request.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) biz_opaque_callback_data: String,
    /// What the message costs.
    pub(in crate::webhook) pricing: Option<Pricing>,
    /// The conversation (CBP-era and free-entry-point windows).
    pub(in crate::webhook) conversation: Option<Conversation>,
    /// Why it failed.
    pub(in crate::webhook) errors: Option<Vec<ErrorObject>>,
}

/// `statuses[].pricing`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Pricing {
    /// `PMP` or `CBP`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) pricing_model: String,
    /// `regular`, `free_customer_service`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
    /// `service`, `utility`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) category: String,
    /// Deprecated by Meta.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(in crate::webhook) billable: bool,
}

/// `statuses[].conversation`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Conversation {
    /// The conversation id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// Unix seconds, on `sent` only.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(in crate::webhook) expiration_timestamp: Option<i64>,
    /// `{type}`.
    pub(in crate::webhook) origin: Option<Origin>,
}

/// `conversation.origin`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Origin {
    /// `service`, `marketing`, `referral_conversion`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
}
