//! Template updates (§5.7): the values of the status, category and quality
//! fields, and the keys that tell a quality update wherever it arrives.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::lenient;

/// Only the keys that decide how a non-`messages` value is read: Meta's docs
/// show quality updates under `message_template_status_update` too.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct TemplateKeys<'a> {
    /// Present on every template field.
    #[serde(borrow)]
    pub(in crate::webhook) message_template_id: Option<&'a RawValue>,
    /// Present only on quality updates.
    #[serde(borrow)]
    pub(in crate::webhook) new_quality_score: Option<&'a RawValue>,
}

/// The value of `message_template_status_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct TemplateStatusValue {
    /// `APPROVED`, `REJECTED`, `FLAGGED`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) event: String,
    /// A JSON number beyond 2^53 or a string, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_name: String,
    /// The language, `en_US` or `en-US`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_language: String,
    /// `NONE`, `INVALID_FORMAT`, …; `null` when scheduled for deletion.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) reason: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_category: String,
}

/// The value of `template_category_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct TemplateCategoryValue {
    /// The template id, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_name: String,
    /// The language.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_language: String,
    /// Before a completed change.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) previous_category: String,
    /// After a completed change, or the current category of a notice.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) new_category: String,
    /// The category an impending change will give.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) correct_category: String,
    /// When an impending change takes effect.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(in crate::webhook) category_update_timestamp: Option<i64>,
}

/// The value of `message_template_quality_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct TemplateQualityValue {
    /// The template id, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_name: String,
    /// The language.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_template_language: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) previous_quality_score: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) new_quality_score: String,
}
