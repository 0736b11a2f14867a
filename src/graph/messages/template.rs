//! The object of a template message: which template, and the values that
//! fill its header, body and buttons (REFERENCE.md §4.6).

use serde::{Serialize, Serializer};

use super::{
    content::{Location, Media},
    struct_json::StructJson,
};

/// A template message.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateMessage<'a> {
    /// The template's name.
    pub name: &'a str,
    /// Its language.
    pub language: TemplateLanguage<'a>,
    /// The values, by component; left out when the template takes none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TemplateComponent<'a>>,
}

/// The language of a template message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TemplateLanguage<'a> {
    /// The language code, e.g. `en_US`.
    pub code: &'a str,
    /// How the language is matched.
    pub policy: LanguagePolicy,
}

/// How Meta matches a template's language: the only policy there is, which
/// Meta's OpenAPI marks required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguagePolicy {
    /// `deterministic`: exactly the language asked for.
    Deterministic,
}

/// The values of one component of a template.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TemplateComponent<'a> {
    /// The header's value.
    Header {
        /// One text, media or location.
        parameters: Vec<TemplateParameter<'a>>,
    },
    /// The body's values.
    Body {
        /// Texts, currencies and dates, in order or by name.
        parameters: Vec<TemplateParameter<'a>>,
    },
    /// The value of one dynamic button.
    Button {
        /// The button's kind.
        sub_type: ButtonSubType,
        /// Its position among the template's buttons, written as a string.
        #[serde(serialize_with = "as_string")]
        index: u32,
        /// Its value.
        parameters: Vec<ButtonParameter<'a>>,
    },
}

fn as_string<S: Serializer>(index: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(index)
}

/// A value for a header or body placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TemplateParameter<'a> {
    /// The value, with its `type`.
    #[serde(flatten)]
    pub value: ParameterValue<'a>,
    /// The placeholder it fills, for templates with named placeholders.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub parameter_name: &'a str,
}

/// A placeholder value: `type` names the kind, and the value sits under the
/// same name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParameterValue<'a> {
    /// Text.
    Text {
        /// The text.
        text: &'a str,
    },
    /// An amount of money.
    Currency {
        /// The amount.
        currency: Currency<'a>,
    },
    /// A date and time.
    DateTime {
        /// The date.
        date_time: DateTime<'a>,
    },
    /// A header image.
    Image {
        /// The image.
        image: Media<'a>,
    },
    /// A header video.
    Video {
        /// The video.
        video: Media<'a>,
    },
    /// A header document.
    Document {
        /// The document.
        document: Media<'a>,
    },
    /// A header location.
    Location {
        /// The pin.
        location: Location<'a>,
    },
}

/// An amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Currency<'a> {
    /// What is shown where the amount cannot be localised.
    pub fallback_value: &'a str,
    /// The ISO 4217 code.
    pub code: &'a str,
    /// The amount × 1000.
    pub amount_1000: i64,
}

/// A date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateTime<'a> {
    /// What is shown.
    pub fallback_value: &'a str,
}

/// The kind of a dynamic template button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonSubType {
    /// A quick reply: takes a payload.
    QuickReply,
    /// A URL with a `{{1}}` suffix: takes the text.
    Url,
    /// A copy-code button: takes the coupon code.
    CopyCode,
    /// A flow button: takes an action.
    Flow,
    /// A catalog button: takes an action.
    Catalog,
}

/// A button's value: `type` names the kind, and the value sits under the
/// same name.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ButtonParameter<'a> {
    /// The text completing a URL.
    Text {
        /// The text.
        text: &'a str,
    },
    /// The payload of a quick reply.
    Payload {
        /// The payload.
        payload: &'a str,
    },
    /// The code of a copy-code button.
    CouponCode {
        /// The code.
        coupon_code: &'a str,
    },
    /// The action of a flow or catalog button.
    Action {
        /// The action.
        action: ButtonAction<'a>,
    },
}

/// The action of a flow or catalog button.
#[derive(Debug, Clone, Serialize)]
pub struct ButtonAction<'a> {
    /// A token the flow's endpoint receives.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub flow_token: &'a str,
    /// Data the flow's first screen is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_action_data: Option<StructJson<'a>>,
}
