//! A template's components as Graph returns them, read leniently.
//!
//! Meta adds component and button types over time (carousels, catalogs,
//! voice calls …) and the gateway only models some, so a component is read
//! from any JSON value and never fails the whole template: a field of the
//! wrong JSON type reads as empty, and a component or button of a type the
//! gateway does not know keeps its place with that type, so button indexes
//! stay those Meta uses.

use serde::Deserialize;
use serde_json::Value;

/// One component of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "Value")]
pub struct GraphComponent {
    /// `type`, upper-cased: HEADER, BODY, FOOTER, BUTTONS or one the gateway
    /// does not model; empty when it is not a string.
    pub kind: String,
    /// A header's `format`, upper-cased (TEXT, IMAGE, VIDEO, GIF, …).
    pub format: String,
    /// `text` (a JSON number reads as its digits).
    pub text: String,
    /// `example`: sample values.
    pub example: ComponentExample,
    /// A body's `add_security_recommendation` (authentication templates).
    pub add_security_recommendation: bool,
    /// A footer's `code_expiration_minutes` (authentication templates); 0 when unset.
    pub code_expiration_minutes: u32,
    /// The buttons of a BUTTONS component, in order.
    pub buttons: Vec<GraphButton>,
}

/// The sample values of a component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentExample {
    /// `header_text`: the value of a text header's `{{1}}`.
    pub header_text: Vec<String>,
    /// `header_text_named_params`: the value of a text header's named placeholder.
    pub header_text_named_params: Vec<GraphNamedExample>,
    /// `header_handle`: samples of a media header.
    pub header_handle: Vec<String>,
    /// `body_text`: the body's values, from the first rendering.
    pub body_text: Vec<String>,
    /// `body_text_named_params`: the body's values by name.
    pub body_text_named_params: Vec<GraphNamedExample>,
}

/// The example value of a named placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphNamedExample {
    /// The placeholder's name.
    pub param_name: String,
    /// Its example value.
    pub example: String,
}

/// One button of a BUTTONS component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphButton {
    /// `type`, upper-cased: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP,
    /// FLOW or one the gateway does not model; empty when it is not a string.
    pub kind: String,
    /// The label.
    pub text: String,
    /// A URL button's URL.
    pub url: String,
    /// A phone-number button's number.
    pub phone_number: String,
    /// The example: a URL's full example or a copy-code's code (Graph
    /// writes it as a string or as a one-element array).
    pub example: String,
    /// An OTP button's `otp_type`, upper-cased.
    pub otp_type: String,
    /// An OTP button's autofill label.
    pub autofill_text: String,
    /// The apps an OTP button fills the code into.
    pub supported_apps: Vec<GraphSupportedApp>,
    /// A flow button's flow id.
    pub flow_id: String,
    /// A flow button's flow name.
    pub flow_name: String,
    /// A flow button's action.
    pub flow_action: String,
    /// A flow button's first screen.
    pub navigate_screen: String,
}

/// An app an OTP button fills the code into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphSupportedApp {
    /// The Android package name.
    pub package_name: String,
    /// The app's signing key hash.
    pub signature_hash: String,
}

// === reading ===

impl From<Value> for GraphComponent {
    fn from(c: Value) -> Self {
        Self::from(&c)
    }
}

impl From<&Value> for GraphComponent {
    fn from(c: &Value) -> Self {
        let example = c.get("example");
        let field = |key: &str| example.and_then(|e| e.get(key));
        Self {
            kind: kind(c, "type"),
            format: kind(c, "format"),
            text: text(c, "text"),
            example: ComponentExample {
                header_text: strings(field("header_text")),
                header_text_named_params: named_examples(field("header_text_named_params")),
                header_handle: strings(field("header_handle")),
                body_text: field("body_text")
                    .and_then(Value::as_array)
                    .and_then(|renderings| renderings.first())
                    .map_or_else(Vec::new, |first| strings(Some(first))),
                body_text_named_params: named_examples(field("body_text_named_params")),
            },
            add_security_recommendation: c.get("add_security_recommendation").and_then(Value::as_bool).unwrap_or(false),
            code_expiration_minutes: c
                .get("code_expiration_minutes")
                .and_then(Value::as_u64)
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(0),
            buttons: c
                .get("buttons")
                .and_then(Value::as_array)
                .map(|list| list.iter().map(GraphButton::from).collect())
                .unwrap_or_default(),
        }
    }
}

impl From<&Value> for GraphButton {
    fn from(b: &Value) -> Self {
        Self {
            kind: kind(b, "type"),
            text: text(b, "text"),
            url: text(b, "url"),
            phone_number: text(b, "phone_number"),
            example: strings(b.get("example")).into_iter().next().unwrap_or_else(|| text(b, "example")),
            otp_type: text(b, "otp_type").to_ascii_uppercase(),
            autofill_text: text(b, "autofill_text"),
            supported_apps: b
                .get("supported_apps")
                .and_then(Value::as_array)
                .map(|apps| {
                    apps.iter()
                        .map(|a| GraphSupportedApp {
                            package_name: text(a, "package_name"),
                            signature_hash: text(a, "signature_hash"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            flow_id: text(b, "flow_id"),
            flow_name: text(b, "flow_name"),
            flow_action: text(b, "flow_action"),
            navigate_screen: text(b, "navigate_screen"),
        }
    }
}

/// A type or format: the string upper-cased, empty when it is not a string.
fn kind(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase()
}

/// A string field; Graph writes some ids as numbers.
fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The strings of an array (other elements are skipped).
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn named_examples(v: Option<&Value>) -> Vec<GraphNamedExample> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| GraphNamedExample { param_name: text(e, "param_name"), example: text(e, "example") })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn components_read_leniently_and_unknown_ones_keep_their_type() {
        let c: GraphComponent = serde_json::from_value(json!({
            "type": "body", "text": "Hi {{1}}", "example": {"body_text": [["Ana", 7], ["Bo"]]},
            "add_security_recommendation": "yes", "code_expiration_minutes": 10.5
        }))
        .unwrap();
        assert_eq!((c.kind.as_str(), c.text.as_str()), ("BODY", "Hi {{1}}"));
        assert_eq!(c.example.body_text, ["Ana"], "the first rendering, strings only");
        assert!(!c.add_security_recommendation && c.code_expiration_minutes == 0, "wrong JSON types read as unset");

        let unknown = GraphComponent::from(json!({"type": "CAROUSEL", "cards": []}));
        assert_eq!(unknown.kind, "CAROUSEL");
        assert_eq!(GraphComponent::from(json!("not an object")), GraphComponent::default());

        let buttons = GraphComponent::from(json!({"type": "BUTTONS", "buttons": [
            {"type": "MPM", "text": "View"},
            {"type": "url", "text": "Go", "url": "https://x.example/{{1}}", "example": ["https://x.example/1"]},
            {"type": "COPY_CODE", "example": "25OFF"},
            {"type": "otp", "otp_type": "one_tap", "supported_apps": [{"package_name": "com.x", "signature_hash": 12}]}
        ]}));
        let kinds: Vec<&str> = buttons.buttons.iter().map(|b| b.kind.as_str()).collect();
        assert_eq!(kinds, ["MPM", "URL", "COPY_CODE", "OTP"]);
        assert_eq!(buttons.buttons[1].example, "https://x.example/1");
        assert_eq!(buttons.buttons[2].example, "25OFF");
        assert_eq!(buttons.buttons[3].otp_type, "ONE_TAP");
        assert_eq!(buttons.buttons[3].supported_apps[0].signature_hash, "12");
    }
}
