//! Inbound messages (§5.5): one `value.messages[]` element, the type-named
//! object its `type` selects, and the sender profiles of `value.contacts[]`.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{errors::ErrorObject, lenient};

/// One `value.contacts[]` element.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Contact {
    /// The display name.
    pub(in crate::webhook) profile: Option<Profile>,
    /// The contact's WhatsApp id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) wa_id: String,
    /// The contact's business-scoped user id (BSUID).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) user_id: String,
}

/// `contacts[].profile`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Profile {
    /// The display name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) name: String,
}

/// One `value.messages[]` element (§5.5). The type-named objects stay raw: only
/// the one `type` names is parsed, so a stray key of another type cannot make
/// the message malformed.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Message<'a> {
    /// The wamid.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// The sender's `wa_id`; absent for username-only users.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) from: String,
    /// The sender's BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) from_user_id: String,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub(in crate::webhook) timestamp: Option<i64>,
    /// `text`, `image`, … as sent.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
    /// Reply or forward context.
    pub(in crate::webhook) context: Option<Context>,
    /// Click-to-WhatsApp referral.
    pub(in crate::webhook) referral: Option<Referral>,
    /// Errors attached to the message.
    pub(in crate::webhook) errors: Option<Vec<ErrorObject>>,
    /// `type: text`.
    #[serde(borrow)]
    pub(in crate::webhook) text: Option<&'a RawValue>,
    /// `type: image`.
    #[serde(borrow)]
    pub(in crate::webhook) image: Option<&'a RawValue>,
    /// `type: audio`.
    #[serde(borrow)]
    pub(in crate::webhook) audio: Option<&'a RawValue>,
    /// `type: video`.
    #[serde(borrow)]
    pub(in crate::webhook) video: Option<&'a RawValue>,
    /// `type: document`.
    #[serde(borrow)]
    pub(in crate::webhook) document: Option<&'a RawValue>,
    /// `type: sticker`.
    #[serde(borrow)]
    pub(in crate::webhook) sticker: Option<&'a RawValue>,
    /// `type: location`.
    #[serde(borrow)]
    pub(in crate::webhook) location: Option<&'a RawValue>,
    /// `type: contacts` (an array of cards).
    #[serde(borrow)]
    pub(in crate::webhook) contacts: Option<&'a RawValue>,
    /// `type: interactive`.
    #[serde(borrow)]
    pub(in crate::webhook) interactive: Option<&'a RawValue>,
    /// `type: button`.
    #[serde(borrow)]
    pub(in crate::webhook) button: Option<&'a RawValue>,
    /// `type: reaction`.
    #[serde(borrow)]
    pub(in crate::webhook) reaction: Option<&'a RawValue>,
    /// `type: order`.
    #[serde(borrow)]
    pub(in crate::webhook) order: Option<&'a RawValue>,
    /// `type: system`.
    #[serde(borrow)]
    pub(in crate::webhook) system: Option<&'a RawValue>,
    /// `type: unsupported`.
    #[serde(borrow)]
    pub(in crate::webhook) unsupported: Option<&'a RawValue>,
}

/// `messages[].context`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Context {
    /// The quoted wamid.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// The business number that sent the quoted message.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) from: String,
    /// Forwarded.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(in crate::webhook) forwarded: bool,
    /// Forwarded more than five times.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(in crate::webhook) frequently_forwarded: bool,
    /// Product enquiry.
    pub(in crate::webhook) referred_product: Option<ReferredProduct>,
}

/// `context.referred_product`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ReferredProduct {
    /// The catalog id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) catalog_id: String,
    /// The product's retailer id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) product_retailer_id: String,
}

/// `messages[].referral` (Click-to-WhatsApp ads).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Referral {
    /// The ad or post URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) source_url: String,
    /// The ad or post id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) source_id: String,
    /// `ad` or `post`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) source_type: String,
    /// The headline.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) headline: String,
    /// The body.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) body: String,
    /// `image` or `video`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) media_type: String,
    /// The image URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) image_url: String,
    /// The video URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) video_url: String,
    /// The video thumbnail URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) thumbnail_url: String,
    /// The click id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) ctwa_clid: String,
    /// The ad's greeting.
    pub(in crate::webhook) welcome_message: Option<WelcomeMessage>,
}

/// `referral.welcome_message`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct WelcomeMessage {
    /// The greeting text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) text: String,
}

/// `message.text`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Text {
    /// The text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) body: String,
}

/// `message.image|audio|video|document|sticker`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Media {
    /// The media id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// The MIME type.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) mime_type: String,
    /// The SHA-256 of the bytes.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) sha256: String,
    /// Images, videos and documents.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) caption: String,
    /// Documents.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) filename: String,
    /// Audio: a recorded voice note.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(in crate::webhook) voice: bool,
    /// Stickers: animated.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub(in crate::webhook) animated: bool,
    /// A direct download URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) url: String,
}

/// `message.location`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Location {
    /// Degrees, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(in crate::webhook) latitude: f64,
    /// Degrees, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(in crate::webhook) longitude: f64,
    /// The place name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) name: String,
    /// The address.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) address: String,
}

/// One card of `message.contacts` (the same shape as when sending, §2.3).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactCard {
    /// The name.
    pub(in crate::webhook) name: Option<ContactName>,
    /// Phone numbers.
    pub(in crate::webhook) phones: Option<Vec<ContactPhone>>,
    /// Emails.
    pub(in crate::webhook) emails: Option<Vec<ContactEmail>>,
    /// URLs.
    pub(in crate::webhook) urls: Option<Vec<ContactUrl>>,
    /// Postal addresses.
    pub(in crate::webhook) addresses: Option<Vec<ContactAddress>>,
    /// Organisation.
    pub(in crate::webhook) org: Option<ContactOrg>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) birthday: String,
}

/// `contacts[].name`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactName {
    /// The full name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) formatted_name: String,
    /// First name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) first_name: String,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) last_name: String,
    /// Middle name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) middle_name: String,
    /// Prefix.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) prefix: String,
    /// Suffix.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) suffix: String,
}

/// `contacts[].phones[]`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactPhone {
    /// The number as written.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) phone: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
    /// The WhatsApp id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) wa_id: String,
}

/// `contacts[].emails[]`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactEmail {
    /// The address.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) email: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
}

/// `contacts[].urls[]`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactUrl {
    /// The URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) url: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
}

/// `contacts[].addresses[]`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactAddress {
    /// Street and number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) street: String,
    /// City.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) city: String,
    /// State.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) state: String,
    /// Postal code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) zip: String,
    /// Country name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) country: String,
    /// ISO country code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) country_code: String,
    /// A free label.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
}

/// `contacts[].org`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct ContactOrg {
    /// Company.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) company: String,
    /// Department.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) department: String,
    /// Job title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) title: String,
}

/// `message.interactive`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Interactive<'a> {
    /// `button_reply`, `list_reply`, `nfm_reply`, `call_permission_reply`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
    /// A reply button was tapped.
    pub(in crate::webhook) button_reply: Option<Choice>,
    /// A list row was chosen.
    pub(in crate::webhook) list_reply: Option<Choice>,
    /// A flow was completed.
    #[serde(borrow)]
    pub(in crate::webhook) nfm_reply: Option<FlowReply<'a>>,
}

/// `interactive.button_reply` and `interactive.list_reply`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Choice {
    /// The button or row id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) id: String,
    /// The title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) title: String,
    /// The row description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) description: String,
}

/// `interactive.nfm_reply`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct FlowReply<'a> {
    /// The flow name (`flow`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) name: String,
    /// The body shown (`Sent`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) body: String,
    /// Meta documents a string holding JSON; kept raw in case an object arrives.
    #[serde(borrow)]
    pub(in crate::webhook) response_json: Option<&'a RawValue>,
}

/// `message.button` (template quick reply).
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Button {
    /// The button's payload.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) payload: String,
    /// The button's text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) text: String,
}

/// `message.reaction`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Reaction {
    /// The wamid reacted to.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) message_id: String,
    /// The emoji; absent or empty when the reaction is removed.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) emoji: String,
}

/// `message.order`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Order {
    /// The catalog id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) catalog_id: String,
    /// The text sent with the order.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) text: String,
    /// The items.
    pub(in crate::webhook) product_items: Option<Vec<OrderItem>>,
}

/// `order.product_items[]`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct OrderItem {
    /// The product's retailer id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) product_retailer_id: String,
    /// The quantity, as a number or a string.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub(in crate::webhook) quantity: i64,
    /// The unit price, as a number or a string.
    #[serde(default, deserialize_with = "lenient::float")]
    pub(in crate::webhook) item_price: f64,
    /// ISO 4217 code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) currency: String,
}

/// `message.system`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct System {
    /// The text shown.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) body: String,
    /// `user_changed_number`, `user_changed_user_id`, legacy `customer_changed_number`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
    /// The new `wa_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) wa_id: String,
    /// The new `wa_id` in the legacy `customer_changed_number` shape.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) new_wa_id: String,
    /// The new BSUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) user_id: String,
}

/// `message.unsupported`.
#[derive(Debug, Deserialize)]
pub(in crate::webhook) struct Unsupported {
    /// `poll_creation`, `edit`, `gif`, …
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub(in crate::webhook) kind: String,
}
