//! Validation of `POST /{phone_number_id}/messages` bodies (REFERENCE.md
//! §2.1–2.5, §4.6, §7.6).
//!
//! Pure functions over the JSON: they never consult the store, and return
//! what the handler must still check against it (media ids, the template).
//! Error codes follow one rule: a missing required parameter is 131008, a
//! value outside a limit (length, count, range, format) is 131009, and a
//! value of the wrong kind (JSON type, unknown enum value, not a phone
//! number) is 100. `error_data.details` names the parameter the way Meta
//! does, e.g. `interactive['action']['buttons'][3]`.
//!
//! Layout: `fields` reads typed values out of the JSON; `content` checks the
//! plain message types, `interactive` the interactive ones and
//! `template_send` template sends; this module dispatches on `type` and
//! checks the recipient.

mod content;
mod fields;
mod interactive;
mod template_send;

use serde_json::Value;

pub(crate) use content::{MediaRef, MediaUse};
// Only tests build template sends by hand; the validator builds them otherwise.
#[cfg(test)]
pub(crate) use template_send::SendComponent;
pub(crate) use template_send::{SendComponentKind, SendParam, TemplateSend};

use content::{MediaOptions, contacts, location, media, reaction, text};
use fields::{Object, Result, as_object, field, max_chars, one_of, opt_str, req, req_text};
use interactive::interactive;
use template_send::template;

use crate::emulator::{errors::GraphError, ids::is_bsuid};

/// The message types `/messages` accepts.
const MESSAGE_TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// A valid `/messages` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    /// `{"status":"read","message_id":…}`.
    MarkRead(MarkRead),
    /// A message to send.
    Send(Send),
}

/// A mark-read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkRead {
    pub(crate) message_id: String,
    pub(crate) typing_indicator: bool,
}

/// A message to send, with what remains to check against the store.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Send {
    pub(crate) recipient: Recipient,
    /// The message `type`.
    pub(crate) kind: String,
    pub(crate) biz_opaque_callback_data: Option<String>,
    /// Uploaded media ids the message refers to.
    pub(crate) media: Vec<MediaRef>,
    pub(crate) template: Option<TemplateSend>,
    /// An audio message sent as a voice note.
    pub(crate) voice: bool,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    /// A phone number: `input` as given, `wa_id` its digits.
    Phone { input: String, wa_id: String },
    /// A business-scoped user id.
    User { input: String, user_id: String },
    /// A group id (`recipient_type: group`).
    Group { id: String },
}

/// Validates a `/messages` body.
pub(crate) fn message_request(body: &Value) -> Result<Request> {
    let m = body.as_object().ok_or_else(|| GraphError::invalid_param("The request body must be a JSON object."))?;
    match field(m, "messaging_product") {
        None => return Err(GraphError::invalid_param("The parameter messaging_product is required.")),
        Some(Value::String(p)) if p == "whatsapp" => {}
        Some(other) => return Err(one_of("messaging_product", &["whatsapp"], other)),
    }
    if field(m, "status").is_some() {
        return mark_read(m).map(Request::MarkRead);
    }

    let group = match opt_str(m, "", "recipient_type")? {
        None | Some("individual") => false,
        Some("group") => true,
        Some(other) => return Err(one_of("recipient_type", &["individual", "group"], &Value::from(other))),
    };
    let recipient = recipient(m, group)?;
    let kind = match field(m, "type") {
        // Meta defaults a missing type to text.
        None => "text",
        Some(Value::String(t)) if MESSAGE_TYPES.contains(&t.as_str()) => t.as_str(),
        Some(other) => return Err(one_of("type", MESSAGE_TYPES, other)),
    };
    if let Some(context) = field(m, "context") {
        let context = as_object(context, "context")?;
        req_text(context, "context", "message_id")?;
    }
    let biz_opaque_callback_data = opt_str(m, "", "biz_opaque_callback_data")?.map(str::to_owned);
    if let Some(data) = &biz_opaque_callback_data {
        max_chars(data, 512, "biz_opaque_callback_data")?;
    }

    let mut send = Send {
        recipient,
        kind: kind.to_owned(),
        biz_opaque_callback_data,
        media: Vec::new(),
        template: None,
        voice: false,
    };
    let object = req(m, "", kind)?;
    match kind {
        "text" => text(object)?,
        "image" => send.media.extend(media(object, "image", MediaUse::Image, MediaOptions::CAPTION)?),
        "video" => send.media.extend(media(object, "video", MediaUse::Video, MediaOptions::CAPTION)?),
        "document" => send.media.extend(media(object, "document", MediaUse::Document, MediaOptions::DOCUMENT)?),
        "sticker" => send.media.extend(media(object, "sticker", MediaUse::Sticker, MediaOptions::NONE)?),
        "audio" => {
            send.media.extend(media(object, "audio", MediaUse::Audio, MediaOptions::AUDIO)?);
            send.voice = object.get("voice").and_then(Value::as_bool).unwrap_or(false);
        }
        "location" => location(as_object(object, "location")?, "location")?,
        "contacts" => contacts(object)?,
        "interactive" => interactive(object, &mut send.media)?,
        "template" => send.template = Some(template(object, &mut send.media)?),
        "reaction" => reaction(object)?,
        _ => unreachable!("type was checked against MESSAGE_TYPES"),
    }
    Ok(Request::Send(send))
}

fn mark_read(m: &Object) -> Result<MarkRead> {
    match field(m, "status") {
        Some(Value::String(s)) if s == "read" => {}
        Some(other) => return Err(one_of("status", &["read"], other)),
        None => unreachable!("mark_read is only called when status is present"),
    }
    let message_id = req_text(m, "", "message_id")?.to_owned();
    let typing_indicator = match field(m, "typing_indicator") {
        None => false,
        Some(v) => {
            let t = as_object(v, "typing_indicator")?;
            match req(t, "typing_indicator", "type")? {
                Value::String(s) if s == "text" => true,
                other => return Err(one_of("typing_indicator['type']", &["text"], other)),
            }
        }
    };
    Ok(MarkRead { message_id, typing_indicator })
}

fn recipient(m: &Object, group: bool) -> Result<Recipient> {
    // `to` wins when both are present (REFERENCE.md §2.1).
    if let Some(to) = opt_str(m, "", "to")? {
        let to = to.trim();
        if to.is_empty() {
            return Err(GraphError::missing_param("to"));
        }
        if group {
            return Ok(Recipient::Group { id: to.to_owned() });
        }
        if is_bsuid(to) {
            return Ok(Recipient::User { input: to.to_owned(), user_id: to.to_owned() });
        }
        return phone(to).map(|wa_id| Recipient::Phone { input: to.to_owned(), wa_id });
    }
    match opt_str(m, "", "recipient")? {
        Some(r) if is_bsuid(r.trim()) => Ok(Recipient::User { input: r.to_owned(), user_id: r.trim().to_owned() }),
        Some(_) => Err(GraphError::invalid_param("Parameter 'recipient' is not a valid business-scoped user id.")),
        None => Err(GraphError::missing_param("to")),
    }
}

/// The digits of a phone number written with `+`, spaces, dashes, dots or
/// parentheses; E.164 allows at most 15 digits.
fn phone(to: &str) -> Result<String> {
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    if !to.chars().all(allowed) || !(5..=15).contains(&digits.len()) {
        return Err(GraphError::invalid_param("Parameter 'to' is not a valid phone number."));
    }
    Ok(wa_id_of(digits))
}

/// Meta's WhatsApp id for a number, which can differ from the number as
/// written (REFERENCE.md §1.4): Mexican mobile numbers dialled with the old
/// `1` after the country code (`52 1 …`) have the WhatsApp id `52 …`.
fn wa_id_of(digits: String) -> String {
    match digits.strip_prefix("521") {
        Some(national) if national.len() == 10 => format!("52{national}"),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::samples;
    pub(super) fn send(body: Value) -> Send {
        match message_request(&body) {
            Ok(Request::Send(s)) => s,
            other => panic!("expected a send, got {other:?}"),
        }
    }

    pub(super) fn err(body: Value) -> GraphError {
        match message_request(&body) {
            Err(e) => e,
            Ok(ok) => panic!("expected an error, got {ok:?}"),
        }
    }

    pub(super) fn code_and_details(body: Value) -> (i64, String) {
        let e = err(body);
        (e.code, e.details.unwrap_or_default())
    }

    pub(super) fn msg(kind: &str, object: Value) -> Value {
        json!({"messaging_product":"whatsapp","to":"+1 (415) 555-0123","type":kind, kind: object})
    }

    #[test]
    fn a_text_message_is_valid_and_the_number_is_normalized() {
        let s = send(msg("text", json!({"body":"hi","preview_url":true})));
        assert_eq!(s.recipient, Recipient::Phone { input: "+1 (415) 555-0123".into(), wa_id: "14155550123".into() });
        assert_eq!(wa_id_of("5215512345678".into()), "525512345678", "Mexico drops the mobile 1");
        assert_eq!(wa_id_of("525512345678".into()), "525512345678");
        assert_eq!(s.kind, "text");
    }

    #[test]
    fn type_defaults_to_text_and_recipient_type_to_individual() {
        let s = send(json!({"messaging_product":"whatsapp","to":"14155550123","text":{"body":"hi"}}));
        assert_eq!(s.kind, "text");
    }

    #[test]
    fn messaging_product_is_required() {
        assert_eq!(code_and_details(json!({"to":"14155550123","text":{"body":"x"}})).0, 100);
        assert_eq!(code_and_details(json!({"messaging_product":"sms","to":"1415555","text":{"body":"x"}})).0, 100);
    }

    #[test]
    fn bad_recipients_are_rejected() {
        let (code, details) = code_and_details(json!({"messaging_product":"whatsapp","to":"12ab","text":{"body":"x"}}));
        assert_eq!((code, details.as_str()), (100, "Parameter 'to' is not a valid phone number."));
        assert_eq!(code_and_details(json!({"messaging_product":"whatsapp","text":{"body":"x"}})).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","to":"1234567890123456","text":{"body":"x"}})).0,
            100
        );
    }

    #[test]
    fn bsuids_are_accepted_in_to_or_recipient() {
        let s = send(json!({"messaging_product":"whatsapp","recipient":"US.13491208655302741918","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::User { ref user_id, .. } if user_id == "US.13491208655302741918"));
        let s = send(json!({"messaging_product":"whatsapp","to":"US.1349","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::User { .. }));
        let s = send(json!({"messaging_product":"whatsapp","to":"14155550123","recipient":"US.1","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::Phone { .. }));
    }

    #[test]
    fn unknown_types_are_100() {
        let (code, details) = code_and_details(msg("poll", json!({})));
        assert_eq!(code, 100);
        assert!(details.starts_with("Param type must be one of"), "{details}");
    }

    #[test]
    fn mark_read_with_and_without_typing() {
        let m = message_request(&json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.A",
            "typing_indicator":{"type":"text"}}));
        assert_eq!(m, Ok(Request::MarkRead(MarkRead { message_id: "wamid.A".into(), typing_indicator: true })));
        assert_eq!(code_and_details(json!({"messaging_product":"whatsapp","status":"read"})).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","status":"delivered","message_id":"w"})).0,
            100
        );
        assert_eq!(
            code_and_details(
                json!({"messaging_product":"whatsapp","status":"read","message_id":"w","typing_indicator":{"type":"x"}})
            )
            .0,
            100
        );
    }

    #[test]
    fn callback_data_is_limited_to_512() {
        let mut m = msg("text", json!({"body":"x"}));
        m["biz_opaque_callback_data"] = json!("c".repeat(512));
        assert_eq!(send(m.clone()).biz_opaque_callback_data.map(|d| d.len()), Some(512));
        m["biz_opaque_callback_data"] = json!("c".repeat(513));
        assert_eq!(code_and_details(m).0, 131009);
    }

    #[test]
    fn every_send_sample_is_accepted() {
        let sends: Vec<_> = samples::load("send-").into_iter().filter(|(n, _)| n.ends_with("-request.json")).collect();
        assert!(samples::dirs().is_empty() || sends.len() >= 20, "only {} send samples found", sends.len());
        for (name, body) in sends {
            match message_request(&body) {
                Ok(Request::Send(send)) => assert_eq!(Some(send.kind.as_str()), body["type"].as_str(), "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        for (name, body) in
            samples::load("mark-read-request").into_iter().chain(samples::load("typing-indicator-request"))
        {
            assert!(matches!(message_request(&body), Ok(Request::MarkRead(_))), "{name}");
        }
    }
}
