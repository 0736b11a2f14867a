//! Meta's spellings of the enums the contract names: the one place each
//! Graph string is tied to its proto value, for the outbound client, the
//! template conversion and the webhook reader alike.
//!
//! Reading is lenient (any case; an unknown spelling is UNSPECIFIED, and the
//! caller keeps the raw string where it matters); writing gives Meta's
//! upper-case spelling, `None` for UNSPECIFIED.

use crate::pb;

/// A delivery status as a status webhook spells it (`sent`, `delivered`, …).
pub fn message_status_from_graph(status: &str) -> pb::MessageStatus {
    pb::MessageStatus::from_str_name(&format!("MESSAGE_STATUS_{}", status.to_ascii_uppercase()))
        .unwrap_or(pb::MessageStatus::Unspecified)
}

/// A template status (`APPROVED`, `PENDING_DELETION`, …); webhook events that
/// are not statuses (`FLAGGED`, `LOCKED`, `REINSTATED`) are UNSPECIFIED.
pub fn template_status_from_graph(status: &str) -> pb::TemplateStatus {
    pb::TemplateStatus::from_str_name(&format!("TEMPLATE_STATUS_{}", status.to_ascii_uppercase()))
        .unwrap_or(pb::TemplateStatus::Unspecified)
}

/// The Graph spelling of a template status (`None` for UNSPECIFIED).
pub fn template_status_to_graph(status: pb::TemplateStatus) -> Option<&'static str> {
    (status != pb::TemplateStatus::Unspecified).then(|| status.as_str_name().trim_start_matches("TEMPLATE_STATUS_"))
}

/// A template category (`MARKETING`, `UTILITY`, `AUTHENTICATION`).
pub fn template_category_from_graph(category: &str) -> pb::TemplateCategory {
    pb::TemplateCategory::from_str_name(&format!("TEMPLATE_CATEGORY_{}", category.to_ascii_uppercase()))
        .unwrap_or(pb::TemplateCategory::Unspecified)
}

/// The Graph spelling of a template category (`None` for UNSPECIFIED).
pub fn template_category_to_graph(category: pb::TemplateCategory) -> Option<&'static str> {
    (category != pb::TemplateCategory::Unspecified)
        .then(|| category.as_str_name().trim_start_matches("TEMPLATE_CATEGORY_"))
}

/// A template quality score (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`).
pub fn quality_score_from_graph(score: &str) -> pb::QualityScore {
    pb::QualityScore::from_str_name(&format!("QUALITY_SCORE_{}", score.to_ascii_uppercase()))
        .unwrap_or(pb::QualityScore::Unspecified)
}

/// A template's `parameter_format` (`NAMED`, `POSITIONAL`); absent is UNSPECIFIED.
pub fn parameter_format_from_graph(format: Option<&str>) -> pb::TemplateParameterFormat {
    format
        .and_then(|f| {
            pb::TemplateParameterFormat::from_str_name(&format!("TEMPLATE_PARAMETER_FORMAT_{}", f.to_ascii_uppercase()))
        })
        .unwrap_or(pb::TemplateParameterFormat::Unspecified)
}

/// The Graph spelling of a parameter format; Meta's default, POSITIONAL, for UNSPECIFIED.
pub fn parameter_format_to_graph(format: Option<pb::TemplateParameterFormat>) -> &'static str {
    match format {
        Some(pb::TemplateParameterFormat::Named) => "NAMED",
        _ => "POSITIONAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_unknown_ones_are_unspecified() {
        assert_eq!(message_status_from_graph("delivered"), pb::MessageStatus::Delivered);
        assert_eq!(message_status_from_graph("deleted"), pb::MessageStatus::Unspecified);
        assert_eq!(template_status_from_graph("PENDING_DELETION"), pb::TemplateStatus::PendingDeletion);
        assert_eq!(template_status_from_graph("LOCKED"), pb::TemplateStatus::Unspecified);
        assert_eq!(template_status_to_graph(pb::TemplateStatus::InAppeal), Some("IN_APPEAL"));
        assert_eq!(template_status_to_graph(pb::TemplateStatus::Unspecified), None);
        assert_eq!(template_category_from_graph("authentication"), pb::TemplateCategory::Authentication);
        assert_eq!(template_category_to_graph(pb::TemplateCategory::Marketing), Some("MARKETING"));
        assert_eq!(quality_score_from_graph("YELLOW"), pb::QualityScore::Yellow);
        assert_eq!(parameter_format_from_graph(Some("named")), pb::TemplateParameterFormat::Named);
        assert_eq!(parameter_format_from_graph(None), pb::TemplateParameterFormat::Unspecified);
        assert_eq!(parameter_format_to_graph(None), "POSITIONAL");
        for status in [pb::TemplateStatus::Approved, pb::TemplateStatus::LimitExceeded] {
            assert_eq!(template_status_from_graph(template_status_to_graph(status).unwrap()), status);
        }
    }
}
