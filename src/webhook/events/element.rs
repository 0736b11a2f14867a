//! One element of a webhook value, read or not, turned into its event: the
//! ids, times and raw JSON every event carries, whatever its family.

use prost_types::Timestamp;
use serde_json::value::RawValue;

use super::raw::digest;
use crate::{pb, pb::event::Kind};

/// What every event made from one change shares.
pub(super) struct Origin<'a> {
    /// The entry's WhatsApp Business Account id.
    pub(super) waba_id: &'a str,
    /// The entry's time, Unix seconds (absent on `messages`).
    pub(super) entry_time: Option<i64>,
    /// The change's field; empty while reading the entry itself.
    pub(super) field: &'a str,
    /// The value's business phone number, when it names one.
    pub(super) phone_number_id: String,
    /// When the body arrived.
    pub(super) received_at: Timestamp,
}

/// An element read successfully: what goes into the event besides the shared [`Origin`].
pub(super) struct Parsed {
    /// The event's stable id, the bus's dedup key.
    pub(super) id: String,
    /// Meta's time for the element, Unix seconds; the arrival time stands in when absent.
    pub(super) occurred_at: Option<i64>,
    /// What the element is.
    pub(super) kind: Kind,
}

/// The result of reading one element; the error says why it is kept as unknown.
pub(super) type Read = Result<Parsed, serde_json::Error>;

impl<'a> Origin<'a> {
    /// The origin of the entry or change being read.
    pub(super) fn new(waba_id: &'a str, entry_time: Option<i64>, field: &'a str, received_at: Timestamp) -> Self {
        Origin { waba_id, entry_time, field, phone_number_id: String::new(), received_at }
    }

    /// The event for the element `raw`, or an unknown event when it could not be read.
    pub(super) fn push(&self, raw: &RawValue, read: Read, out: &mut Vec<pb::Event>) {
        let event = match read {
            Ok(parsed) => self.event(raw, parsed),
            Err(error) => self.malformed(raw, &error),
        };
        out.push(event);
    }

    /// The event for `raw`, read as `parsed`.
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
    pub(super) fn malformed(&self, raw: &RawValue, error: &serde_json::Error) -> pb::Event {
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
    pub(super) fn unknown_field(&self, value: &RawValue) -> Parsed {
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
    pub(super) fn time_or_digest(&self, value: &RawValue) -> String {
        self.entry_time.map_or_else(|| digest(value), |t| t.to_string())
    }
}

/// An unknown event of `field`.
fn unknown(field: &str) -> Kind {
    Kind::Unknown(pb::UnknownEvent { field: field.to_owned() })
}

/// Unix seconds as a protobuf timestamp.
pub(super) fn seconds(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}
