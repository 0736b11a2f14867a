//! `POST /{phone_number_id}/messages`: sends, mark-read and the typing indicator.
//!
//! The request bodies are typed, and borrow their strings from the request
//! they are built from ([`SendBody`], [`MarkReadBody`]); `grpc::convert`
//! validates a request and builds its body. Optional fields left unset are
//! left out of the JSON, as Meta expects.

mod content;
mod interactive;
mod send;
mod struct_json;
mod template;

use serde::Deserialize;

pub use content::{
    ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl, Location, Media,
    MediaSource, Reaction, Text,
};
pub use interactive::{
    ButtonReply, CtaUrlAction, CtaUrlParameters, FlowAction, FlowActionKind, FlowMessageVersion, FlowMode,
    FlowParameters, FlowPayload, FlowRef, Interactive, InteractiveAction, InteractiveHeader, InteractiveText,
    ListAction, ListRow, ListSection, LocationRequestAction, ProductAction, ProductItem, ProductListAction,
    ProductSection, ReplyButton, ReplyButtons,
};
pub use send::{
    Content, Context, MarkReadBody, MessagingProduct, ReadStatus, RecipientType, SendBody, SendTo, TypingIndicator,
};
pub use struct_json::StructJson;
pub use template::{
    ButtonAction, ButtonParameter, ButtonSubType, Currency, DateTime, LanguagePolicy, ParameterValue,
    TemplateComponent, TemplateLanguage, TemplateMessage, TemplateParameter,
};

use super::{Client, Error, Success};

/// What Meta answers to an accepted send.
#[derive(Debug, Clone, Deserialize)]
pub struct SendResult {
    /// The recipient as given and as normalised.
    #[serde(default)]
    pub contacts: Vec<SendContact>,
    /// The new message (always one).
    #[serde(default)]
    pub messages: Vec<SentMessage>,
}

/// A recipient in a send answer.
#[derive(Debug, Clone, Deserialize)]
pub struct SendContact {
    /// The recipient as given.
    #[serde(default)]
    pub input: String,
    /// The normalised WhatsApp id (absent for BSUID sends).
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The business-scoped user id.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A message in a send answer.
#[derive(Debug, Clone, Deserialize)]
pub struct SentMessage {
    /// The wamid.
    pub id: String,
    /// accepted, held_for_quality_assessment or paused (template pacing).
    #[serde(default)]
    pub message_status: Option<String>,
}

impl Client {
    /// Sends a message.
    pub async fn send_message(&self, phone_number_id: &str, body: &SendBody<'_>) -> Result<SendResult, Error> {
        let result: SendResult = self.post_json(&format!("{phone_number_id}/messages"), body).await?;
        if result.messages.is_empty() {
            return Err(Error::Decode("the send answer has no messages[0].id".into()));
        }
        Ok(result)
    }

    /// Marks a received message read (the body may ask for the typing indicator).
    pub async fn mark_read(&self, phone_number_id: &str, body: &MarkReadBody<'_>) -> Result<(), Error> {
        let answer: Success = self.post_json(&format!("{phone_number_id}/messages"), body).await?;
        answer.check("mark-read")
    }
}
