//! Serde types for the JSON Meta posts to the webhook (REFERENCE.md §5.4–§5.7).
//!
//! Parsing is layered so that one bad element cannot sink a batch: every
//! container keeps its children as borrowed [`RawValue`]s, and each child is
//! parsed on its own by the caller. The raw slices double as the events'
//! `raw_json`, byte for byte as Meta sent them.
//!
//! Scalars go through the `lenient` deserializers because Meta's samples and
//! SDKs disagree on whether ids, timestamps, coordinates and prices are JSON
//! strings or numbers, and because optional keys are sometimes sent as `null`.
//! Unknown keys are ignored everywhere: the raw JSON keeps them.
//!
//! This module holds the envelope down to a change's `value`; the elements
//! of each family have their own module: `messages`, `statuses`, `errors`
//! and `templates`.

mod errors;
mod lenient;
mod messages;
mod statuses;
mod templates;

use serde::Deserialize;
use serde_json::value::RawValue;

pub(super) use self::{
    errors::ErrorObject,
    messages::{
        Button, Choice, Contact, ContactCard, Interactive, Location, Media, Message, Order, Reaction, Referral, System,
        Text, Unsupported,
    },
    statuses::Status,
    templates::{TemplateCategoryValue, TemplateKeys, TemplateQualityValue, TemplateStatusValue},
};

/// The top level: `{"object": "whatsapp_business_account", "entry": [...]}`.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope<'a> {
    /// Must be `whatsapp_business_account`.
    pub(super) object: Option<String>,
    /// One element per WhatsApp Business Account, each parsed on its own.
    #[serde(borrow)]
    pub(super) entry: Option<Vec<&'a RawValue>>,
}

/// One `entry[]` element: the changes of one WhatsApp Business Account.
#[derive(Debug, Deserialize)]
pub(super) struct Entry<'a> {
    /// The WABA id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// Unix seconds; present on template and account fields, absent on `messages`.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(super) time: Option<i64>,
    /// Kept raw so that a non-array `changes` is reported, not fatal.
    #[serde(borrow)]
    pub(super) changes: Option<&'a RawValue>,
}

/// One `changes[]` element.
#[derive(Debug, Deserialize)]
pub(super) struct Change<'a> {
    /// `messages`, `message_template_status_update`, `account_update`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) field: String,
    /// The field's payload.
    #[serde(borrow)]
    pub(super) value: Option<&'a RawValue>,
}

/// The `value` of a `messages` change. The three arrays stay raw so that each
/// element can fail alone.
#[derive(Debug, Deserialize)]
pub(super) struct MessagesValue<'a> {
    /// `{display_phone_number, phone_number_id}`.
    #[serde(borrow)]
    pub(super) metadata: Option<&'a RawValue>,
    /// Profiles of the senders of `messages` (and, with BSUIDs, of status recipients).
    #[serde(borrow)]
    pub(super) contacts: Option<&'a RawValue>,
    /// Inbound messages.
    #[serde(borrow)]
    pub(super) messages: Option<&'a RawValue>,
    /// Statuses of outbound messages.
    #[serde(borrow)]
    pub(super) statuses: Option<&'a RawValue>,
    /// Errors about the webhook or the account.
    #[serde(borrow)]
    pub(super) errors: Option<&'a RawValue>,
}

/// `value.metadata`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Metadata {
    /// The business phone number the value concerns.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) phone_number_id: String,
}

/// The `metadata` of any value that has one (`messages`, `user_preferences`).
#[derive(Debug, Deserialize)]
pub(super) struct WithMetadata<'a> {
    /// Kept raw: a malformed metadata only loses the phone number id.
    #[serde(borrow)]
    pub(super) metadata: Option<&'a RawValue>,
}
