//! The object of an interactive message: its header, body and footer around
//! one action, whose kind sets the message's `type` (REFERENCE.md §2.4).

use serde::Serialize;

use super::{content::MediaSource, struct_json::StructJson};

/// An interactive message.
#[derive(Debug, Clone, Serialize)]
pub struct Interactive<'a> {
    /// The action, with the `type` it makes the message.
    #[serde(flatten)]
    pub action: InteractiveAction<'a>,
    /// The header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<InteractiveHeader<'a>>,
    /// The body text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<InteractiveText<'a>>,
    /// The footer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<InteractiveText<'a>>,
}

/// `{"text": …}`: how a body or footer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InteractiveText<'a> {
    /// The text.
    pub text: &'a str,
}

/// The header of an interactive message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum InteractiveHeader<'a> {
    /// A text header.
    Text {
        /// The text.
        text: &'a str,
    },
    /// An image header.
    Image {
        /// The image.
        image: MediaSource<'a>,
    },
    /// A video header.
    Video {
        /// The video.
        video: MediaSource<'a>,
    },
    /// A document header.
    Document {
        /// The document.
        document: MediaSource<'a>,
    },
}

/// The action of an interactive message: `type` names the kind and `action`
/// holds it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "action")]
pub enum InteractiveAction<'a> {
    /// Up to three reply buttons.
    #[serde(rename = "button")]
    Buttons(ReplyButtons<'a>),
    /// A list of rows in sections, behind one button.
    #[serde(rename = "list")]
    List(ListAction<'a>),
    /// A button that opens a URL.
    #[serde(rename = "cta_url")]
    CtaUrl(CtaUrlAction<'a>),
    /// A button that opens a WhatsApp Flow.
    #[serde(rename = "flow")]
    Flow(FlowAction<'a>),
    /// A request for the contact's location.
    #[serde(rename = "location_request_message")]
    LocationRequest(LocationRequestAction),
    /// One product of a catalog.
    #[serde(rename = "product")]
    Product(ProductAction<'a>),
    /// Products of a catalog in sections.
    #[serde(rename = "product_list")]
    ProductList(ProductListAction<'a>),
}

/// Reply buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyButtons<'a> {
    /// The buttons.
    pub buttons: Vec<ReplyButton<'a>>,
}

/// `{"type": "reply", "reply": {id, title}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "reply")]
pub struct ReplyButton<'a> {
    /// The button.
    pub reply: ButtonReply<'a>,
}

/// What a reply button shows and answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ButtonReply<'a> {
    /// The id the reply webhook carries.
    pub id: &'a str,
    /// The label.
    pub title: &'a str,
}

/// A list message's action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListAction<'a> {
    /// The label of the button that opens the list.
    pub button: &'a str,
    /// The sections.
    pub sections: Vec<ListSection<'a>>,
}

/// A section of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSection<'a> {
    /// The title (needed only to tell several sections apart).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub title: &'a str,
    /// The rows.
    pub rows: Vec<ListRow<'a>>,
}

/// A row of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListRow<'a> {
    /// The id the reply webhook carries.
    pub id: &'a str,
    /// The title.
    pub title: &'a str,
    /// The description under the title.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub description: &'a str,
}

/// `{"name": "cta_url", "parameters": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "name", rename = "cta_url")]
pub struct CtaUrlAction<'a> {
    /// The button.
    pub parameters: CtaUrlParameters<'a>,
}

/// The button of a CTA URL message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CtaUrlParameters<'a> {
    /// The label.
    pub display_text: &'a str,
    /// The URL it opens.
    pub url: &'a str,
}

/// `{"name": "flow", "parameters": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "name", rename = "flow")]
pub struct FlowAction<'a> {
    /// The flow and how it opens.
    pub parameters: FlowParameters<'a>,
}

/// Which flow a flow message opens, and how.
#[derive(Debug, Clone, Serialize)]
pub struct FlowParameters<'a> {
    /// Always `3`.
    pub flow_message_version: FlowMessageVersion,
    /// `flow_id` or `flow_name`.
    #[serde(flatten)]
    pub flow: FlowRef<'a>,
    /// The label of the button that opens it.
    pub flow_cta: &'a str,
    /// A token the flow's endpoint receives.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub flow_token: &'a str,
    /// Draft or published; Meta's default (published) when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<FlowMode>,
    /// Navigate or data exchange; Meta's default (navigate) when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_action: Option<FlowActionKind>,
    /// The first screen and the data it is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_action_payload: Option<FlowPayload<'a>>,
}

/// The flow message version the gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FlowMessageVersion {
    /// `"3"`.
    #[serde(rename = "3")]
    V3,
}

/// How a flow is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowRef<'a> {
    /// `flow_id`.
    FlowId(&'a str),
    /// `flow_name`.
    FlowName(&'a str),
}

/// Which version of a flow opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowMode {
    /// The published flow.
    Published,
    /// The draft, for testing.
    Draft,
}

/// What opening a flow does first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowActionKind {
    /// Show a screen.
    Navigate,
    /// Ask the flow's endpoint.
    DataExchange,
}

/// `flow_action_payload`: the first screen and its data.
#[derive(Debug, Clone, Serialize)]
pub struct FlowPayload<'a> {
    /// The screen.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub screen: &'a str,
    /// The data the screen is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<StructJson<'a>>,
}

/// `{"name": "send_location"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "name", rename = "send_location")]
pub struct LocationRequestAction {}

/// One product of a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProductAction<'a> {
    /// The catalog.
    pub catalog_id: &'a str,
    /// The product's retailer id (SKU).
    pub product_retailer_id: &'a str,
}

/// Products of a catalog in sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductListAction<'a> {
    /// The catalog.
    pub catalog_id: &'a str,
    /// The sections.
    pub sections: Vec<ProductSection<'a>>,
}

/// A section of a product list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSection<'a> {
    /// The title (needed only to tell several sections apart).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub title: &'a str,
    /// The products.
    pub product_items: Vec<ProductItem<'a>>,
}

/// A product of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProductItem<'a> {
    /// The product's retailer id (SKU).
    pub product_retailer_id: &'a str,
}
