//! The shape of a template: what a send of it must fill, read once from
//! the components Graph returns.

use super::placeholders::placeholders;
use crate::{
    graph::{GraphTemplate, vocab},
    pb,
};

/// What a template send must fill, read from the template's components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateShape {
    /// The template id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The language code.
    pub language: String,
    /// The status, as Graph spells it (APPROVED, PENDING, PAUSED, …).
    pub status: String,
    /// Whether its placeholders are named (`{{first_name}}`) rather than positional.
    pub named: bool,
    /// The header.
    pub header: HeaderShape,
    /// The body's placeholders, distinct, in order of first appearance.
    pub body: Vec<String>,
    /// The buttons, by index.
    pub buttons: Vec<ButtonShape>,
}

/// What a template's header takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderShape {
    /// No header.
    None,
    /// A text header, with its placeholder if it has one.
    Text(Option<String>),
    /// A media header: `image`, `video` or `document`.
    Media(&'static str),
    /// A location header.
    Location,
    /// A format the check does not know (e.g. PRODUCT): not checked.
    Other,
}

/// One button of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonShape {
    /// A quick reply: an optional payload.
    QuickReply,
    /// A URL; `dynamic` when it ends in `{{1}}` and so needs a value.
    Url {
        /// Whether the URL has a placeholder.
        dynamic: bool,
    },
    /// A copy-code button: needs a coupon code.
    CopyCode,
    /// A flow button: an optional action.
    Flow,
    /// A catalog or multi-product button: an optional action.
    Catalog,
    /// Any other (phone number, voice call, …): takes nothing.
    Static(String),
}

impl TemplateShape {
    /// Reads the shape of a template as Graph returns it.
    pub fn from_graph(t: &GraphTemplate) -> Self {
        let mut shape = Self {
            id: t.id.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            status: t.status.to_ascii_uppercase(),
            named: false,
            header: HeaderShape::None,
            body: Vec::new(),
            buttons: Vec::new(),
        };
        let mut all_vars = Vec::new();
        for c in &t.components {
            match c.kind.as_str() {
                "HEADER" => {
                    shape.header = match c.format.as_str() {
                        "TEXT" => {
                            let vars = placeholders(&c.text);
                            all_vars.extend(vars.iter().cloned());
                            HeaderShape::Text(vars.into_iter().next())
                        }
                        "IMAGE" => HeaderShape::Media("image"),
                        "VIDEO" | "GIF" => HeaderShape::Media("video"),
                        "DOCUMENT" => HeaderShape::Media("document"),
                        "LOCATION" => HeaderShape::Location,
                        _ => HeaderShape::Other,
                    };
                }
                "BODY" => {
                    shape.body = placeholders(&c.text);
                    all_vars.extend(shape.body.iter().cloned());
                }
                "BUTTONS" => {
                    shape.buttons = c
                        .buttons
                        .iter()
                        .map(|b| match b.kind.as_str() {
                            "QUICK_REPLY" => ButtonShape::QuickReply,
                            // An OTP button is a URL button whose code the send gives.
                            "URL" | "OTP" => {
                                ButtonShape::Url { dynamic: b.kind == "OTP" || !placeholders(&b.url).is_empty() }
                            }
                            "COPY_CODE" => ButtonShape::CopyCode,
                            "FLOW" => ButtonShape::Flow,
                            "CATALOG" | "MPM" => ButtonShape::Catalog,
                            other => ButtonShape::Static(other.to_owned()),
                        })
                        .collect();
                }
                _ => {}
            }
        }
        shape.named = match vocab::parameter_format_from_graph(t.parameter_format.as_deref()) {
            pb::TemplateParameterFormat::Named => true,
            pb::TemplateParameterFormat::Positional => false,
            pb::TemplateParameterFormat::Unspecified => all_vars.iter().any(|v| !v.bytes().all(|b| b.is_ascii_digit())),
        };
        shape
    }

    /// Whether it can be sent.
    pub fn is_approved(&self) -> bool {
        vocab::template_status_from_graph(&self.status) == pb::TemplateStatus::Approved
    }

    /// How messages name it: `template order_shipped (en_US)`.
    pub(super) fn label(&self) -> String {
        format!("template {} ({})", self.name, self.language)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::templates::testing::{shipped, template};

    #[test]
    fn shapes_are_read_from_graph_components() {
        let shape = shipped();
        assert_eq!(shape.header, HeaderShape::Media("image"));
        assert_eq!(shape.body, ["1", "2", "3"]);
        assert_eq!(shape.buttons, [ButtonShape::Url { dynamic: true }, ButtonShape::QuickReply]);
        assert!(!shape.named && shape.is_approved());
        let named = template(
            None,
            json!([{"type": "HEADER", "format": "TEXT", "text": "For {{guest_name}}"},
                   {"type": "BODY", "text": "{{party_size}} on {{visit_date}}, {{party_size}} again"}]),
        );
        assert!(named.named, "named placeholders imply NAMED");
        assert_eq!(named.header, HeaderShape::Text(Some("guest_name".into())));
        assert_eq!(named.body, ["party_size", "visit_date"]);
    }
}
