//! Delivery statuses of outbound messages (`value.statuses[]`): sent,
//! delivered, read, played, failed, and whatever Meta adds later.

use serde::de::Error as _;
use serde_json::value::RawValue;

use super::{
    element::{Parsed, Read, seconds},
    errors::errors,
    raw::from_raw,
};
use crate::{graph::vocab, pb, pb::event::Kind, webhook::payload};

/// One element of `value.statuses[]`, keyed by wamid and status.
pub(super) fn read_status(raw: &RawValue) -> Read {
    let s: payload::Status = from_raw(raw)?;
    // Both make up the dedup key: without them the event cannot be keyed.
    if s.id.is_empty() {
        return Err(serde_json::Error::missing_field("id"));
    }
    if s.status.is_empty() {
        return Err(serde_json::Error::missing_field("status"));
    }
    let update = pb::MessageStatusUpdate {
        status: vocab::message_status_from_graph(&s.status).into(),
        message_id: s.id,
        status_raw: s.status,
        recipient_id: s.recipient_id,
        recipient_user_id: s.recipient_user_id,
        biz_opaque_callback_data: s.biz_opaque_callback_data,
        pricing: s.pricing.map(|p| pb::Pricing {
            pricing_model: p.pricing_model,
            r#type: p.kind,
            category: p.category,
            billable: p.billable,
        }),
        conversation: s.conversation.map(|c| pb::Conversation {
            id: c.id,
            expires_at: c.expiration_timestamp.map(seconds),
            origin_type: c.origin.map(|o| o.kind).unwrap_or_default(),
        }),
        errors: errors(s.errors),
        superseded: false,
    };
    Ok(Parsed {
        id: format!("{}:{}", update.message_id, update.status_raw),
        occurred_at: s.timestamp,
        kind: Kind::Status(update),
    })
}

#[cfg(test)]
mod tests {
    use crate::{
        bus::{contact_of, kind_of},
        pb,
        webhook::events::testing::{ANA, PHONE, WABA, at, change, fixture, only, status},
    };

    // === every sample ===

    #[test]
    fn status_sent() {
        let event = only(fixture!("webhook-status-sent"));
        let s = status(&event);
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA:sent");
        assert_eq!(s.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
        assert_eq!((s.status(), s.status_raw.as_str()), (pb::MessageStatus::Sent, "sent"));
        assert_eq!(s.recipient_id, ANA);
        assert_eq!(
            s.pricing,
            Some(pb::Pricing {
                pricing_model: "PMP".into(),
                r#type: "free_customer_service".into(),
                category: "service".into(),
                billable: false,
            })
        );
        assert!(s.conversation.is_none() && s.errors.is_empty() && !s.superseded);
        assert_eq!(event.occurred_at, at(1_784_020_327));
        assert_eq!((event.waba_id.as_str(), event.phone_number_id.as_str()), (WABA, PHONE));
        assert_eq!(kind_of(&event), pb::EventKind::Status);
        assert_eq!(contact_of(&event), ANA);
    }

    #[test]
    fn status_sent_for_a_template_with_callback_data() {
        let event = only(fixture!("webhook-status-sent-template-billable"));
        let s = status(&event);
        assert_eq!(s.status(), pb::MessageStatus::Sent);
        assert_eq!(s.biz_opaque_callback_data, "campaign=shipping;order=8F3K2");
        let pricing = s.pricing.as_ref().expect("pricing on sent");
        assert_eq!(
            (pricing.r#type.as_str(), pricing.category.as_str(), pricing.billable),
            ("regular", "utility", true)
        );
    }

    #[test]
    fn status_sent_legacy_conversation_pricing() {
        let event = only(fixture!("webhook-status-sent-legacy-cbp"));
        let s = status(&event);
        assert_eq!(event.occurred_at, at(1_748_563_200));
        assert_eq!(
            s.conversation,
            Some(pb::Conversation {
                id: "8a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
                expires_at: at(1_748_649_600),
                origin_type: "service".into(),
            })
        );
        assert_eq!(
            s.pricing,
            Some(pb::Pricing {
                pricing_model: "CBP".into(),
                r#type: String::new(),
                category: "service".into(),
                billable: true
            })
        );
    }

    #[test]
    fn status_delivered() {
        let event = only(fixture!("webhook-status-delivered"));
        let s = status(&event);
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA:delivered");
        assert_eq!(s.status(), pb::MessageStatus::Delivered);
        assert!(s.pricing.is_some());
        assert_eq!(event.occurred_at, at(1_784_020_329));
    }

    #[test]
    fn status_read() {
        let event = only(fixture!("webhook-status-read"));
        let s = status(&event);
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA:read");
        assert_eq!(s.status(), pb::MessageStatus::Read);
        assert!(s.pricing.is_none() && s.conversation.is_none());
        assert_eq!(contact_of(&event), ANA);
    }

    #[test]
    fn status_read_with_pricing() {
        let event = only(fixture!("webhook-status-read-with-pricing"));
        let s = status(&event);
        assert_eq!(s.status(), pb::MessageStatus::Read);
        assert_eq!(s.pricing.as_ref().map(|p| p.category.as_str()), Some("service"));
    }

    #[test]
    fn status_played() {
        let event = only(fixture!("webhook-status-played"));
        assert_eq!(status(&event).status(), pb::MessageStatus::Played);
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI3QzJFM0Y0QTVCNkM3RDhFOUYA:played");
    }

    #[test]
    fn status_failed_outside_the_window() {
        let event = only(fixture!("webhook-status-failed"));
        let s = status(&event);
        assert_eq!(s.status(), pb::MessageStatus::Failed);
        assert_eq!(s.recipient_id, "447700900123");
        assert_eq!(s.errors.len(), 1);
        let e = &s.errors[0];
        assert_eq!(
            (e.code, e.title.as_str(), e.message.as_str()),
            (131_047, "Re-engagement message", "Re-engagement message")
        );
        assert!(e.details.starts_with("Message failed to send because more than 24 hours"));
        assert_eq!(e.href, "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/");
    }

    #[test]
    fn status_failed_undeliverable() {
        let event = only(fixture!("webhook-status-failed-undeliverable"));
        let s = status(&event);
        assert_eq!(s.status(), pb::MessageStatus::Failed);
        assert_eq!(
            s.errors.iter().map(|e| (e.code, e.details.as_str())).collect::<Vec<_>>(),
            vec![(131_026, "Message Undeliverable.")]
        );
        assert!(s.pricing.is_none());
    }

    // === beyond the samples ===

    #[test]
    fn unknown_status_is_unspecified_but_kept() {
        let value = format!(
            r#"{{"metadata":{{"phone_number_id":"{PHONE}"}},"statuses":[{{"id":"wamid.s","status":"deleted","timestamp":"5","recipient_user_id":"US.9","pricing":{{"billable":null}}}}]}}"#
        );
        let event = only(&change("messages", &value));
        let s = status(&event);
        assert_eq!((s.status(), s.status_raw.as_str()), (pb::MessageStatus::Unspecified, "deleted"));
        assert_eq!(event.id, "wamid.s:deleted");
        assert_eq!(contact_of(&event), "US.9");
        assert_eq!(event.occurred_at, at(5));
    }

    #[test]
    fn status_without_status_is_malformed() {
        let value = r#"{"statuses":[{"id":"wamid.s","timestamp":"5"}]}"#;
        assert_eq!(kind_of(&only(&change("messages", value))), pb::EventKind::Unknown);
    }
}
