//! WhatsApp error objects: those attached to a message or a status, and
//! those a `messages` value carries on their own (`value.errors[]`).

use serde_json::value::RawValue;

use super::{
    element::{Parsed, Read},
    raw::{digest, from_raw},
};
use crate::{pb, pb::event::Kind, webhook::payload};

/// One element of `value.errors[]`, about the webhook or the account rather than one message.
pub(super) fn read_value_error(raw: &RawValue, phone_number_id: &str) -> Read {
    let error: payload::ErrorObject = from_raw(raw)?;
    Ok(Parsed {
        // Errors carry no id of their own: their content is what a retry repeats.
        id: format!("errors:{phone_number_id}:{}", digest(raw)),
        occurred_at: None,
        kind: Kind::Error(pb::WebhookError { errors: vec![whatsapp_error(error)] }),
    })
}

/// The errors attached to a message or a status.
pub(super) fn errors(errors: Option<Vec<payload::ErrorObject>>) -> Vec<pb::WhatsAppError> {
    errors.unwrap_or_default().into_iter().map(whatsapp_error).collect()
}

fn whatsapp_error(e: payload::ErrorObject) -> pb::WhatsAppError {
    pb::WhatsAppError {
        // Meta's codes fit in i32; anything else is not a code (the raw JSON keeps it).
        code: i32::try_from(e.code).unwrap_or_default(),
        title: e.title,
        message: e.message,
        details: e.error_data.map(|d| d.details).unwrap_or_default(),
        href: e.href,
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use crate::{
        bus::{contact_of, kind_of},
        pb,
        pb::event::Kind,
        webhook::events::testing::{PHONE, fixture, only, received},
    };

    #[test]
    fn value_errors_become_webhook_errors() {
        let event = only(fixture!("webhook-value-errors"));
        assert_eq!(kind_of(&event), pb::EventKind::Error);
        let Some(Kind::Error(error)) = &event.kind else { panic!("not an error: {event:?}") };
        assert_eq!(error.errors.len(), 1);
        assert_eq!((error.errors[0].code, error.errors[0].title.as_str()), (130_429, "Rate limit hit"));
        assert!(error.errors[0].details.starts_with("Message failed to send because there were too many"));
        let digest = hex::encode(&Sha256::digest(event.raw_json.as_bytes())[..8]);
        assert_eq!(event.id, format!("errors:{PHONE}:{digest}"));
        assert_eq!(event.id.len(), "errors:".len() + PHONE.len() + 1 + 16);
        assert_eq!(event.occurred_at, received(), "errors carry no time of their own");
        assert_eq!(contact_of(&event), "");
    }
}
