//! Template updates: a template's status (approved, rejected, paused, …),
//! its category and its quality score, each keyed by the template id.

use serde::de::Error as _;
use serde_json::value::RawValue;

use super::{
    element::{Origin, Parsed, Read, seconds},
    raw::from_raw,
};
use crate::{graph::vocab, pb, pb::event::Kind, webhook::payload};

/// The template update a change carries, or `None` when the change's field
/// is not a template field (and its value is no quality update).
pub(super) fn read_template_change(origin: &Origin<'_>, value: &RawValue) -> Option<Read> {
    // Meta's reference shows quality payloads under the status field, so the
    // keys decide before the field name does.
    let keys = from_raw::<payload::TemplateKeys<'_>>(value).ok();
    let is_quality = keys.is_some_and(|k| k.message_template_id.is_some() && k.new_quality_score.is_some());
    if is_quality {
        return Some(read_template_quality(origin, value));
    }
    match origin.field {
        "message_template_status_update" => Some(read_template_status(origin, value)),
        "template_category_update" => Some(read_template_category(origin, value)),
        "message_template_quality_update" => Some(read_template_quality(origin, value)),
        _ => None,
    }
}

fn read_template_status(origin: &Origin<'_>, value: &RawValue) -> Read {
    let v: payload::TemplateStatusValue = from_raw(value)?;
    require_template_id(&v.message_template_id)?;
    let update = pb::TemplateStatusUpdate {
        status: vocab::template_status_from_graph(&v.event).into(),
        category: vocab::template_category_from_graph(&v.message_template_category).into(),
        template_id: v.message_template_id,
        template_name: v.message_template_name,
        language: v.message_template_language,
        event: v.event,
        reason: v.reason,
    };
    Ok(Parsed {
        id: format!("template:{}:{}:{}", update.template_id, update.event, origin.time_or_digest(value)),
        occurred_at: origin.entry_time,
        kind: Kind::TemplateStatus(update),
    })
}

fn read_template_category(origin: &Origin<'_>, value: &RawValue) -> Read {
    let v: payload::TemplateCategoryValue = from_raw(value)?;
    require_template_id(&v.message_template_id)?;
    let id = format!("template-category:{}:{}:{}", v.message_template_id, v.new_category, origin.time_or_digest(value));
    let update = pb::TemplateCategoryUpdate {
        previous_category: vocab::template_category_from_graph(&v.previous_category).into(),
        new_category: vocab::template_category_from_graph(&v.new_category).into(),
        correct_category: vocab::template_category_from_graph(&v.correct_category).into(),
        category_update_at: v.category_update_timestamp.map(seconds),
        template_id: v.message_template_id,
        template_name: v.message_template_name,
        language: v.message_template_language,
    };
    Ok(Parsed { id, occurred_at: origin.entry_time, kind: Kind::TemplateCategory(update) })
}

fn read_template_quality(origin: &Origin<'_>, value: &RawValue) -> Read {
    let v: payload::TemplateQualityValue = from_raw(value)?;
    require_template_id(&v.message_template_id)?;
    let id =
        format!("template-quality:{}:{}:{}", v.message_template_id, v.new_quality_score, origin.time_or_digest(value));
    let update = pb::TemplateQualityUpdate {
        previous_quality_score: vocab::quality_score_from_graph(&v.previous_quality_score).into(),
        new_quality_score: vocab::quality_score_from_graph(&v.new_quality_score).into(),
        template_id: v.message_template_id,
        template_name: v.message_template_name,
        language: v.message_template_language,
    };
    Ok(Parsed { id, occurred_at: origin.entry_time, kind: Kind::TemplateQuality(update) })
}

/// The template id is the subject of the event and part of its key.
fn require_template_id(id: &str) -> Result<(), serde_json::Error> {
    if id.is_empty() { Err(serde_json::Error::missing_field("message_template_id")) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use crate::{
        bus::kind_of,
        pb,
        pb::event::Kind,
        webhook::events::testing::{WABA, at, change, fixture, only, unknown_field},
    };

    // === every sample ===

    #[test]
    fn template_approved() {
        let event = only(fixture!("webhook-template-status-update"));
        assert_eq!(event.id, "template:1938475610293847:APPROVED:1784023925");
        assert_eq!(kind_of(&event), pb::EventKind::TemplateStatus);
        assert_eq!(
            event.kind,
            Some(Kind::TemplateStatus(pb::TemplateStatusUpdate {
                template_id: "1938475610293847".into(),
                template_name: "order_shipped".into(),
                language: "en_US".into(),
                status: pb::TemplateStatus::Approved.into(),
                event: "APPROVED".into(),
                reason: "NONE".into(),
                category: pb::TemplateCategory::Utility.into(),
            }))
        );
        assert_eq!(event.occurred_at, at(1_784_023_925));
        assert_eq!((event.waba_id.as_str(), event.phone_number_id.as_str()), (WABA, ""));
        assert!(event.raw_json.starts_with('{') && event.raw_json.contains(r#""event": "APPROVED""#));
    }

    #[test]
    fn template_rejected() {
        let event = only(fixture!("webhook-template-status-update-rejected"));
        assert_eq!(event.id, "template:1029384756102938:REJECTED:1784024025");
        let Some(Kind::TemplateStatus(t)) = &event.kind else { panic!("not a template status: {event:?}") };
        assert_eq!((t.status(), t.reason.as_str()), (pb::TemplateStatus::Rejected, "INVALID_FORMAT"));
        assert_eq!((t.template_name.as_str(), t.category()), ("summer_sale", pb::TemplateCategory::Marketing));
        // rejection_info is not modelled, but the client can read it here.
        assert!(event.raw_json.contains("Two variables sit next to each other"));
    }

    #[test]
    fn template_paused() {
        let event = only(fixture!("webhook-template-status-update-paused"));
        assert_eq!(event.id, "template:1938475610293847:PAUSED:1784027525");
        let Some(Kind::TemplateStatus(t)) = &event.kind else { panic!("not a template status: {event:?}") };
        assert_eq!((t.status(), t.event.as_str()), (pb::TemplateStatus::Paused, "PAUSED"));
        assert_eq!(t.category(), pb::TemplateCategory::Unspecified);
        assert!(event.raw_json.contains("FIRST_PAUSE"));
    }

    #[test]
    fn template_category_changed() {
        let event = only(fixture!("webhook-template-category-update"));
        assert_eq!(event.id, "template-category:1938475610293847:MARKETING:1784024125");
        assert_eq!(kind_of(&event), pb::EventKind::TemplateCategory);
        assert_eq!(
            event.kind,
            Some(Kind::TemplateCategory(pb::TemplateCategoryUpdate {
                template_id: "1938475610293847".into(),
                template_name: "order_shipped".into(),
                language: "en_US".into(),
                previous_category: pb::TemplateCategory::Utility.into(),
                new_category: pb::TemplateCategory::Marketing.into(),
                correct_category: pb::TemplateCategory::Unspecified.into(),
                category_update_at: None,
            }))
        );
        assert_eq!(event.occurred_at, at(1_784_024_125));
    }

    #[test]
    fn template_quality_changed() {
        let event = only(fixture!("webhook-template-quality-update"));
        assert_eq!(event.id, "template-quality:1938475610293847:YELLOW:1784025725");
        assert_eq!(kind_of(&event), pb::EventKind::TemplateQuality);
        assert_eq!(
            event.kind,
            Some(Kind::TemplateQuality(pb::TemplateQualityUpdate {
                template_id: "1938475610293847".into(),
                template_name: "order_shipped".into(),
                language: "en_US".into(),
                previous_quality_score: pb::QualityScore::Green.into(),
                new_quality_score: pb::QualityScore::Yellow.into(),
            }))
        );
    }

    // === beyond the samples ===

    #[test]
    fn template_id_beyond_2_pow_53_is_exact() {
        // 2^53 + 1 is the first integer an f64 cannot hold.
        let value = r#"{"event":"APPROVED","message_template_id":9007199254740993,"message_template_name":"n","message_template_language":"en_US","reason":"NONE"}"#;
        let event = only(&change("message_template_status_update", value));
        let Some(Kind::TemplateStatus(t)) = &event.kind else { panic!("not a template status: {event:?}") };
        assert_eq!(t.template_id, "9007199254740993");
        assert_eq!(event.id, "template:9007199254740993:APPROVED:1784023925");

        let max = r#"{"new_category":"UTILITY","message_template_id":18446744073709551615}"#;
        let Some(Kind::TemplateCategory(c)) = only(&change("template_category_update", max)).kind else {
            panic!("not a category update")
        };
        assert_eq!(c.template_id, "18446744073709551615");

        let as_string = r#"{"new_quality_score":"RED","message_template_id":"9007199254740993"}"#;
        let Some(Kind::TemplateQuality(q)) = only(&change("message_template_quality_update", as_string)).kind else {
            panic!("not a quality update")
        };
        assert_eq!((q.template_id.as_str(), q.new_quality_score()), ("9007199254740993", pb::QualityScore::Red));
    }

    #[test]
    fn fractional_template_id_is_malformed_not_rounded() {
        let value = r#"{"event":"APPROVED","message_template_id":1.5e300}"#;
        let event = only(&change("message_template_status_update", value));
        assert_eq!(unknown_field(&event), "message_template_status_update");
    }

    #[test]
    fn quality_payload_under_the_status_field_is_a_quality_update() {
        let value = r#"{"previous_quality_score":"GREEN","new_quality_score":"RED","message_template_id":1938475610293847,"message_template_name":"order_shipped","message_template_language":"en-US"}"#;
        let event = only(&change("message_template_status_update", value));
        assert_eq!(kind_of(&event), pb::EventKind::TemplateQuality);
        assert_eq!(event.id, "template-quality:1938475610293847:RED:1784023925");
    }

    #[test]
    fn template_events_that_are_not_statuses() {
        let value = r#"{"event":"FLAGGED","message_template_id":"42","reason":null,"disable_info":{"disable_date":"January 31, 2021"}}"#;
        let event = only(&change("message_template_status_update", value));
        let Some(Kind::TemplateStatus(t)) = &event.kind else { panic!("not a template status: {event:?}") };
        assert_eq!((t.status(), t.event.as_str(), t.reason.as_str()), (pb::TemplateStatus::Unspecified, "FLAGGED", ""));
        assert_eq!(event.id, "template:42:FLAGGED:1784023925");
        assert!(event.raw_json.contains("January 31, 2021"));
    }

    #[test]
    fn impending_category_change() {
        let value = r#"{"message_template_id":7,"message_template_name":"t","message_template_language":"en_US","new_category":"UTILITY","correct_category":"MARKETING","category_update_timestamp":1784110325}"#;
        let Some(Kind::TemplateCategory(c)) = only(&change("template_category_update", value)).kind else {
            panic!("not a category update")
        };
        assert_eq!(c.new_category(), pb::TemplateCategory::Utility);
        assert_eq!(c.correct_category(), pb::TemplateCategory::Marketing);
        assert_eq!(c.previous_category(), pb::TemplateCategory::Unspecified);
        assert_eq!(c.category_update_at, at(1_784_110_325));
    }

    #[test]
    fn template_update_without_id_is_malformed() {
        let event = only(&change("template_category_update", r#"{"new_category":"UTILITY"}"#));
        assert_eq!(unknown_field(&event), "template_category_update");
    }
}
