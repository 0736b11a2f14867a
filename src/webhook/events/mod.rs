//! Webhook body → typed [`pb::Event`]s: the pure core of the webhook listener.
//!
//! What [`parse`] guarantees:
//! - every element of a body becomes exactly one event, in body order (each
//!   entry, each change, then the value's messages, statuses and errors);
//! - nothing is dropped: a field the contract does not model, or an element
//!   that cannot be read, becomes an [`pb::UnknownEvent`] that carries the JSON;
//! - every event keeps the JSON it was made from, byte for byte, in `raw_json`;
//! - every event has a stable, non-empty `id` that Meta's retries repeat
//!   (the bus drops redeliveries by it);
//! - only a body that is not JSON, or not a WhatsApp Business Account
//!   envelope, is an error. Nothing panics on any input.
//!
//! This module walks the envelope (entries, changes, values) and hands each
//! element to the reader of its family: `messages` (inbound messages),
//! `statuses` (delivery statuses), `errors` (value-level errors) and
//! `templates` (template status, category and quality updates). `element`
//! turns what they read, or why they could not, into the event.

mod element;
mod errors;
mod messages;
mod raw;
mod statuses;
mod templates;
#[cfg(test)]
mod testing;

use std::time::SystemTime;

use prost_types::Timestamp;
use serde::de::Error as _;
use serde_json::value::RawValue;

use self::{
    element::{Origin, Read},
    raw::from_raw,
};
use crate::{pb, webhook::payload};

/// The only `object` a WhatsApp webhook carries.
const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// The webhook field that carries inbound messages, statuses and errors.
const MESSAGES_FIELD: &str = "messages";

/// Why a webhook body is not a WhatsApp Business Account envelope.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON (or not UTF-8): the listener answers 400.
    #[error("the webhook body is not valid JSON: {0}")]
    Json(String),
    /// The body is JSON, but its `object` is not `whatsapp_business_account`
    /// or it has no `entry` array.
    #[error("the webhook body is not a WhatsApp Business Account envelope: {0}")]
    NotWhatsApp(String),
}

/// Every event in a webhook body, in order: each entry, each change, each message / status / error element.
///
/// `received_at` stamps every event, and stands in for `occurred_at` when
/// Meta gives no time. `cursor` is left empty for the bus to assign.
///
/// # Errors
///
/// [`ParseError::Json`] when the body is not JSON, [`ParseError::NotWhatsApp`]
/// when it is not a WhatsApp Business Account envelope. A malformed element
/// inside a valid envelope is not an error: it becomes an unknown event.
pub fn parse(body: &[u8], received_at: SystemTime) -> Result<Vec<pb::Event>, ParseError> {
    Ok(parse_entries(body, received_at)?.into_iter().flatten().collect())
}

/// Like [`parse`], the events grouped by the envelope entry they came from
/// (one list per entry, in order), so that an entry can be judged whole.
///
/// # Errors
///
/// As [`parse`].
pub fn parse_entries(body: &[u8], received_at: SystemTime) -> Result<Vec<Vec<pb::Event>>, ParseError> {
    // Syntax first, so that `Json` means exactly "not JSON"; any shape
    // problem after this point is `NotWhatsApp`.
    let root: &RawValue = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    // A struct also deserializes from a JSON array; the envelope is an object.
    if !root.get().starts_with('{') {
        return Err(ParseError::NotWhatsApp("the body is not a JSON object".to_owned()));
    }
    let envelope: payload::Envelope<'_> =
        serde_json::from_str(root.get()).map_err(|e| ParseError::NotWhatsApp(e.to_string()))?;
    match envelope.object.as_deref() {
        Some(WHATSAPP_OBJECT) => {}
        Some(other) => return Err(ParseError::NotWhatsApp(format!("object is {other:?}, not {WHATSAPP_OBJECT:?}"))),
        None => return Err(ParseError::NotWhatsApp("no object".to_owned())),
    }
    let entries = envelope.entry.ok_or_else(|| ParseError::NotWhatsApp("no entry array".to_owned()))?;

    let received_at = Timestamp::from(received_at);
    Ok(entries
        .into_iter()
        .map(|entry| {
            let mut events = Vec::new();
            read_entry(entry, received_at, &mut events);
            events
        })
        .collect())
}

// === walking the envelope ===

fn read_entry(raw: &RawValue, received_at: Timestamp, out: &mut Vec<pb::Event>) {
    let entry: payload::Entry<'_> = match from_raw(raw) {
        Ok(entry) => entry,
        Err(error) => return out.push(Origin::new("", None, "", received_at).malformed(raw, &error)),
    };
    let origin = Origin::new(&entry.id, entry.time, "", received_at);
    // An entry without changes carries no event.
    let changes = match entry.changes.map(from_raw::<Option<Vec<&RawValue>>>).transpose() {
        Ok(changes) => changes.flatten().unwrap_or_default(),
        Err(error) => return out.push(origin.malformed(raw, &error)),
    };
    for change in changes {
        read_change(&origin, change, out);
    }
}

fn read_change(entry: &Origin<'_>, raw: &RawValue, out: &mut Vec<pb::Event>) {
    let change: payload::Change<'_> = match from_raw(raw) {
        Ok(change) => change,
        Err(error) => return out.push(entry.malformed(raw, &error)),
    };
    let mut origin = Origin::new(entry.waba_id, entry.entry_time, &change.field, entry.received_at);
    let Some(value) = change.value else {
        return out.push(origin.malformed(raw, &serde_json::Error::missing_field("value")));
    };
    if change.field == MESSAGES_FIELD {
        return read_messages_value(&mut origin, value, out);
    }
    origin.phone_number_id = metadata_phone_number_id(value);
    // Fields other than templates' are not modelled: kept as unknown events.
    let read = templates::read_template_change(&origin, value).unwrap_or_else(|| Ok(origin.unknown_field(value)));
    origin.push(value, read, out);
}

fn read_messages_value(origin: &mut Origin<'_>, value: &RawValue, out: &mut Vec<pb::Event>) {
    let v: payload::MessagesValue<'_> = match from_raw(value) {
        Ok(v) => v,
        Err(error) => return out.push(origin.malformed(value, &error)),
    };
    origin.phone_number_id = v.metadata.map(phone_number_id).unwrap_or_default();
    if v.messages.is_none() && v.statuses.is_none() && v.errors.is_none() {
        // Something this contract does not model arrived under `messages`:
        // keep it rather than acknowledge it away.
        return origin.push(value, Ok(origin.unknown_field(value)), out);
    }
    let contacts = v.contacts.map(messages::value_contacts).unwrap_or_default();
    for_each_element(origin, v.messages, out, |raw| messages::read_message(raw, &contacts));
    for_each_element(origin, v.statuses, out, statuses::read_status);
    let phone_number_id = origin.phone_number_id.clone();
    for_each_element(origin, v.errors, out, |raw| errors::read_value_error(raw, &phone_number_id));
}

/// Reads each element of the array `list`; a `list` that is not an array is
/// itself kept as one unknown event.
fn for_each_element(
    origin: &Origin<'_>,
    list: Option<&RawValue>,
    out: &mut Vec<pb::Event>,
    read: impl Fn(&RawValue) -> Read,
) {
    let Some(list) = list else { return };
    match from_raw::<Option<Vec<&RawValue>>>(list) {
        Ok(elements) => {
            for raw in elements.unwrap_or_default() {
                origin.push(raw, read(raw), out);
            }
        }
        Err(error) => out.push(origin.malformed(list, &error)),
    }
}

/// `value.metadata.phone_number_id`, or empty when there is none to read.
fn phone_number_id(metadata: &RawValue) -> String {
    from_raw::<payload::Metadata>(metadata).map(|m| m.phone_number_id).unwrap_or_default()
}

/// The phone number id of a non-`messages` value (only some have metadata).
fn metadata_phone_number_id(value: &RawValue) -> String {
    from_raw::<payload::WithMetadata<'_>>(value).ok().and_then(|v| v.metadata).map(phone_number_id).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use sha2::{Digest, Sha256};

    use super::{
        ParseError, parse,
        testing::{
            ANA, PHONE, WABA, at, change, events, fixture, from_ana, inbound, message, only, received, received_at,
            unknown_field,
        },
    };
    use crate::{
        bus::{contact_of, kind_of},
        pb,
        pb::inbound_message::Content,
    };

    // === every sample ===

    #[test]
    fn batch_keeps_every_element_in_order() {
        let events = events(fixture!("webhook-batch-mixed"));
        let summary: Vec<_> = events.iter().map(|e| (kind_of(e), contact_of(e), e.id.as_str())).collect();
        assert_eq!(
            summary,
            vec![
                (pb::EventKind::Message, ANA, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA="),
                (
                    pb::EventKind::Message,
                    "447700900123",
                    "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUM0FCMkU0RjcwMTlDNUQ2QTJFODgA"
                ),
                (pb::EventKind::Status, ANA, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA:delivered"),
                (pb::EventKind::Status, ANA, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA:read"),
                (
                    pb::EventKind::Status,
                    "447700900123",
                    "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSRDRFNUY2QTdCOEM5RDBFMUYyAA==:sent"
                ),
                (pb::EventKind::Status, ANA, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QThCN0M2RDVFNEYzQTJCMUMA:read"),
            ]
        );
        // Each sender gets their own profile name, not the first contact's.
        assert_eq!(message(&events[0]).profile_name, "Ana Souza");
        assert_eq!(message(&events[1]).profile_name, "Tom Hughes");
        assert_eq!(
            message(&events[1]).content,
            Some(Content::Text(pb::InboundText { body: "Order 8F3L9 hasn't arrived".into() }))
        );
        // The batch repeats the standalone samples' events under the same keys.
        assert_eq!(events[2].id, only(fixture!("webhook-status-delivered")).id);
        assert_eq!(events[3].id, only(fixture!("webhook-status-read")).id);
        assert_eq!(events[5].id, only(fixture!("webhook-status-sent-template-billable")).id.replace(":sent", ":read"));
        let times: Vec<_> = events.iter().map(|e| e.occurred_at.map(|t| t.seconds)).collect();
        assert_eq!(
            times,
            [1_784_020_325, 1_784_020_326, 1_784_020_329, 1_784_020_329, 1_784_020_330, 1_784_020_332].map(Some)
        );
        assert!(events.iter().all(|e| e.waba_id == WABA && e.phone_number_id == PHONE));
    }

    #[test]
    fn account_update_is_unknown_but_kept() {
        let body = fixture!("webhook-account-update");
        let event = only(body);
        assert_eq!(unknown_field(&event), "account_update");
        assert_eq!(kind_of(&event), pb::EventKind::Unknown);
        assert!(event.id.starts_with("account_update:109348720013455:"), "{}", event.id);
        assert_eq!(event.id.len(), "account_update:109348720013455:".len() + 16, "a 16-hex-digit value hash");
        assert_eq!(event.occurred_at, at(1_784_029_325));
        let value: serde_json::Value = serde_json::from_str(&event.raw_json).expect("raw_json is the value");
        assert_eq!(value["restriction_info"][0]["restriction_type"], "RESTRICTED_BIZ_INITIATED_MESSAGING");
        assert!(body.contains(&event.raw_json));
    }

    #[test]
    fn two_changes_of_one_unknown_field_in_one_entry_are_two_events() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1784029325,"changes":[
            {"field":"account_update","value":{"event":"PARTNER_ADDED"}},
            {"field":"account_update","value":{"event":"PARTNER_REMOVED"}}]}]}"#;
        let events = parse(body, SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(events.len(), 2);
        assert_ne!(events[0].id, events[1].id, "same field and time, different content: not a redelivery");
    }

    #[test]
    fn phone_number_quality_update_is_unknown_but_kept() {
        let event = only(fixture!("webhook-phone-number-quality-update"));
        assert_eq!(unknown_field(&event), "phone_number_quality_update");
        assert!(event.id.starts_with("phone_number_quality_update:109348720013455:"), "{}", event.id);
        assert!(event.raw_json.contains("THROUGHPUT_UPGRADE"));
        assert_eq!(event.phone_number_id, "");
    }

    #[test]
    fn user_preferences_is_unknown_with_its_phone_number() {
        let event = only(fixture!("webhook-user-preferences"));
        assert_eq!(unknown_field(&event), "user_preferences");
        assert_eq!(event.phone_number_id, PHONE);
        // No entry time: the value's hash keys it, and Meta's time is unknown.
        let digest = hex::encode(&Sha256::digest(event.raw_json.as_bytes())[..8]);
        assert_eq!(event.id, format!("user_preferences:{WABA}:{digest}"));
        assert_eq!(event.occurred_at, received());
        assert!(event.raw_json.contains(r#""value": "stop""#));
    }

    #[test]
    fn signature_example_body_is_the_text_message() {
        let sample: serde_json::Value =
            serde_json::from_str(fixture!("webhook-signature-example")).expect("the sample is JSON");
        let raw_body = sample["raw_body"].as_str().expect("raw_body is a string");
        let event = only(raw_body);
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=", 1_784_020_325);
        assert_eq!(event.id, only(fixture!("webhook-message-text")).id);
        // A compact body: raw_json is still the exact slice.
        assert!(raw_body.contains(&format!("[{}]", event.raw_json)));
    }

    #[test]
    fn verify_get_sample_is_not_an_event_body() {
        let error = parse(fixture!("webhook-verify-get").as_bytes(), received_at()).expect_err("not an envelope");
        assert!(matches!(error, ParseError::NotWhatsApp(_)), "{error:?}");
    }

    /// Invariants over every sample body.
    #[test]
    fn every_sample_keeps_raw_json_and_ids() {
        let bodies = [
            fixture!("webhook-account-update"),
            fixture!("webhook-batch-mixed"),
            fixture!("webhook-interactive-button-reply"),
            fixture!("webhook-interactive-list-reply"),
            fixture!("webhook-interactive-nfm-reply"),
            fixture!("webhook-message-audio-voice"),
            fixture!("webhook-message-button-template-reply"),
            fixture!("webhook-message-contacts"),
            fixture!("webhook-message-document"),
            fixture!("webhook-message-image"),
            fixture!("webhook-message-location"),
            fixture!("webhook-message-order"),
            fixture!("webhook-message-product-inquiry"),
            fixture!("webhook-message-reaction-removed"),
            fixture!("webhook-message-reaction"),
            fixture!("webhook-message-referral"),
            fixture!("webhook-message-sticker"),
            fixture!("webhook-message-system-number-change"),
            fixture!("webhook-message-text-bsuid"),
            fixture!("webhook-message-text-forwarded"),
            fixture!("webhook-message-text-reply"),
            fixture!("webhook-message-text"),
            fixture!("webhook-message-unsupported"),
            fixture!("webhook-message-video"),
            fixture!("webhook-phone-number-quality-update"),
            fixture!("webhook-status-delivered"),
            fixture!("webhook-status-failed-undeliverable"),
            fixture!("webhook-status-failed"),
            fixture!("webhook-status-played"),
            fixture!("webhook-status-read-with-pricing"),
            fixture!("webhook-status-read"),
            fixture!("webhook-status-sent-legacy-cbp"),
            fixture!("webhook-status-sent-template-billable"),
            fixture!("webhook-status-sent"),
            fixture!("webhook-template-category-update"),
            fixture!("webhook-template-quality-update"),
            fixture!("webhook-template-status-update-paused"),
            fixture!("webhook-template-status-update-rejected"),
            fixture!("webhook-template-status-update"),
            fixture!("webhook-user-preferences"),
            fixture!("webhook-value-errors"),
        ];
        for body in bodies {
            let events = events(body);
            assert!(!events.is_empty());
            for event in events {
                assert!(!event.id.is_empty() && event.cursor.is_empty());
                assert!(event.kind.is_some() && event.occurred_at.is_some());
                assert_eq!(event.received_at, received());
                assert!(event.raw_json.starts_with('{') && body.contains(&event.raw_json), "{}", event.raw_json);
                // Samples hold only modelled events, except the documented unknown fields.
                if kind_of(&event) == pb::EventKind::Unknown {
                    assert_ne!(unknown_field(&event), "messages", "{}", event.raw_json);
                }
            }
        }
    }

    // === beyond the samples ===

    #[test]
    fn malformed_elements_keep_their_neighbours() {
        use pb::EventKind::{Message, Unknown};

        let body = inbound(
            r#"[{"profile":{"name":"Ana Souza"},"wa_id":"14155550123"}]"#,
            r#"[
                {"from":"14155550123","id":"wamid.one","timestamp":"1784020325","type":"text","text":{"body":"one"}},
                {"from":"14155550123","id":"wamid.bad","timestamp":"1784020326","type":"text","text":42},
                "not an object",
                {"from":"14155550123","timestamp":"1784020327","type":"text","text":{"body":"no id"}},
                {"from":"14155550123","id":"wamid.two","timestamp":"1784020328","type":"text","text":{"body":"two"}}
            ]"#,
        );
        let events = events(&body);
        let kinds: Vec<_> = events.iter().map(kind_of).collect();
        assert_eq!(kinds, [Message, Unknown, Unknown, Unknown, Message]);
        assert_eq!((events[0].id.as_str(), events[4].id.as_str()), ("wamid.one", "wamid.two"));
        for bad in &events[1..4] {
            assert_eq!(unknown_field(bad), "messages");
            assert!(bad.id.starts_with(&format!("messages:{WABA}:")) && bad.id.len() == "messages:".len() + 15 + 17);
            assert_eq!(bad.phone_number_id, PHONE);
            assert!(body.contains(&bad.raw_json));
        }
        assert_eq!(events[2].raw_json, r#""not an object""#);
        // Distinct bytes, distinct ids: siblings never collide.
        assert!(events[1].id != events[2].id && events[2].id != events[3].id);
    }

    #[test]
    fn malformed_entries_changes_and_lists_become_unknown() {
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[
                "not an entry",
                {{"id":"{WABA}","changes":{{"not":"an array"}}}},
                {{"id":"{WABA}","changes":[
                    7,
                    {{"field":"messages"}},
                    {{"field":"messages","value":{{"metadata":{{"phone_number_id":"{PHONE}"}},"statuses":{{"id":"x"}}}}}},
                    {{"field":"messages","value":{{"metadata":{{"phone_number_id":"{PHONE}"}},"statuses":[{{"id":"wamid.ok","status":"read","timestamp":1784020329,"recipient_id":"1"}}]}}}}
                ]}},
                {{"id":"{WABA}"}},
                {{"id":"{WABA}","changes":[]}}
            ]}}"#
        );
        let events = events(&body);
        let fields: Vec<_> = events
            .iter()
            .map(|e| if kind_of(e) == pb::EventKind::Unknown { unknown_field(e) } else { "(status)" })
            .collect();
        assert_eq!(fields, ["", "", "", "messages", "messages", "(status)"]);
        assert!(events[0].id.starts_with("malformed::") && events[0].waba_id.is_empty());
        assert!(events[1].id.starts_with(&format!("malformed:{WABA}:")));
        assert_eq!(events[3].raw_json, r#"{"field":"messages"}"#);
        assert_eq!(events[4].raw_json, r#"{"id":"x"}"#);
        assert_eq!(events[5].id, "wamid.ok:read");
        assert_eq!(events[5].occurred_at, at(1_784_020_329), "a numeric timestamp is accepted");
    }

    #[test]
    fn messages_value_with_nothing_modelled_is_kept() {
        let value = format!(
            r#"{{"messaging_product":"whatsapp","metadata":{{"phone_number_id":"{PHONE}"}},"message_echoes":[{{"id":"wamid.echo"}}]}}"#
        );
        let event = only(&change("messages", &value));
        assert_eq!(unknown_field(&event), "messages");
        assert!(event.id.starts_with(&format!("messages:{WABA}:")), "{}", event.id);
        assert_eq!(event.raw_json, value);
        assert_eq!(event.phone_number_id, PHONE);
    }

    #[test]
    fn malformed_json_is_a_json_error() {
        for body in [&b"{\"object\":"[..], b"", b"not json", b"{} trailing", b"{\"a\":\"\xff\"}"] {
            let error = parse(body, received_at()).expect_err("not JSON");
            assert!(matches!(error, ParseError::Json(_)), "{body:?}: {error:?}");
        }
    }

    #[test]
    fn json_that_is_not_a_whatsapp_envelope() {
        for body in [
            "[]",
            r#""whatsapp_business_account""#,
            r#"{"object":"page","entry":[]}"#,
            r#"{"object":"whatsapp_business_account"}"#,
            r#"{"object":"whatsapp_business_account","entry":{}}"#,
            r#"{"object":7,"entry":[]}"#,
            r#"{"entry":[]}"#,
        ] {
            let error = parse(body.as_bytes(), received_at()).expect_err("not an envelope");
            assert!(matches!(error, ParseError::NotWhatsApp(_)), "{body}: {error:?}");
        }
        assert_eq!(events(" \n{\"object\":\"whatsapp_business_account\",\"entry\":[]}\n").len(), 0);
    }

    #[test]
    fn kind_and_contact_of_an_empty_event() {
        let event = pb::Event::default();
        assert_eq!((kind_of(&event), contact_of(&event), event.id.as_str()), (pb::EventKind::Unknown, "", ""));
    }

    /// Replaces every node of every sample, one at a time, with values of
    /// every JSON type: the parser must never panic, and a body whose
    /// envelope is intact must parse.
    #[test]
    fn type_confusion_never_panics() {
        use serde_json::{Value, json};

        fn paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
            out.push(prefix.clone());
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    prefix.push(json!(k));
                    paths(v, prefix, out);
                    prefix.pop();
                }),
                Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                    prefix.push(json!(i));
                    paths(v, prefix, out);
                    prefix.pop();
                }),
                _ => {}
            }
        }
        fn node<'v>(root: &'v mut Value, path: &[Value]) -> &'v mut Value {
            path.iter().fold(root, |v, key| match key {
                Value::String(k) => &mut v[k.as_str()],
                Value::Number(i) => &mut v[usize::try_from(i.as_u64().unwrap_or(0)).unwrap_or(0)],
                _ => v,
            })
        }

        let replacements =
            [json!(null), json!(true), json!(-1), json!(1.5), json!("x"), json!([]), json!({}), json!([{}])];
        for body in [
            fixture!("webhook-batch-mixed"),
            fixture!("webhook-message-contacts"),
            fixture!("webhook-message-order"),
            fixture!("webhook-interactive-nfm-reply"),
            fixture!("webhook-message-referral"),
            fixture!("webhook-message-unsupported"),
            fixture!("webhook-status-sent-legacy-cbp"),
            fixture!("webhook-status-failed"),
            fixture!("webhook-template-status-update-rejected"),
            fixture!("webhook-template-category-update"),
            fixture!("webhook-template-quality-update"),
            fixture!("webhook-user-preferences"),
            fixture!("webhook-value-errors"),
        ] {
            let original: Value = serde_json::from_str(body).expect("samples are JSON");
            let mut all = Vec::new();
            paths(&original, &mut Vec::new(), &mut all);
            for path in &all {
                for replacement in &replacements {
                    let mut mutated = original.clone();
                    *node(&mut mutated, path) = replacement.clone();
                    let bytes = serde_json::to_vec(&mutated).expect("serializes");
                    let result = parse(&bytes, received_at());
                    let envelope_touched = path.len() <= 1;
                    if !envelope_touched {
                        let events = result.unwrap_or_else(|e| panic!("{path:?} = {replacement}: {e}"));
                        assert!(
                            events.iter().all(|e| !e.id.is_empty() && e.kind.is_some()),
                            "{path:?} = {replacement}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn truncated_bodies_never_panic() {
        let body = fixture!("webhook-batch-mixed").as_bytes();
        for end in 0..body.len() {
            let _ = parse(&body[..end], received_at());
        }
    }
}
