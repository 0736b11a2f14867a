//! The envelope every send shares, and the mark-read body.

use serde::Serialize;

use super::{
    content::{ContactCard, Location, Media, Reaction, Text},
    interactive::Interactive,
    template::TemplateMessage,
};

/// The body of a send (`POST /{phone_number_id}/messages`, REFERENCE.md §2.1).
#[derive(Debug, Clone, Serialize)]
pub struct SendBody<'a> {
    /// Always `whatsapp`.
    pub messaging_product: MessagingProduct,
    /// Always `individual`.
    pub recipient_type: RecipientType,
    /// Who the message goes to: `to` or `recipient`.
    #[serde(flatten)]
    pub to: SendTo<'a>,
    /// The message this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context<'a>>,
    /// Data Meta hands back in this message's status webhooks.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub biz_opaque_callback_data: &'a str,
    /// The message: its `type` and the object of that type.
    #[serde(flatten)]
    pub content: Content<'a>,
}

impl SendBody<'_> {
    /// The body as JSON with its object keys sorted, so equal sends give
    /// equal text whatever the field order: what idempotency keys hash (as
    /// earlier versions did, so a retry across an upgrade still matches).
    ///
    /// # Errors
    ///
    /// Never in practice: every key of a body is a string.
    pub fn canonical_json(&self) -> Result<String, serde_json::Error> {
        // serde_json's `Value` keeps object keys sorted.
        serde_json::to_value(self).map(|value| value.to_string())
    }
}

/// The product a body is for: there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessagingProduct {
    /// `whatsapp`.
    Whatsapp,
}

/// The kind of recipient: the gateway sends to individuals only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientType {
    /// `individual`.
    Individual,
}

/// How a send names its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SendTo<'a> {
    /// `to`: a phone number as the client wrote it (Meta echoes it back as
    /// `contacts[].input`).
    #[serde(rename = "to")]
    Phone(&'a str),
    /// `recipient`: a business-scoped user id.
    #[serde(rename = "recipient")]
    UserId(&'a str),
}

/// The message a send replies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Context<'a> {
    /// Its wamid.
    pub message_id: &'a str,
}

/// The content of a send: `type` names the kind, and the object of that kind
/// sits under the same name.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content<'a> {
    /// A text message.
    Text {
        /// The text.
        text: Text<'a>,
    },
    /// An image.
    Image {
        /// The image.
        image: Media<'a>,
    },
    /// Audio, possibly a voice note.
    Audio {
        /// The audio.
        audio: Media<'a>,
    },
    /// A video.
    Video {
        /// The video.
        video: Media<'a>,
    },
    /// A document.
    Document {
        /// The document.
        document: Media<'a>,
    },
    /// A sticker.
    Sticker {
        /// The sticker.
        sticker: Media<'a>,
    },
    /// A location pin.
    Location {
        /// The pin.
        location: Location<'a>,
    },
    /// Contact cards.
    Contacts {
        /// The cards.
        contacts: Vec<ContactCard<'a>>,
    },
    /// An interactive message.
    Interactive {
        /// The message.
        interactive: Interactive<'a>,
    },
    /// A reaction to a message, or its removal.
    Reaction {
        /// The reaction.
        reaction: Reaction<'a>,
    },
    /// A template message.
    Template {
        /// The template and its values.
        template: TemplateMessage<'a>,
    },
}

/// The body of mark-read (REFERENCE.md §2.5), on the same endpoint as sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MarkReadBody<'a> {
    /// Always `whatsapp`.
    pub messaging_product: MessagingProduct,
    /// Always `read`.
    pub status: ReadStatus,
    /// The wamid of the received message.
    pub message_id: &'a str,
    /// Shows the contact that a reply is being typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typing_indicator: Option<TypingIndicator>,
}

/// The status mark-read sets: there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadStatus {
    /// `read`.
    Read,
}

/// The typing indicator: `{"type": "text"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TypingIndicator {
    /// Text is being typed.
    Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_the_keys() {
        let body = SendBody {
            messaging_product: MessagingProduct::Whatsapp,
            recipient_type: RecipientType::Individual,
            to: SendTo::Phone("+1 415 555 0123"),
            context: Some(Context { message_id: "wamid.1" }),
            biz_opaque_callback_data: "",
            content: Content::Text { text: Text { body: "hi", preview_url: true } },
        };
        assert_eq!(
            body.canonical_json().unwrap(),
            r#"{"context":{"message_id":"wamid.1"},"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"hi","preview_url":true},"to":"+1 415 555 0123","type":"text"}"#
        );
    }
}
