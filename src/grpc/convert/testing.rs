//! Builders and assertions shared by the unit tests of the send conversion.

pub(super) use prost_types::value::Kind as StructKind;
pub(super) use serde_json::{Value, json};

pub(super) use super::send_message;
pub(super) use crate::pb::{
    self, flow_action::Flow, interactive::Action, interactive_header::Kind as HeaderKind, media_source::Source,
    message_content::Kind, template_button_parameter::Value as ButtonValue, template_parameter::Value as ParamValue,
};

/// A reference sample from `tests/fixtures/cloud-api/`.
pub(super) fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/cloud-api/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

pub(super) const TO: &str = "14155550123";
pub(super) const WAMID: &str = "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=";

pub(super) fn send(kind: Kind) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        to: TO.into(),
        content: Some(pb::MessageContent { kind: Some(kind) }),
        ..Default::default()
    }
}

pub(super) fn by_id(id: &str) -> Option<pb::MediaSource> {
    Some(pb::MediaSource { source: Some(Source::Id(id.into())) })
}

pub(super) fn by_link(link: &str) -> Option<pb::MediaSource> {
    Some(pb::MediaSource { source: Some(Source::Link(link.into())) })
}

pub(super) fn text(body: &str) -> Kind {
    Kind::Text(pb::Text { body: body.into(), preview_url: false })
}

pub(super) fn text_header(text: &str) -> Option<pb::InteractiveHeader> {
    Some(pb::InteractiveHeader { kind: Some(HeaderKind::Text(text.into())) })
}

pub(super) fn interactive(action: Action) -> pb::Interactive {
    pb::Interactive { body: "Pick one".into(), action: Some(action), ..Default::default() }
}

pub(super) fn button(id: &str, title: &str) -> pb::ReplyButton {
    pb::ReplyButton { id: id.into(), title: title.into() }
}

pub(super) fn buttons(list: Vec<pb::ReplyButton>) -> Action {
    Action::Buttons(pb::ReplyButtons { buttons: list })
}

pub(super) fn row(id: &str, title: &str) -> pb::ListRow {
    pb::ListRow { id: id.into(), title: title.into(), description: String::new() }
}

pub(super) fn section(title: &str, rows: Vec<pb::ListRow>) -> pb::ListSection {
    pb::ListSection { title: title.into(), rows }
}

pub(super) fn list(sections: Vec<pb::ListSection>) -> Action {
    Action::List(pb::ListAction { button: "Choose".into(), sections })
}

pub(super) fn flow() -> pb::FlowAction {
    pb::FlowAction {
        flow: Some(Flow::FlowId("1837465501928374".into())),
        flow_cta: "Open".into(),
        ..Default::default()
    }
}

pub(super) fn products(sections: &[(&str, usize)]) -> Action {
    let sections = sections
        .iter()
        .map(|&(title, n)| pb::ProductSection {
            title: title.into(),
            product_retailer_ids: (0..n).map(|i| format!("SKU-{title}-{i}")).collect(),
        })
        .collect();
    Action::ProductList(pb::ProductListAction { catalog_id: "367025965434465".into(), sections })
}

pub(super) fn param(value: ParamValue) -> pb::TemplateParameter {
    pb::TemplateParameter { parameter_name: String::new(), value: Some(value) }
}

pub(super) fn text_param(text: &str) -> pb::TemplateParameter {
    param(ParamValue::Text(text.into()))
}

pub(super) fn named(name: &str, text: &str) -> pb::TemplateParameter {
    pb::TemplateParameter { parameter_name: name.into(), value: Some(ParamValue::Text(text.into())) }
}

pub(super) fn template_button(
    sub_type: pb::TemplateButtonSubType,
    index: u32,
    value: ButtonValue,
) -> pb::TemplateButtonParameters {
    pb::TemplateButtonParameters {
        sub_type: sub_type.into(),
        index,
        parameters: vec![pb::TemplateButtonParameter { value: Some(value) }],
    }
}

pub(super) fn template(body: Vec<pb::TemplateParameter>) -> pb::TemplateMessage {
    pb::TemplateMessage {
        name: "order_shipped".into(),
        language_code: "en_US".into(),
        body_parameters: body,
        ..Default::default()
    }
}

pub(super) fn string(s: &str) -> prost_types::Value {
    prost_types::Value { kind: Some(StructKind::StringValue(s.into())) }
}

pub(super) fn number(n: f64) -> prost_types::Value {
    prost_types::Value { kind: Some(StructKind::NumberValue(n)) }
}

pub(super) fn object(fields: Vec<(&str, prost_types::Value)>) -> prost_types::Struct {
    prost_types::Struct { fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect() }
}

/// The field paths of a request's violations, in the order they were found.
pub(super) fn fields(req: &pb::SendMessageRequest) -> Vec<String> {
    match send_message(req) {
        Ok(outbound) => panic!("expected violations, got {:?}", outbound.body),
        Err(violations) => violations.into_iter().map(|v| v.field).collect(),
    }
}

pub(super) fn violation(req: &pb::SendMessageRequest, field: &str) -> String {
    let violations = send_message(req).expect_err("expected violations");
    violations
        .iter()
        .find(|v| v.field == field)
        .unwrap_or_else(|| panic!("no violation at {field}: {violations:?}"))
        .description
        .clone()
}

/// The JSON a valid request sends.
pub(super) fn body(req: &pb::SendMessageRequest) -> Value {
    let outbound = send_message(req).unwrap_or_else(|v| panic!("unexpected violations: {v:?}"));
    serde_json::to_value(&outbound.body).expect("a body serializes")
}
