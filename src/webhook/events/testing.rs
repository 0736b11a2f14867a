//! What the tests of every event family share: the samples, the sample
//! account's ids, and accessors that fail the test on the wrong kind.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost_types::Timestamp;

use super::parse;
use crate::{
    bus::{contact_of, kind_of},
    pb,
    pb::{event::Kind, inbound_message::Content},
};

/// A sample from `tests/fixtures/webhooks/` (copied from the shared reference).
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/webhooks/", $name, ".json"))
    };
}
pub(super) use fixture;

/// When every test body arrives, Unix seconds.
const RECEIVED: u64 = 1_784_030_000;
/// The samples' WhatsApp Business Account.
pub(super) const WABA: &str = "109348720013455";
/// The samples' business phone number id.
pub(super) const PHONE: &str = "113502948871204";
/// The samples' customer, Ana Souza.
pub(super) const ANA: &str = "14155550123";

pub(super) fn received_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(RECEIVED)
}

pub(super) fn events(body: &str) -> Vec<pb::Event> {
    parse(body.as_bytes(), received_at()).expect("the body parses")
}

pub(super) fn only(body: &str) -> pb::Event {
    let mut events = events(body);
    assert_eq!(events.len(), 1, "{events:#?}");
    events.remove(0)
}

pub(super) fn message(event: &pb::Event) -> &pb::InboundMessage {
    match &event.kind {
        Some(Kind::Message(m)) => m,
        other => panic!("not a message: {other:?}"),
    }
}

pub(super) fn content(event: &pb::Event) -> &Content {
    message(event).content.as_ref().expect("the message has content")
}

pub(super) fn status(event: &pb::Event) -> &pb::MessageStatusUpdate {
    match &event.kind {
        Some(Kind::Status(s)) => s,
        other => panic!("not a status: {other:?}"),
    }
}

pub(super) fn unknown_field(event: &pb::Event) -> &str {
    match &event.kind {
        Some(Kind::Unknown(u)) => &u.field,
        other => panic!("not unknown: {other:?}"),
    }
}

/// `received_at()` as it appears in events.
pub(super) fn received() -> Option<Timestamp> {
    Some(Timestamp::from(received_at()))
}

pub(super) fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// Asserts the parts every inbound message from Ana shares, and returns the message.
pub(super) fn from_ana<'e>(event: &'e pb::Event, wamid: &str, timestamp: i64) -> &'e pb::InboundMessage {
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

/// A `messages` body with the given contacts and messages JSON.
pub(super) fn inbound(contacts: &str, messages: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA}","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557771234","phone_number_id":"{PHONE}"}},"contacts":{contacts},"messages":{messages}}}}}]}}]}}"#
    )
}

/// A body with one change of `field` whose value is `value`, at entry time 1784023925.
pub(super) fn change(field: &str, value: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA}","time":1784023925,"changes":[{{"field":"{field}","value":{value}}}]}}]}}"#
    )
}
