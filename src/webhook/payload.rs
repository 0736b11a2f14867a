//! Serde types for the JSON Meta posts to the webhook (REFERENCE.md §5.4–§5.7).
//!
//! Parsing is layered so that one bad element cannot sink a batch: every
//! container keeps its children as borrowed [`RawValue`]s, and each child is
//! parsed on its own by the caller. The raw slices double as the events'
//! `raw_json`, byte for byte as Meta sent them.
//!
//! Scalars go through the [`lenient`] deserializers because Meta's samples and
//! SDKs disagree on whether ids, timestamps, coordinates and prices are JSON
//! strings or numbers, and because optional keys are sometimes sent as `null`.
//! Unknown keys are ignored everywhere: the raw JSON keeps them.

use serde::Deserialize;
use serde_json::value::RawValue;

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

/// One `value.contacts[]` element.
#[derive(Debug, Deserialize)]
pub(super) struct Contact {
    /// The display name.
    pub(super) profile: Option<Profile>,
    /// The contact's WhatsApp id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) wa_id: String,
    /// The contact's business-scoped user id (BSUID).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) user_id: String,
}

/// `contacts[].profile`.
#[derive(Debug, Deserialize)]
pub(super) struct Profile {
    /// The display name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) name: String,
}

/// One `value.messages[]` element (§5.5). The type-named objects stay raw: only
/// the one `type` names is parsed, so a stray key of another type cannot make
/// the message malformed.
#[derive(Debug, Deserialize)]
pub(super) struct Message<'a> {
    /// The wamid.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// The sender's `wa_id`; absent for username-only users.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) from: String,
    /// The sender's BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) from_user_id: String,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(super) timestamp: Option<i64>,
    /// `text`, `image`, … as sent.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
    /// Reply or forward context.
    pub(super) context: Option<Context>,
    /// Click-to-WhatsApp referral.
    pub(super) referral: Option<Referral>,
    /// Errors attached to the message.
    pub(super) errors: Option<Vec<ErrorObject>>,
    /// `type: text`.
    #[serde(borrow)]
    pub(super) text: Option<&'a RawValue>,
    /// `type: image`.
    #[serde(borrow)]
    pub(super) image: Option<&'a RawValue>,
    /// `type: audio`.
    #[serde(borrow)]
    pub(super) audio: Option<&'a RawValue>,
    /// `type: video`.
    #[serde(borrow)]
    pub(super) video: Option<&'a RawValue>,
    /// `type: document`.
    #[serde(borrow)]
    pub(super) document: Option<&'a RawValue>,
    /// `type: sticker`.
    #[serde(borrow)]
    pub(super) sticker: Option<&'a RawValue>,
    /// `type: location`.
    #[serde(borrow)]
    pub(super) location: Option<&'a RawValue>,
    /// `type: contacts` (an array of cards).
    #[serde(borrow)]
    pub(super) contacts: Option<&'a RawValue>,
    /// `type: interactive`.
    #[serde(borrow)]
    pub(super) interactive: Option<&'a RawValue>,
    /// `type: button`.
    #[serde(borrow)]
    pub(super) button: Option<&'a RawValue>,
    /// `type: reaction`.
    #[serde(borrow)]
    pub(super) reaction: Option<&'a RawValue>,
    /// `type: order`.
    #[serde(borrow)]
    pub(super) order: Option<&'a RawValue>,
    /// `type: system`.
    #[serde(borrow)]
    pub(super) system: Option<&'a RawValue>,
    /// `type: unsupported`.
    #[serde(borrow)]
    pub(super) unsupported: Option<&'a RawValue>,
}

/// `messages[].context`.
#[derive(Debug, Deserialize)]
pub(super) struct Context {
    /// The quoted wamid.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// The business number that sent the quoted message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) from: String,
    /// Forwarded.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(super) forwarded: bool,
    /// Forwarded more than five times.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(super) frequently_forwarded: bool,
    /// Product enquiry.
    pub(super) referred_product: Option<ReferredProduct>,
}

/// `context.referred_product`.
#[derive(Debug, Deserialize)]
pub(super) struct ReferredProduct {
    /// The catalog id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) catalog_id: String,
    /// The product's retailer id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) product_retailer_id: String,
}

/// `messages[].referral` (Click-to-WhatsApp ads).
#[derive(Debug, Deserialize)]
pub(super) struct Referral {
    /// The ad or post URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) source_url: String,
    /// The ad or post id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) source_id: String,
    /// `ad` or `post`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) source_type: String,
    /// The headline.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) headline: String,
    /// The body.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) body: String,
    /// `image` or `video`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) media_type: String,
    /// The image URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) image_url: String,
    /// The video URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) video_url: String,
    /// The video thumbnail URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) thumbnail_url: String,
    /// The click id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) ctwa_clid: String,
    /// The ad's greeting.
    pub(super) welcome_message: Option<WelcomeMessage>,
}

/// `referral.welcome_message`.
#[derive(Debug, Deserialize)]
pub(super) struct WelcomeMessage {
    /// The greeting text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) text: String,
}

/// An error object, in `messages[].errors`, `statuses[].errors` or `value.errors`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorObject {
    /// The error code.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub(super) code: i64,
    /// The title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) title: String,
    /// The message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message: String,
    /// `{details}`.
    pub(super) error_data: Option<ErrorData>,
    /// A documentation link.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) href: String,
}

/// `errors[].error_data`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorData {
    /// The details.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) details: String,
}

/// `message.text`.
#[derive(Debug, Deserialize)]
pub(super) struct Text {
    /// The text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) body: String,
}

/// `message.image|audio|video|document|sticker`.
#[derive(Debug, Deserialize)]
pub(super) struct Media {
    /// The media id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// The MIME type.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) mime_type: String,
    /// The SHA-256 of the bytes.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) sha256: String,
    /// Images, videos and documents.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) caption: String,
    /// Documents.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) filename: String,
    /// Audio: a recorded voice note.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(super) voice: bool,
    /// Stickers: animated.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(super) animated: bool,
    /// A direct download URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) url: String,
}

/// `message.location`.
#[derive(Debug, Deserialize)]
pub(super) struct Location {
    /// Degrees, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(super) latitude: f64,
    /// Degrees, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(super) longitude: f64,
    /// The place name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) name: String,
    /// The address.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) address: String,
}

/// One card of `message.contacts` (the same shape as when sending, §2.3).
#[derive(Debug, Deserialize)]
pub(super) struct ContactCard {
    /// The name.
    pub(super) name: Option<ContactName>,
    /// Phone numbers.
    pub(super) phones: Option<Vec<ContactPhone>>,
    /// Emails.
    pub(super) emails: Option<Vec<ContactEmail>>,
    /// URLs.
    pub(super) urls: Option<Vec<ContactUrl>>,
    /// Postal addresses.
    pub(super) addresses: Option<Vec<ContactAddress>>,
    /// Organisation.
    pub(super) org: Option<ContactOrg>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) birthday: String,
}

/// `contacts[].name`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactName {
    /// The full name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) formatted_name: String,
    /// First name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) first_name: String,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) last_name: String,
    /// Middle name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) middle_name: String,
    /// Prefix.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) prefix: String,
    /// Suffix.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) suffix: String,
}

/// `contacts[].phones[]`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactPhone {
    /// The number as written.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) phone: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
    /// The WhatsApp id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) wa_id: String,
}

/// `contacts[].emails[]`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactEmail {
    /// The address.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) email: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
}

/// `contacts[].urls[]`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactUrl {
    /// The URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) url: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
}

/// `contacts[].addresses[]`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactAddress {
    /// Street and number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) street: String,
    /// City.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) city: String,
    /// State.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) state: String,
    /// Postal code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) zip: String,
    /// Country name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) country: String,
    /// ISO country code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) country_code: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
}

/// `contacts[].org`.
#[derive(Debug, Deserialize)]
pub(super) struct ContactOrg {
    /// Company.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) company: String,
    /// Department.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) department: String,
    /// Job title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) title: String,
}

/// `message.interactive`.
#[derive(Debug, Deserialize)]
pub(super) struct Interactive<'a> {
    /// `button_reply`, `list_reply`, `nfm_reply`, `call_permission_reply`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
    /// A reply button was tapped.
    pub(super) button_reply: Option<Choice>,
    /// A list row was chosen.
    pub(super) list_reply: Option<Choice>,
    /// A flow was completed.
    #[serde(borrow)]
    pub(super) nfm_reply: Option<FlowReply<'a>>,
}

/// `interactive.button_reply` and `interactive.list_reply`.
#[derive(Debug, Deserialize)]
pub(super) struct Choice {
    /// The button or row id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// The title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) title: String,
    /// The row description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) description: String,
}

/// `interactive.nfm_reply`.
#[derive(Debug, Deserialize)]
pub(super) struct FlowReply<'a> {
    /// The flow name (`flow`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) name: String,
    /// The body shown (`Sent`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) body: String,
    /// Meta documents a string holding JSON; kept raw in case an object arrives.
    #[serde(borrow)]
    pub(super) response_json: Option<&'a RawValue>,
}

/// `message.button` (template quick reply).
#[derive(Debug, Deserialize)]
pub(super) struct Button {
    /// The button's payload.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) payload: String,
    /// The button's text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) text: String,
}

/// `message.reaction`.
#[derive(Debug, Deserialize)]
pub(super) struct Reaction {
    /// The wamid reacted to.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_id: String,
    /// The emoji; absent or empty when the reaction is removed.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) emoji: String,
}

/// `message.order`.
#[derive(Debug, Deserialize)]
pub(super) struct Order {
    /// The catalog id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) catalog_id: String,
    /// The text sent with the order.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) text: String,
    /// The items.
    pub(super) product_items: Option<Vec<OrderItem>>,
}

/// `order.product_items[]`.
#[derive(Debug, Deserialize)]
pub(super) struct OrderItem {
    /// The product's retailer id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) product_retailer_id: String,
    /// The quantity, as a number or a string.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub(super) quantity: i64,
    /// The unit price, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(super) item_price: f64,
    /// ISO 4217 code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) currency: String,
}

/// `message.system`.
#[derive(Debug, Deserialize)]
pub(super) struct System {
    /// The text shown.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) body: String,
    /// `user_changed_number`, `user_changed_user_id`, legacy `customer_changed_number`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
    /// The new `wa_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) wa_id: String,
    /// The new `wa_id` in the legacy `customer_changed_number` shape.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) new_wa_id: String,
    /// The new BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) user_id: String,
}

/// `message.unsupported`.
#[derive(Debug, Deserialize)]
pub(super) struct Unsupported {
    /// `poll_creation`, `edit`, `gif`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
}

/// One `value.statuses[]` element (§5.6).
#[derive(Debug, Deserialize)]
pub(super) struct Status {
    /// The wamid of the outbound message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// `sent`, `delivered`, `read`, `played`, `failed`, or something newer.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) status: String,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(super) timestamp: Option<i64>,
    /// The recipient's `wa_id` (or group id).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) recipient_id: String,
    /// The recipient's BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) recipient_user_id: String,
    /// Echoed from the send request.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) biz_opaque_callback_data: String,
    /// What the message costs.
    pub(super) pricing: Option<Pricing>,
    /// The conversation (CBP-era and free-entry-point windows).
    pub(super) conversation: Option<Conversation>,
    /// Why it failed.
    pub(super) errors: Option<Vec<ErrorObject>>,
}

/// `statuses[].pricing`.
#[derive(Debug, Deserialize)]
pub(super) struct Pricing {
    /// `PMP` or `CBP`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) pricing_model: String,
    /// `regular`, `free_customer_service`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
    /// `service`, `utility`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) category: String,
    /// Deprecated by Meta.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(super) billable: bool,
}

/// `statuses[].conversation`.
#[derive(Debug, Deserialize)]
pub(super) struct Conversation {
    /// The conversation id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) id: String,
    /// Unix seconds, on `sent` only.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(super) expiration_timestamp: Option<i64>,
    /// `{type}`.
    pub(super) origin: Option<Origin>,
}

/// `conversation.origin`.
#[derive(Debug, Deserialize)]
pub(super) struct Origin {
    /// `service`, `marketing`, `referral_conversion`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(super) kind: String,
}

/// Only the keys that decide how a non-`messages` value is read: Meta's docs
/// show quality updates under `message_template_status_update` too.
#[derive(Debug, Deserialize)]
pub(super) struct TemplateKeys<'a> {
    /// Present on every template field.
    #[serde(borrow)]
    pub(super) message_template_id: Option<&'a RawValue>,
    /// Present only on quality updates.
    #[serde(borrow)]
    pub(super) new_quality_score: Option<&'a RawValue>,
}

/// The value of `message_template_status_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(super) struct TemplateStatusValue {
    /// `APPROVED`, `REJECTED`, `FLAGGED`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) event: String,
    /// A JSON number beyond 2^53 or a string, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_name: String,
    /// The language, `en_US` or `en-US`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_language: String,
    /// `NONE`, `INVALID_FORMAT`, …; `null` when scheduled for deletion.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) reason: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_category: String,
}

/// The value of `template_category_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(super) struct TemplateCategoryValue {
    /// The template id, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_name: String,
    /// The language.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_language: String,
    /// Before a completed change.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) previous_category: String,
    /// After a completed change, or the current category of a notice.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) new_category: String,
    /// The category an impending change will give.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) correct_category: String,
    /// When an impending change takes effect.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(super) category_update_timestamp: Option<i64>,
}

/// The value of `message_template_quality_update` (§5.7).
#[derive(Debug, Deserialize)]
pub(super) struct TemplateQualityValue {
    /// The template id, kept exact.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_name: String,
    /// The language.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message_template_language: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) previous_quality_score: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) new_quality_score: String,
}

/// The `metadata` of any value that has one (`messages`, `user_preferences`).
#[derive(Debug, Deserialize)]
pub(super) struct WithMetadata<'a> {
    /// Kept raw: a malformed metadata only loses the phone number id.
    #[serde(borrow)]
    pub(super) metadata: Option<&'a RawValue>,
}

/// Deserializers that accept the spellings Meta and its SDKs actually use.
///
/// They are strict about shape (an object where a scalar belongs is an error,
/// which makes the element malformed) and loose about scalar encodings.
pub(super) mod lenient {
    use std::fmt;

    use serde::Deserializer;
    use serde::de::{self, Visitor};

    /// A string, or an integer rendered in decimal; `null` is empty.
    ///
    /// Integers are rendered from their `u64`/`i64` value, never through
    /// `f64`, so template ids beyond 2^53 stay exact. Floats are refused:
    /// nothing read with this is fractional.
    pub(super) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_unit<E: de::Error>(self) -> Result<String, E> {
                Ok(String::new())
            }
        }
        d.deserialize_any(V)
    }

    /// A boolean; `null` is false, and the strings `"true"`/`"false"` are accepted.
    pub(super) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                match v {
                    "true" => Ok(true),
                    "false" | "" => Ok(false),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V)
    }

    /// Unix seconds as a string (messages, statuses) or an integer (entries,
    /// templates). An unreadable scalar is `None`, so the event falls back to
    /// the time it was received instead of being lost.
    pub(super) fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Option<i64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Unix seconds as a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<i64>, E> {
                Ok(v.trim().parse().ok())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<i64>, E> {
                Ok(i64::try_from(v).ok())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<i64>, E> {
                Ok(Some(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<i64>, E> {
                Ok(whole(v.trunc()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<i64>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
                Ok(None)
            }
        }
        d.deserialize_any(V)
    }

    /// A number, or a string holding one (coordinates, prices); `null` is 0.
    pub(super) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            // Integral coordinates and prices (`"item_price": 79`) are still numbers.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                match v.trim().parse::<f64>() {
                    // "NaN" and "inf" parse, but are not coordinates or prices.
                    Ok(n) if n.is_finite() => Ok(n),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
                Ok(0.0)
            }
        }
        d.deserialize_any(V)
    }

    /// An integer, an integral float, or a string holding one; `null` is 0.
    pub(super) fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string holding one")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
                whole(v).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
                v.trim().parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<i64, E> {
                Ok(0)
            }
        }
        d.deserialize_any(V)
    }

    /// `v` as an `i64` when it is a whole number in range.
    fn whole(v: f64) -> Option<i64> {
        // The bounds are exact powers of two, so the comparison is exact and
        // the cast below cannot saturate.
        let in_range = (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v);
        (in_range && v.fract() == 0.0).then_some(v as i64)
    }
}
