//! The objects of the simple message kinds: text, media, location, contact
//! cards and reactions. Empty optional strings are left out, as proto3 has
//! no unset strings.

use serde::Serialize;

/// A text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Text<'a> {
    /// The text.
    pub body: &'a str,
    /// Whether the first URL gets a preview (Meta's default is no).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub preview_url: bool,
}

/// Where a media object's file is: an uploaded id or a public link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaSource<'a> {
    /// `id`: an id from a media upload.
    Id(&'a str),
    /// `link`: an http(s) URL Meta fetches.
    Link(&'a str),
}

/// A media object: its source and what the message kind adds to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Media<'a> {
    /// `id` or `link`.
    #[serde(flatten)]
    pub source: MediaSource<'a>,
    /// The caption (images, videos, documents).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub caption: &'a str,
    /// The file name shown (documents).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub filename: &'a str,
    /// Whether audio is a voice note.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
}

impl<'a> From<MediaSource<'a>> for Media<'a> {
    /// A media object with only its source.
    fn from(source: MediaSource<'a>) -> Self {
        Self { source, caption: "", filename: "", voice: false }
    }
}

/// A location pin; the coordinates go out as JSON numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Location<'a> {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// The place's name.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub name: &'a str,
    /// The place's address.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub address: &'a str,
}

/// A contact card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactCard<'a> {
    /// The name (`formatted_name` is required).
    pub name: ContactName<'a>,
    /// Phone numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone<'a>>,
    /// Email addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail<'a>>,
    /// Web addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl<'a>>,
    /// Postal addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress<'a>>,
    /// The organisation, left out when it says nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg<'a>>,
    /// The birthday, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub birthday: &'a str,
}

/// The name on a contact card.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContactName<'a> {
    /// The full name as shown.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub formatted_name: &'a str,
    /// The first name.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub first_name: &'a str,
    /// The last name.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub last_name: &'a str,
    /// The middle name.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub middle_name: &'a str,
    /// A prefix such as Dr.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub prefix: &'a str,
    /// A suffix such as Jr.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub suffix: &'a str,
}

/// A phone number on a contact card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactPhone<'a> {
    /// The number as written.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub phone: &'a str,
    /// Its label, e.g. WORK.
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    pub kind: &'a str,
    /// Its WhatsApp id, which adds a Message button to the card.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub wa_id: &'a str,
}

/// An email address on a contact card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactEmail<'a> {
    /// The address.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub email: &'a str,
    /// Its label.
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    pub kind: &'a str,
}

/// A web address on a contact card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactUrl<'a> {
    /// The URL.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub url: &'a str,
    /// Its label.
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    pub kind: &'a str,
}

/// A postal address on a contact card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactAddress<'a> {
    /// Street and number.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub street: &'a str,
    /// City.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub city: &'a str,
    /// State or region.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub state: &'a str,
    /// Postal code.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub zip: &'a str,
    /// Country name.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub country: &'a str,
    /// ISO country code.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub country_code: &'a str,
    /// Its label.
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    pub kind: &'a str,
}

/// The organisation on a contact card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactOrg<'a> {
    /// The company.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub company: &'a str,
    /// The department.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub department: &'a str,
    /// The job title.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub title: &'a str,
}

impl ContactOrg<'_> {
    /// Whether every field is empty (the object would be `{}`).
    pub fn is_empty(&self) -> bool {
        self.company.is_empty() && self.department.is_empty() && self.title.is_empty()
    }
}

/// A reaction; an empty emoji removes the reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reaction<'a> {
    /// The wamid of the message reacted to.
    pub message_id: &'a str,
    /// The emoji, or `""` to remove the reaction.
    pub emoji: &'a str,
}
