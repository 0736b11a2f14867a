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

use std::time::SystemTime;

use prost_types::Timestamp;
use serde::Deserialize;
use serde::de::Error as _;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::payload;
use crate::graph::vocab;
use crate::pb;
use crate::pb::event::Kind;
use crate::pb::inbound_message::Content;
use crate::pb::interactive_reply::Reply;

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
    let mut events = Vec::new();
    for entry in entries {
        read_entry(entry, received_at, &mut events);
    }
    Ok(events)
}

// === walking the envelope ===

/// What every event made from one change shares.
struct Origin<'a> {
    waba_id: &'a str,
    entry_time: Option<i64>,
    field: &'a str,
    phone_number_id: String,
    received_at: Timestamp,
}

/// An element read successfully: what goes into the event besides the shared [`Origin`].
struct Parsed {
    id: String,
    occurred_at: Option<i64>,
    kind: Kind,
}

/// The result of reading one element; the error says why it is kept as unknown.
type Read = Result<Parsed, serde_json::Error>;

impl<'a> Origin<'a> {
    fn new(waba_id: &'a str, entry_time: Option<i64>, field: &'a str, received_at: Timestamp) -> Self {
        Origin { waba_id, entry_time, field, phone_number_id: String::new(), received_at }
    }

    /// The event for the element `raw`, or an unknown event when it could not be read.
    fn push(&self, raw: &RawValue, read: Read, out: &mut Vec<pb::Event>) {
        let event = match read {
            Ok(parsed) => self.event(raw, parsed),
            Err(error) => self.malformed(raw, &error),
        };
        out.push(event);
    }

    fn event(&self, raw: &RawValue, parsed: Parsed) -> pb::Event {
        pb::Event {
            id: parsed.id,
            cursor: String::new(),
            occurred_at: Some(parsed.occurred_at.map_or(self.received_at, seconds)),
            received_at: Some(self.received_at),
            waba_id: self.waba_id.to_owned(),
            phone_number_id: self.phone_number_id.clone(),
            kind: Some(parsed.kind),
            raw_json: raw.get().to_owned(),
        }
    }

    /// An element that could not be read, kept whole as an unknown event.
    ///
    /// Its id hashes the element itself rather than using the entry time:
    /// siblings in one value share the entry time, but not their bytes. An
    /// entry or change too broken to name its field has field `""` and the id
    /// prefix `malformed`.
    fn malformed(&self, raw: &RawValue, error: &serde_json::Error) -> pb::Event {
        tracing::warn!(
            field = self.field,
            waba_id = self.waba_id,
            %error,
            "unreadable webhook element, kept as an unknown event"
        );
        let label = if self.field.is_empty() { "malformed" } else { self.field };
        let parsed = Parsed {
            id: format!("{label}:{}:{}", self.waba_id, digest(raw)),
            occurred_at: self.entry_time,
            kind: unknown(self.field),
        };
        self.event(raw, parsed)
    }

    /// The value of a field the contract does not model (or a `messages`
    /// value with nothing in it that it does).
    fn unknown_field(&self, value: &RawValue) -> Parsed {
        // The value's hash, not the entry time: two changes of one field in
        // one entry share the time, and must not be taken for redeliveries.
        Parsed {
            id: format!("{}:{}:{}", self.field, self.waba_id, digest(value)),
            occurred_at: self.entry_time,
            kind: unknown(self.field),
        }
    }

    /// The entry time for ids of account-level events; the value's hash when
    /// Meta omits the time, so that the id still changes with the content.
    fn time_or_digest(&self, value: &RawValue) -> String {
        self.entry_time.map_or_else(|| digest(value), |t| t.to_string())
    }
}

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
    // Meta's reference shows quality payloads under the status field, so the
    // keys decide before the field name does.
    let keys = from_raw::<payload::TemplateKeys<'_>>(value).ok();
    let is_quality = keys.is_some_and(|k| k.message_template_id.is_some() && k.new_quality_score.is_some());
    let read = if is_quality {
        read_template_quality(&origin, value)
    } else {
        match change.field.as_str() {
            "message_template_status_update" => read_template_status(&origin, value),
            "template_category_update" => read_template_category(&origin, value),
            "message_template_quality_update" => read_template_quality(&origin, value),
            _ => Ok(origin.unknown_field(value)),
        }
    };
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
    let contacts = v.contacts.map(value_contacts).unwrap_or_default();
    for_each_element(origin, v.messages, out, |raw| read_message(raw, &contacts));
    for_each_element(origin, v.statuses, out, read_status);
    let phone_number_id = origin.phone_number_id.clone();
    for_each_element(origin, v.errors, out, |raw| read_value_error(raw, &phone_number_id));
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

// === messages ===

fn read_message(raw: &RawValue, contacts: &[payload::Contact]) -> Read {
    let m: payload::Message<'_> = from_raw(raw)?;
    if m.id.is_empty() {
        return Err(serde_json::Error::missing_field("id"));
    }
    let content = content(&m)?;
    let message = pb::InboundMessage {
        profile_name: profile_name(contacts, &m.from, &m.from_user_id),
        message_id: m.id,
        from: m.from,
        from_user_id: m.from_user_id,
        context: m.context.map(|c| pb::InboundContext {
            message_id: c.id,
            from: c.from,
            forwarded: c.forwarded,
            frequently_forwarded: c.frequently_forwarded,
            referred_product: c
                .referred_product
                .map(|p| pb::ProductAction { catalog_id: p.catalog_id, product_retailer_id: p.product_retailer_id }),
        }),
        referral: m.referral.map(referral),
        errors: errors(m.errors),
        r#type: m.kind,
        content,
    };
    Ok(Parsed { id: message.message_id.clone(), occurred_at: m.timestamp, kind: Kind::Message(message) })
}

/// The content named by `type`. Unknown types have none (the raw JSON keeps
/// it); a known type whose object has the wrong shape makes the message
/// malformed.
fn content(m: &payload::Message<'_>) -> Result<Option<Content>, serde_json::Error> {
    Ok(match m.kind.as_str() {
        "text" => typed::<payload::Text>(m.text)?.map(|t| Content::Text(pb::InboundText { body: t.body })),
        "image" => typed(m.image)?.map(|x| Content::Image(media(x))),
        "audio" => typed(m.audio)?.map(|x| Content::Audio(media(x))),
        "video" => typed(m.video)?.map(|x| Content::Video(media(x))),
        "document" => typed(m.document)?.map(|x| Content::Document(media(x))),
        "sticker" => typed(m.sticker)?.map(|x| Content::Sticker(media(x))),
        "location" => typed::<payload::Location>(m.location)?.map(|l| {
            Content::Location(pb::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name,
                address: l.address,
            })
        }),
        "contacts" => typed::<Vec<payload::ContactCard>>(m.contacts)?
            .map(|cards| Content::Contacts(pb::Contacts { contacts: cards.into_iter().map(contact_card).collect() })),
        "interactive" => typed(m.interactive)?.map(|i| Content::Interactive(interactive(i))),
        "button" => typed::<payload::Button>(m.button)?
            .map(|b| Content::Button(pb::ButtonReply { payload: b.payload, text: b.text })),
        "reaction" => typed::<payload::Reaction>(m.reaction)?
            .map(|r| Content::Reaction(pb::Reaction { message_id: r.message_id, emoji: r.emoji })),
        "order" => typed(m.order)?.map(|o| Content::Order(order(o))),
        "system" => typed::<payload::System>(m.system)?.map(|s| {
            Content::System(pb::SystemMessage {
                body: s.body,
                r#type: s.kind,
                // Legacy `customer_changed_number` put the new number in `new_wa_id`.
                wa_id: if s.wa_id.is_empty() { s.new_wa_id } else { s.wa_id },
                user_id: s.user_id,
            })
        }),
        // The message's `errors` say why; the object (absent on older
        // payloads) only names what it was.
        "unsupported" => Some(Content::Unsupported(pb::UnsupportedContent {
            r#type: typed::<payload::Unsupported>(m.unsupported)?.map(|u| u.kind).unwrap_or_default(),
        })),
        "request_welcome" => Some(Content::RequestWelcome(pb::RequestWelcome {})),
        _ => None,
    })
}

/// The display name from the value's `contacts[]`: the entry for the sender,
/// else the first one.
fn profile_name(contacts: &[payload::Contact], from: &str, from_user_id: &str) -> String {
    let is_sender = |c: &&payload::Contact| {
        (!from.is_empty() && c.wa_id == from) || (!from_user_id.is_empty() && c.user_id == from_user_id)
    };
    contacts
        .iter()
        .find(is_sender)
        .or_else(|| contacts.first())
        .and_then(|c| c.profile.as_ref())
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

fn media(m: payload::Media) -> pb::InboundMedia {
    pb::InboundMedia {
        id: m.id,
        mime_type: m.mime_type,
        sha256: m.sha256,
        caption: m.caption,
        filename: m.filename,
        voice: m.voice,
        animated: m.animated,
        url: m.url,
    }
}

fn contact_card(c: payload::ContactCard) -> pb::ContactCard {
    pb::ContactCard {
        name: c.name.map(|n| pb::ContactName {
            formatted_name: n.formatted_name,
            first_name: n.first_name,
            last_name: n.last_name,
            middle_name: n.middle_name,
            prefix: n.prefix,
            suffix: n.suffix,
        }),
        phones: c
            .phones
            .unwrap_or_default()
            .into_iter()
            .map(|p| pb::ContactPhone { phone: p.phone, r#type: p.kind, wa_id: p.wa_id })
            .collect(),
        emails: c
            .emails
            .unwrap_or_default()
            .into_iter()
            .map(|e| pb::ContactEmail { email: e.email, r#type: e.kind })
            .collect(),
        urls: c.urls.unwrap_or_default().into_iter().map(|u| pb::ContactUrl { url: u.url, r#type: u.kind }).collect(),
        addresses: c
            .addresses
            .unwrap_or_default()
            .into_iter()
            .map(|a| pb::ContactAddress {
                street: a.street,
                city: a.city,
                state: a.state,
                zip: a.zip,
                country: a.country,
                country_code: a.country_code,
                r#type: a.kind,
            })
            .collect(),
        org: c.org.map(|o| pb::ContactOrg { company: o.company, department: o.department, title: o.title }),
        birthday: c.birthday,
    }
}

/// An interactive reply; a reply kind the contract does not model (e.g.
/// `call_permission_reply`) has no `reply` and lives in the raw JSON.
fn interactive(i: payload::Interactive<'_>) -> pb::InteractiveReply {
    let choice = |c: payload::Choice| pb::InteractiveChoice { id: c.id, title: c.title, description: c.description };
    let reply = match i.kind.as_str() {
        "button_reply" => i.button_reply.map(|c| Reply::ButtonReply(choice(c))),
        "list_reply" => i.list_reply.map(|c| Reply::ListReply(choice(c))),
        "nfm_reply" => i.nfm_reply.map(|f| {
            Reply::FlowReply(pb::FlowReply {
                name: f.name,
                body: f.body,
                // Meta sends a string of JSON; should an object arrive
                // instead, its text is the same thing.
                response_json: f
                    .response_json
                    .map(|r| serde_json::from_str::<String>(r.get()).unwrap_or_else(|_| r.get().to_owned()))
                    .unwrap_or_default(),
            })
        }),
        _ => None,
    };
    pb::InteractiveReply { reply }
}

fn order(o: payload::Order) -> pb::Order {
    pb::Order {
        catalog_id: o.catalog_id,
        text: o.text,
        product_items: o
            .product_items
            .unwrap_or_default()
            .into_iter()
            .map(|p| pb::OrderItem {
                product_retailer_id: p.product_retailer_id,
                quantity: p.quantity,
                item_price: p.item_price,
                currency: p.currency,
            })
            .collect(),
    }
}

fn referral(r: payload::Referral) -> pb::Referral {
    pb::Referral {
        source_url: r.source_url,
        source_id: r.source_id,
        source_type: r.source_type,
        headline: r.headline,
        body: r.body,
        media_type: r.media_type,
        image_url: r.image_url,
        video_url: r.video_url,
        thumbnail_url: r.thumbnail_url,
        ctwa_clid: r.ctwa_clid,
        welcome_message_text: r.welcome_message.map(|w| w.text).unwrap_or_default(),
    }
}

// === statuses and errors ===

fn read_status(raw: &RawValue) -> Read {
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

fn read_value_error(raw: &RawValue, phone_number_id: &str) -> Read {
    let error: payload::ErrorObject = from_raw(raw)?;
    Ok(Parsed {
        // Errors carry no id of their own: their content is what a retry repeats.
        id: format!("errors:{phone_number_id}:{}", digest(raw)),
        occurred_at: None,
        kind: Kind::Error(pb::WebhookError { errors: vec![whatsapp_error(error)] }),
    })
}

fn errors(errors: Option<Vec<payload::ErrorObject>>) -> Vec<pb::WhatsAppError> {
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

// === template fields ===

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

// === small helpers ===

fn from_raw<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// Parses an optional type-named object; `None` stays `None`.
fn typed<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>, serde_json::Error> {
    raw.map(from_raw).transpose()
}

fn unknown(field: &str) -> Kind {
    Kind::Unknown(pb::UnknownEvent { field: field.to_owned() })
}

fn seconds(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

/// The first 16 hex digits of the SHA-256 of the element's bytes as received.
fn digest(raw: &RawValue) -> String {
    let hash = Sha256::digest(raw.get().as_bytes());
    hex::encode(&hash[..8])
}

/// `value.metadata.phone_number_id`, or empty when there is none to read.
fn phone_number_id(metadata: &RawValue) -> String {
    from_raw::<payload::Metadata>(metadata).map(|m| m.phone_number_id).unwrap_or_default()
}

/// The phone number id of a non-`messages` value (only some have metadata).
fn metadata_phone_number_id(value: &RawValue) -> String {
    from_raw::<payload::WithMetadata<'_>>(value).ok().and_then(|v| v.metadata).map(phone_number_id).unwrap_or_default()
}

/// The value's `contacts[]`, for profile names. They are a courtesy, so an
/// unreadable contact is skipped rather than failing the messages.
fn value_contacts(raw: &RawValue) -> Vec<payload::Contact> {
    from_raw::<Vec<&RawValue>>(raw)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| from_raw::<payload::Contact>(c).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::bus::{contact_of, kind_of};

    /// A sample from `tests/fixtures/webhooks/` (copied from the shared reference).
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/webhooks/", $name, ".json"))
        };
    }

    const RECEIVED: u64 = 1_784_030_000;
    const WABA: &str = "109348720013455";
    const PHONE: &str = "113502948871204";
    const ANA: &str = "14155550123";

    fn received_at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(RECEIVED)
    }

    fn events(body: &str) -> Vec<pb::Event> {
        parse(body.as_bytes(), received_at()).expect("the body parses")
    }

    fn only(body: &str) -> pb::Event {
        let mut events = events(body);
        assert_eq!(events.len(), 1, "{events:#?}");
        events.remove(0)
    }

    fn message(event: &pb::Event) -> &pb::InboundMessage {
        match &event.kind {
            Some(Kind::Message(m)) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    fn content(event: &pb::Event) -> &Content {
        message(event).content.as_ref().expect("the message has content")
    }

    fn status(event: &pb::Event) -> &pb::MessageStatusUpdate {
        match &event.kind {
            Some(Kind::Status(s)) => s,
            other => panic!("not a status: {other:?}"),
        }
    }

    fn unknown_field(event: &pb::Event) -> &str {
        match &event.kind {
            Some(Kind::Unknown(u)) => &u.field,
            other => panic!("not unknown: {other:?}"),
        }
    }

    /// `received_at()` as it appears in events.
    fn received() -> Option<Timestamp> {
        Some(Timestamp::from(received_at()))
    }

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    /// Asserts the parts every inbound message from Ana shares, and returns the message.
    fn from_ana<'e>(event: &'e pb::Event, wamid: &str, timestamp: i64) -> &'e pb::InboundMessage {
        let m = message(event);
        assert_eq!(m.message_id, wamid);
        assert_eq!(event.id, m.message_id);
        assert_eq!(m.from, ANA);
        assert_eq!(m.profile_name, "Ana Souza");
        assert_eq!(event.waba_id, WABA);
        assert_eq!(event.phone_number_id, PHONE);
        assert_eq!(event.occurred_at, at(timestamp));
        assert_eq!(kind_of(event), pb::EventKind::Message);
        assert_eq!(contact_of(event), ANA);
        m
    }

    // === every sample ===

    #[test]
    fn text_message_keeps_every_envelope_field() {
        let body = fixture!("webhook-message-text");
        let event = only(body);
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=", 1_784_020_325);
        assert_eq!(m.r#type, "text");
        assert_eq!(
            m.content,
            Some(Content::Text(pb::InboundText { body: "Hi! Does the jacket come in another colour?".into() }))
        );
        assert!(m.context.is_none() && m.referral.is_none() && m.errors.is_empty() && m.from_user_id.is_empty());
        assert_eq!(event.id, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=");
        assert!(event.cursor.is_empty());
        assert_eq!(event.received_at, received());
        // Exactly the message object's bytes, from `{` to `}`.
        let object_start = "{\n                \"from\"";
        let object_end = "\n              }";
        let start = body.find(object_start).expect("the sample has the message object");
        let end = start + body[start..].find(object_end).expect("the message object ends") + object_end.len();
        assert_eq!(event.raw_json, &body[start..end]);
    }

    #[test]
    fn text_message_with_bsuid() {
        let event = only(fixture!("webhook-message-text-bsuid"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=", 1_784_020_325);
        assert_eq!(m.from_user_id, "US.25718394402918375519");
        // The same message as webhook-message-text: one dedup key for both.
        assert_eq!(event.id, only(fixture!("webhook-message-text")).id);
    }

    #[test]
    fn text_reply_has_its_context() {
        let event = only(fixture!("webhook-message-text-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGMjcwQzVCMjk0NTE1MURDQTlCRgA=", 1_784_020_420);
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Perfect, tomorrow morning works.".into() })));
        let context = m.context.as_ref().expect("a reply has context");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
        assert_eq!(context.from, "15557771234");
        assert!(!context.forwarded && !context.frequently_forwarded && context.referred_product.is_none());
    }

    #[test]
    fn forwarded_text() {
        let event = only(fixture!("webhook-message-text-forwarded"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRFMzVFMzBFQjAxRDI4RTIxMTNBMAA=", 1_784_020_445);
        let context = m.context.as_ref().expect("forwarded messages have context");
        assert!(context.forwarded && !context.frequently_forwarded);
        assert!(context.message_id.is_empty());
    }

    #[test]
    fn product_inquiry_refers_to_the_product() {
        let event = only(fixture!("webhook-message-product-inquiry"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGODkxNEQ0QTc3NTVFREM1M0UxOAA=", 1_784_020_765);
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Is this one waterproof?".into() })));
        let product = m.context.as_ref().and_then(|c| c.referred_product.as_ref()).expect("a referred product");
        assert_eq!(
            product,
            &pb::ProductAction { catalog_id: "367025965434465".into(), product_retailer_id: "JKT-NAVY-M".into() }
        );
    }

    #[test]
    fn referral_keeps_the_ad() {
        let event = only(fixture!("webhook-message-referral"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRCMTFEMzlERTdBMUMzMjREMDcwMgA=", 1_784_020_785);
        let r = m.referral.as_ref().expect("a referral");
        assert_eq!(r.source_url, "https://fb.me/3xAmPl3Ad");
        assert_eq!(r.source_id, "120211234567890123");
        assert_eq!(r.source_type, "ad");
        assert_eq!(r.headline, "Autumn jackets are here");
        assert_eq!(r.body, "Tap to chat with a stylist");
        assert_eq!(r.media_type, "image");
        assert_eq!(r.image_url, "https://scontent.xx.fbcdn.net/v/ad-image.jpg");
        assert!(r.ctwa_clid.starts_with("ARAkLkA8rmlF"));
        assert!(r.video_url.is_empty() && r.thumbnail_url.is_empty() && r.welcome_message_text.is_empty());
    }

    #[test]
    fn image() {
        let event = only(fixture!("webhook-message-image"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTBDNUU5MUQyN0I0RjZBODNDMQA=", 1_784_020_465);
        assert_eq!(m.r#type, "image");
        let Content::Image(image) = content(&event) else { panic!("not an image: {m:?}") };
        assert_eq!(image.id, "1529834710023845");
        assert_eq!(image.mime_type, "image/jpeg");
        assert_eq!(image.sha256, "Uo8mW2v7Qm9Yq3cN0f4bZs1kL5hT6xR7eD8aG9iJ0pA=");
        assert_eq!(image.caption, "This is the stain I mentioned");
        assert!(image.url.starts_with("https://lookaside.fbsbx.com/"));
    }

    #[test]
    fn voice_note() {
        let event = only(fixture!("webhook-message-audio-voice"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ2OENCNjIwMUY2QjAwOEI3NDVCMAA=", 1_784_020_485);
        let Content::Audio(audio) = content(&event) else { panic!("not audio: {event:?}") };
        assert_eq!(audio.id, "2219384756019283");
        assert_eq!(audio.mime_type, "audio/ogg; codecs=opus");
        assert!(audio.voice);
    }

    #[test]
    fn video() {
        let event = only(fixture!("webhook-message-video"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBREOEExODBCNTRCMDA1ODY0Mjg2OAA=", 1_784_020_505);
        let Content::Video(video) = content(&event) else { panic!("not a video: {event:?}") };
        assert_eq!((video.id.as_str(), video.caption.as_str()), ("1093847561029384", "Unboxing"));
        assert_eq!(video.mime_type, "video/mp4");
    }

    #[test]
    fn document() {
        let event = only(fixture!("webhook-message-document"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRCOThFM0IyNUVFM0YwNEEyRTZGRAA=", 1_784_020_525);
        let Content::Document(doc) = content(&event) else { panic!("not a document: {event:?}") };
        assert_eq!(doc.id, "884736120938475");
        assert_eq!(doc.filename, "receipt.pdf");
        assert_eq!(doc.caption, "Receipt from the store");
        assert_eq!(doc.mime_type, "application/pdf");
    }

    #[test]
    fn sticker() {
        let event = only(fixture!("webhook-message-sticker"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRERkM4Q0QyNjFEREExQjg5NzBDQQA=", 1_784_020_535);
        let Content::Sticker(sticker) = content(&event) else { panic!("not a sticker: {event:?}") };
        assert_eq!(sticker.id, "601928374655102");
        assert_eq!(sticker.mime_type, "image/webp");
        assert!(!sticker.animated);
    }

    #[test]
    fn location() {
        let event = only(fixture!("webhook-message-location"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ4RDU3ODExM0JCRTBCRTUzRjI2RAA=", 1_784_020_555);
        assert_eq!(
            content(&event),
            &Content::Location(pb::Location {
                latitude: 37.774_929_5,
                longitude: -122.419_415_5,
                name: "Union Square".into(),
                address: "333 Post St, San Francisco, CA 94108".into(),
            })
        );
    }

    #[test]
    fn contacts_card() {
        let event = only(fixture!("webhook-message-contacts"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzNjNFMEI4NTU4NzZDRjA5RTAwOAA=", 1_784_020_575);
        let Content::Contacts(cards) = content(&event) else { panic!("not contacts: {event:?}") };
        assert_eq!(cards.contacts.len(), 1);
        let card = &cards.contacts[0];
        let name = card.name.as_ref().expect("a name");
        assert_eq!(
            (name.formatted_name.as_str(), name.first_name.as_str(), name.last_name.as_str()),
            ("Maria Silva", "Maria", "Silva")
        );
        assert_eq!(
            card.phones,
            vec![pb::ContactPhone {
                phone: "+55 11 91234-5678".into(),
                r#type: "CELL".into(),
                wa_id: "5511912345678".into()
            }]
        );
        assert_eq!(card.emails, vec![pb::ContactEmail { email: "maria@example.com".into(), r#type: "HOME".into() }]);
        assert!(card.urls.is_empty() && card.addresses.is_empty() && card.org.is_none());
    }

    #[test]
    fn interactive_button_reply() {
        let event = only(fixture!("webhook-interactive-button-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRFMDc1RTY0MzlCOEZBMDQxM0NDNgA=", 1_784_020_625);
        assert_eq!(m.r#type, "interactive");
        assert_eq!(
            content(&event),
            &Content::Interactive(pb::InteractiveReply {
                reply: Some(Reply::ButtonReply(pb::InteractiveChoice {
                    id: "slot_am".into(),
                    title: "Morning".into(),
                    description: String::new(),
                })),
            })
        );
        let context = m.context.as_ref().expect("a reply to the buttons");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
    }

    #[test]
    fn interactive_list_reply() {
        let event = only(fixture!("webhook-interactive-list-reply"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQxQjIzMkMzMjMxOTdDREU3RDdCOQA=", 1_784_020_645);
        assert_eq!(
            content(&event),
            &Content::Interactive(pb::InteractiveReply {
                reply: Some(Reply::ListReply(pb::InteractiveChoice {
                    id: "ret_start".into(),
                    title: "Start a return".into(),
                    description: "Free within 30 days".into(),
                })),
            })
        );
    }

    #[test]
    fn interactive_flow_reply() {
        let event = only(fixture!("webhook-interactive-nfm-reply"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBRGRTYwOTk0NDA1MTVDM0JEN0QxQwA=", 1_784_020_665);
        let Content::Interactive(pb::InteractiveReply { reply: Some(Reply::FlowReply(flow)) }) = content(&event) else {
            panic!("not a flow reply: {event:?}")
        };
        assert_eq!((flow.name.as_str(), flow.body.as_str()), ("flow", "Sent"));
        // The string is unescaped once: it is the flow's JSON itself.
        assert_eq!(
            flow.response_json,
            r#"{"flow_token":"srv-7f2c1a","delivery_rating":"5","comment":"Fast and friendly"}"#
        );
    }

    #[test]
    fn template_button_reply() {
        let event = only(fixture!("webhook-message-button-template-reply"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQwQzJGRUJFNzY2RTEwRDFDMjRERAA=", 1_784_020_685);
        assert_eq!(
            content(&event),
            &Content::Button(pb::ButtonReply { payload: "STOP_SHIPPING_UPDATES".into(), text: "Stop updates".into() })
        );
        let context = m.context.as_ref().expect("the template's wamid");
        assert_eq!(context.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QThCN0M2RDVFNEYzQTJCMUMA");
    }

    #[test]
    fn reaction_decodes_the_escaped_emoji() {
        let event = only(fixture!("webhook-message-reaction"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzNEE1NTMxMERFNTIzRDRERDc2QQA=", 1_784_020_705);
        assert_eq!(
            content(&event),
            &Content::Reaction(pb::Reaction {
                message_id: "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA".into(),
                emoji: "\u{2764}\u{fe0f}".into(),
            })
        );
        // raw_json is what Meta sent: still escaped.
        assert!(event.raw_json.contains(r#""emoji": "\u2764\ufe0f""#), "{}", event.raw_json);
    }

    #[test]
    fn removed_reaction_has_no_emoji() {
        let event = only(fixture!("webhook-message-reaction-removed"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQwNzVDMUNFRjk3MkU1MUZBNDk0NQA=", 1_784_020_725);
        let Content::Reaction(reaction) = content(&event) else { panic!("not a reaction: {event:?}") };
        assert_eq!(reaction.emoji, "");
        assert_eq!(reaction.message_id, "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI2QjFEMkUzRjRBNUI2QzdEOEUA");
    }

    #[test]
    fn order_with_items() {
        let event = only(fixture!("webhook-message-order"));
        from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzMjRBODUxNDkzOERCNjNGRjRERAA=", 1_784_020_745);
        let Content::Order(order) = content(&event) else { panic!("not an order: {event:?}") };
        assert_eq!(order.catalog_id, "367025965434465");
        assert_eq!(order.text, "Please gift-wrap");
        assert_eq!(
            order.product_items,
            vec![
                pb::OrderItem {
                    product_retailer_id: "JKT-NAVY-M".into(),
                    quantity: 1,
                    item_price: 79.0,
                    currency: "USD".into()
                },
                pb::OrderItem {
                    product_retailer_id: "SCF-WOOL-01".into(),
                    quantity: 2,
                    item_price: 19.5,
                    currency: "USD".into()
                },
            ]
        );
    }

    #[test]
    fn system_number_change_without_contacts() {
        let event = only(fixture!("webhook-message-system-number-change"));
        let m = message(&event);
        assert_eq!(m.from, ANA);
        assert_eq!(m.profile_name, "", "system messages carry no contacts");
        assert_eq!(event.occurred_at, at(1_784_020_805));
        assert_eq!(
            content(&event),
            &Content::System(pb::SystemMessage {
                body: "User Ana Souza changed from 14155550123 to 14155550188".into(),
                r#type: "user_changed_number".into(),
                wa_id: "14155550188".into(),
                user_id: String::new(),
            })
        );
    }

    #[test]
    fn unsupported_keeps_type_and_errors() {
        let event = only(fixture!("webhook-message-unsupported"));
        let m = from_ana(&event, "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQ5RjY5MkZFN0IwOTQxRUU5MUQwMwA=", 1_784_020_825);
        assert_eq!(m.r#type, "unsupported");
        assert_eq!(content(&event), &Content::Unsupported(pb::UnsupportedContent { r#type: "poll_creation".into() }));
        assert_eq!(
            m.errors,
            vec![pb::WhatsAppError {
                code: 131_051,
                title: "Message type unknown".into(),
                message: "Message type unknown".into(),
                details: "Message type is currently not supported.".into(),
                href: String::new(),
            }]
        );
    }

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

    /// A `messages` body with the given contacts and messages JSON.
    fn inbound(contacts: &str, messages: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA}","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557771234","phone_number_id":"{PHONE}"}},"contacts":{contacts},"messages":{messages}}}}}]}}]}}"#
        )
    }

    /// A body with one change of `field` whose value is `value`, at entry time 1784023925.
    fn change(field: &str, value: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA}","time":1784023925,"changes":[{{"field":"{field}","value":{value}}}]}}]}}"#
        )
    }

    #[test]
    fn escaped_emoji_and_accents_decode() {
        let body = inbound(
            r#"[{"profile":{"name":"Jos\u00e9 Mu\u00f1oz"},"wa_id":"34600111222"}]"#,
            r#"[{"from":"34600111222","id":"wamid.esc","timestamp":"1784020325","type":"text","text":{"body":"Ol\u00e1, caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \ud83d\ude00\ud83c\uddf5\ud83c\uddf9!"}}]"#,
        );
        let event = only(&body);
        let m = message(&event);
        assert_eq!(m.profile_name, "José Muñoz");
        assert_eq!(m.content, Some(Content::Text(pb::InboundText { body: "Olá, café crème brûlée 😀🇵🇹!".into() })));
        // raw_json is untouched: the escapes are still there for signature-faithful consumers.
        assert!(event.raw_json.contains(r"\ud83d\ude00"));
    }

    #[test]
    fn unescaped_utf8_decodes_too() {
        let body = inbound("[]", r#"[{"from":"1","id":"wamid.utf8","type":"text","text":{"body":"naïve 🎉"}}]"#);
        let event = only(&body);
        assert_eq!(message(&event).content, Some(Content::Text(pb::InboundText { body: "naïve 🎉".into() })));
        assert_eq!(event.occurred_at, received(), "no timestamp: the time it was received");
    }

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
    fn unknown_message_type_keeps_type_without_content() {
        let body = inbound("[]", r#"[{"from":"1","id":"wamid.poll","timestamp":"1","type":"poll","poll":{"q":"?"}}]"#);
        let event = only(&body);
        let m = message(&event);
        assert_eq!((m.r#type.as_str(), m.content.is_none()), ("poll", true));
        assert!(event.raw_json.contains(r#""poll":{"q":"?"}"#));
    }

    #[test]
    fn request_welcome_and_unmodelled_interactive() {
        let body = inbound(
            "[]",
            r#"[{"from":"1","id":"wamid.hi","timestamp":"1","type":"request_welcome"},
                {"from":"1","id":"wamid.call","timestamp":"1","type":"interactive","interactive":{"type":"call_permission_reply","call_permission_reply":{"response":"accept"}}}]"#,
        );
        let events = events(&body);
        assert_eq!(content(&events[0]), &Content::RequestWelcome(pb::RequestWelcome {}));
        assert_eq!(content(&events[1]), &Content::Interactive(pb::InteractiveReply { reply: None }));
    }

    #[test]
    fn numbers_as_strings_and_strings_as_numbers() {
        let body = inbound(
            "[]",
            r#"[{"from":"1","id":"wamid.loc","timestamp":1784020555,"type":"location","location":{"latitude":"37.44216251868683","longitude":"-122.16153","name":null}},
                {"from":"1","id":"wamid.ord","timestamp":"1784020745","type":"order","order":{"catalog_id":367025965434465,"product_items":[{"product_retailer_id":"A","quantity":"3","item_price":"12.50","currency":"EUR"},{"product_retailer_id":"B","quantity":2.0,"item_price":7,"currency":"EUR"}]}}]"#,
        );
        let events = events(&body);
        assert_eq!(events[0].occurred_at, at(1_784_020_555));
        assert_eq!(
            content(&events[0]),
            &Content::Location(pb::Location {
                latitude: 37.442_162_518_686_83,
                longitude: -122.161_53,
                name: String::new(),
                address: String::new()
            })
        );
        let Content::Order(order) = content(&events[1]) else { panic!("not an order") };
        assert_eq!(order.catalog_id, "367025965434465");
        let items: Vec<_> = order.product_items.iter().map(|i| (i.quantity, i.item_price)).collect();
        assert_eq!(items, [(3, 12.5), (2, 7.0)]);
    }

    #[test]
    fn legacy_number_change_and_username_only_sender() {
        let body = inbound(
            r#"[{"profile":{"name":"Someone"},"wa_id":"999"},{"profile":{"name":"Kai"},"user_id":"US.1"}]"#,
            r#"[{"from":"14155550123","id":"wamid.legacy","timestamp":"1","type":"system","system":{"body":"changed","type":"customer_changed_number","new_wa_id":"14155550188"}},
                {"from_user_id":"US.1","id":"wamid.user","timestamp":"2","type":"text","text":{"body":"hi"}}]"#,
        );
        let events = events(&body);
        let Content::System(system) = content(&events[0]) else { panic!("not a system message") };
        assert_eq!((system.r#type.as_str(), system.wa_id.as_str()), ("customer_changed_number", "14155550188"));
        // No contact matches 14155550123: the first contact stands in.
        assert_eq!(message(&events[0]).profile_name, "Someone");
        let user = message(&events[1]);
        assert_eq!((user.from.as_str(), user.profile_name.as_str()), ("", "Kai"));
        assert_eq!(contact_of(&events[1]), "US.1");
    }

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
