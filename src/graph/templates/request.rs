//! What template create and edit send (REFERENCE.md §4.1, §4.4): the
//! template's fields and its components, as borrowed typed bodies.
//! Enum values (category, parameter format) come spelled by
//! [`crate::graph::vocab`].

use serde::Serialize;

/// The body of `POST /{waba_id}/message_templates`.
#[derive(Debug, Clone, Serialize)]
pub struct CreateTemplateBody<'a> {
    /// The name: lowercase letters, digits and underscores.
    pub name: &'a str,
    /// The language code, e.g. `en_US`.
    pub language: &'a str,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: &'static str,
    /// POSITIONAL or NAMED; Meta's default (POSITIONAL) when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<&'static str>,
    /// Whether Meta may move the template to the category it finds right.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_category_change: bool,
    /// How long Meta tries to deliver a message of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i32>,
    /// The components.
    pub components: Vec<ComponentSpec<'a>>,
}

/// The body of an edit (`POST /{template_id}`): only what changes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EditTemplateBody<'a> {
    /// The new components, all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentSpec<'a>>>,
    /// The new category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    /// The new delivery TTL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i32>,
}

/// A component of a new template: `type` names it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum ComponentSpec<'a> {
    /// The header.
    Header(HeaderSpec<'a>),
    /// The body.
    Body(BodySpec<'a>),
    /// The footer.
    Footer(FooterSpec<'a>),
    /// The buttons.
    Buttons {
        /// The buttons, in order.
        buttons: Vec<ButtonSpec<'a>>,
    },
}

/// A header: `format` names its kind.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "format", rename_all = "UPPERCASE")]
pub enum HeaderSpec<'a> {
    /// Text, with at most one placeholder.
    Text {
        /// The text.
        text: &'a str,
        /// The example value of its placeholder, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        example: Option<HeaderTextExample<'a>>,
    },
    /// An image.
    Image {
        /// A sample, as an upload handle.
        example: HeaderHandles<'a>,
    },
    /// A video.
    Video {
        /// A sample, as an upload handle.
        example: HeaderHandles<'a>,
    },
    /// A document.
    Document {
        /// A sample, as an upload handle.
        example: HeaderHandles<'a>,
    },
    /// A location, given at send time.
    Location,
}

/// The example of a text header's placeholder.
#[derive(Debug, Clone, Serialize)]
pub enum HeaderTextExample<'a> {
    /// `header_text`: the value of `{{1}}`.
    #[serde(rename = "header_text")]
    Positional(&'a [String]),
    /// `header_text_named_params`: the value of the named placeholder.
    #[serde(rename = "header_text_named_params")]
    Named(Vec<NamedExample<'a>>),
}

/// `{"header_handle": […]}`: samples of a media header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeaderHandles<'a> {
    /// Resumable-upload handles.
    pub header_handle: &'a [String],
}

/// The body.
#[derive(Debug, Clone, Serialize)]
pub struct BodySpec<'a> {
    /// The text; authentication templates have none (Meta writes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// Whether an authentication message adds a security warning.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub add_security_recommendation: bool,
    /// Example values of the placeholders, if the text has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<BodyExample<'a>>,
}

/// Example values of a body's placeholders.
#[derive(Debug, Clone, Serialize)]
pub enum BodyExample<'a> {
    /// `body_text`: one rendering's values, in order (an array in an array).
    #[serde(rename = "body_text")]
    Positional([&'a [String]; 1]),
    /// `body_text_named_params`: a value per name.
    #[serde(rename = "body_text_named_params")]
    Named(Vec<NamedExample<'a>>),
}

/// The example value of a named placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedExample<'a> {
    /// The placeholder's name.
    pub param_name: &'a str,
    /// Its example value.
    pub example: &'a str,
}

/// The footer: a text, or for authentication templates the code's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FooterSpec<'a> {
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// How long the code is valid (authentication templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_expiration_minutes: Option<u32>,
}

/// A button: `type` names its kind.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ButtonSpec<'a> {
    /// A quick reply.
    QuickReply {
        /// The label.
        text: &'a str,
    },
    /// A URL, possibly ending in `{{1}}`.
    Url {
        /// The label.
        text: &'a str,
        /// The URL.
        url: &'a str,
        /// A full example URL, when it has a placeholder.
        #[serde(skip_serializing_if = "Option::is_none")]
        example: Option<[&'a str; 1]>,
    },
    /// A phone call.
    PhoneNumber {
        /// The label.
        text: &'a str,
        /// The number called.
        phone_number: &'a str,
    },
    /// A copy-code button.
    CopyCode {
        /// An example code.
        example: &'a str,
    },
    /// The one-time-password button of an authentication template.
    Otp(OtpSpec<'a>),
    /// A button that opens a WhatsApp Flow.
    Flow {
        /// The label.
        text: &'a str,
        /// The flow, by id.
        #[serde(skip_serializing_if = "str::is_empty")]
        flow_id: &'a str,
        /// The flow, by name.
        #[serde(skip_serializing_if = "str::is_empty")]
        flow_name: &'a str,
        /// navigate or data_exchange.
        #[serde(skip_serializing_if = "str::is_empty")]
        flow_action: &'a str,
        /// The first screen, for navigate.
        #[serde(skip_serializing_if = "str::is_empty")]
        navigate_screen: &'a str,
    },
}

/// A one-time-password button.
#[derive(Debug, Clone, Serialize)]
pub struct OtpSpec<'a> {
    /// How the code reaches the app.
    pub otp_type: OtpType,
    /// The label.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub text: &'a str,
    /// The label of the autofill button (one-tap).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub autofill_text: &'a str,
    /// The apps that receive the code (one-tap and zero-tap).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_apps: Vec<SupportedApp<'a>>,
}

/// How a one-time password reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OtpType {
    /// The contact copies the code.
    CopyCode,
    /// The app fills the code in on a tap.
    OneTap,
    /// The app receives the code without a tap.
    ZeroTap,
}

/// An app that receives one-time passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SupportedApp<'a> {
    /// The Android package name.
    pub package_name: &'a str,
    /// The app's signing key hash.
    pub signature_hash: &'a str,
}
