//! The send check: a template send's values against the placeholders,
//! header and buttons of the approved template it names.

use std::collections::HashSet;

use super::{
    placeholders::{braces, list},
    shape::{ButtonShape, HeaderShape, TemplateShape},
};
use crate::{
    pb::{self, template_parameter::Value as ParamValue},
    violation::FieldViolation,
};

/// The field of a send that holds the template.
const FIELD: &str = "content.template";

/// Checks a send's values against an approved template's placeholders;
/// every mismatch is reported, under its `content.template.…` path.
pub fn check_send(shape: &TemplateShape, send: &pb::TemplateMessage) -> Result<(), Vec<FieldViolation>> {
    let mut violations = Vec::new();
    check_header(shape, send, &mut violations);
    check_body(shape, send, &mut violations);
    check_buttons(shape, send, &mut violations);
    if violations.is_empty() { Ok(()) } else { Err(violations) }
}

fn value_kind(p: &pb::TemplateParameter) -> &'static str {
    match p.value {
        Some(ParamValue::Text(_)) => "text",
        Some(ParamValue::Currency(_)) => "currency",
        Some(ParamValue::DateTime(_)) => "date_time",
        Some(ParamValue::Image(_)) => "image",
        Some(ParamValue::Video(_)) => "video",
        Some(ParamValue::Document(_)) => "document",
        Some(ParamValue::Location(_)) => "location",
        None => "nothing",
    }
}

fn is_text_like(p: &pb::TemplateParameter) -> bool {
    matches!(p.value, Some(ParamValue::Text(_) | ParamValue::Currency(_) | ParamValue::DateTime(_)))
}

fn check_header(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    let field = format!("{FIELD}.header_parameters");
    let params = &send.header_parameters;
    let label = shape.label();
    let expect_one = |what: &str, out: &mut Vec<FieldViolation>| {
        if params.len() != 1 {
            out.push(FieldViolation::new(
                &field,
                format!("{label} has {what}: send exactly one header value, got {}", params.len()),
            ));
            false
        } else {
            true
        }
    };
    match &shape.header {
        HeaderShape::Other => {}
        HeaderShape::None if !params.is_empty() => out.push(FieldViolation::new(
            &field,
            format!("{label} has no header placeholder: send no header values, got {}", params.len()),
        )),
        HeaderShape::Text(None) if !params.is_empty() => out.push(FieldViolation::new(
            &field,
            format!("{label} has a fixed text header: send no header values, got {}", params.len()),
        )),
        HeaderShape::None | HeaderShape::Text(None) => {}
        HeaderShape::Text(Some(var)) => {
            if !expect_one(&format!("a text header with the placeholder {}", braces(var)), out) {
                return;
            }
            let p = &params[0];
            if !is_text_like(p) {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!("{label} has a text header: send text, got {}", value_kind(p)),
                ));
            }
            if shape.named && p.parameter_name != *var {
                out.push(FieldViolation::new(
                    format!("{field}[0].parameter_name"),
                    format!("{label} names its header placeholder {}; got {:?}", braces(var), p.parameter_name),
                ));
            }
        }
        HeaderShape::Media(kind) => {
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            if expect_one(&format!("{article} {kind} header"), out) && value_kind(&params[0]) != *kind {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!(
                        "{label} has {article} {kind} header: send {article} {kind}, got {}",
                        value_kind(&params[0])
                    ),
                ));
            }
        }
        HeaderShape::Location => {
            if expect_one("a location header", out) && value_kind(&params[0]) != "location" {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!("{label} has a location header: send a location, got {}", value_kind(&params[0])),
                ));
            }
        }
    }
}

fn check_body(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    let field = format!("{FIELD}.body_parameters");
    let params = &send.body_parameters;
    let label = shape.label();
    let vars: Vec<&str> = shape.body.iter().map(String::as_str).collect();
    if !shape.named {
        if params.len() != vars.len() {
            out.push(FieldViolation::new(
                &field,
                format!(
                    "{label} has {} body placeholder(s){}: send {} value(s) in order, got {}",
                    vars.len(),
                    if vars.is_empty() { String::new() } else { format!(" ({})", list(&vars)) },
                    vars.len(),
                    params.len()
                ),
            ));
        }
        for (i, p) in params.iter().enumerate().filter(|(_, p)| !p.parameter_name.is_empty()) {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{label} is POSITIONAL: leave parameter_name empty, got {:?}", p.parameter_name),
            ));
        }
        return;
    }
    let expected: HashSet<&str> = vars.iter().copied().collect();
    let mut given = HashSet::new();
    for (i, p) in params.iter().enumerate() {
        let name = p.parameter_name.as_str();
        if name.is_empty() {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{label} is NAMED: name the placeholder this value fills ({})", list(&vars)),
            ));
        } else if !expected.contains(name) {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{} is not a body placeholder of {label}; it has {}", braces(name), list(&vars)),
            ));
        } else {
            given.insert(name);
        }
    }
    let missing: Vec<&str> = vars.iter().copied().filter(|v| !given.contains(v)).collect();
    if !missing.is_empty() {
        out.push(FieldViolation::new(&field, format!("{label} needs a value for {}", list(&missing))));
    }
}

fn check_buttons(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    use pb::TemplateButtonSubType as Sub;

    let field = format!("{FIELD}.buttons");
    let label = shape.label();
    let mut given = HashSet::new();
    for (i, b) in send.buttons.iter().enumerate() {
        let Ok(index) = usize::try_from(b.index) else { continue };
        given.insert(index);
        let Some(button) = shape.buttons.get(index) else {
            out.push(FieldViolation::new(
                format!("{field}[{i}].index"),
                match shape.buttons.len() {
                    0 => format!("{label} has no buttons"),
                    n => format!("{label} has {n} button(s), indexes 0 to {}; got {index}", n - 1),
                },
            ));
            continue;
        };
        let sub = Sub::try_from(b.sub_type).unwrap_or(Sub::Unspecified);
        let fits = match button {
            ButtonShape::QuickReply => sub == Sub::QuickReply,
            ButtonShape::Url { dynamic: true } => sub == Sub::Url,
            ButtonShape::CopyCode => sub == Sub::CopyCode,
            ButtonShape::Flow => sub == Sub::Flow,
            ButtonShape::Catalog => sub == Sub::Catalog,
            ButtonShape::Url { dynamic: false } | ButtonShape::Static(_) => {
                out.push(FieldViolation::new(
                    format!("{field}[{i}]"),
                    format!("button {index} of {label} is {}: it takes no value", describe(button)),
                ));
                continue;
            }
        };
        if !fits && sub != Sub::Unspecified {
            out.push(FieldViolation::new(
                format!("{field}[{i}].sub_type"),
                format!(
                    "button {index} of {label} is {}; got sub_type {}",
                    describe(button),
                    sub.as_str_name().trim_start_matches("TEMPLATE_BUTTON_SUB_TYPE_")
                ),
            ));
        }
    }
    for (index, button) in shape.buttons.iter().enumerate() {
        let needed = matches!(button, ButtonShape::Url { dynamic: true } | ButtonShape::CopyCode);
        if needed && !given.contains(&index) {
            out.push(FieldViolation::new(
                &field,
                format!(
                    "button {index} of {label} is {} and needs a value: add a button with index {index}",
                    describe(button)
                ),
            ));
        }
    }
}

fn describe(button: &ButtonShape) -> String {
    match button {
        ButtonShape::QuickReply => "a QUICK_REPLY button".into(),
        ButtonShape::Url { dynamic: true } => "a URL button with a {{1}} suffix".into(),
        ButtonShape::Url { dynamic: false } => "a static URL button".into(),
        ButtonShape::CopyCode => "a COPY_CODE button".into(),
        ButtonShape::Flow => "a FLOW button".into(),
        ButtonShape::Catalog => "a CATALOG button".into(),
        ButtonShape::Static(kind) => format!("a {kind} button"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pb::{TemplateButtonSubType as Sub, template_button_parameter::Value as ButtonValue};
    use crate::policy::templates::testing::{shipped, template};

    fn text(name: &str, value: &str) -> pb::TemplateParameter {
        pb::TemplateParameter { parameter_name: name.into(), value: Some(ParamValue::Text(value.into())) }
    }

    fn image() -> pb::TemplateParameter {
        pb::TemplateParameter {
            parameter_name: String::new(),
            value: Some(ParamValue::Image(pb::MediaSource {
                source: Some(pb::media_source::Source::Link("https://x.example/a.jpg".into())),
            })),
        }
    }

    fn button(sub: Sub, index: u32, value: ButtonValue) -> pb::TemplateButtonParameters {
        pb::TemplateButtonParameters {
            sub_type: sub.into(),
            index,
            parameters: vec![pb::TemplateButtonParameter { value: Some(value) }],
        }
    }

    fn shipped_send(body: usize) -> pb::TemplateMessage {
        pb::TemplateMessage {
            name: "order_shipped".into(),
            language_code: "en_US".into(),
            header_parameters: vec![image()],
            body_parameters: (0..body).map(|i| text("", &format!("v{i}"))).collect(),
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("8F3K2".into()))],
        }
    }

    fn fields(result: Result<(), Vec<FieldViolation>>) -> Vec<String> {
        result.expect_err("violations").into_iter().map(|v| v.field).collect()
    }
    #[test]
    fn a_matching_send_passes() {
        assert_eq!(check_send(&shipped(), &shipped_send(3)), Ok(()));
        let mut with_quick_reply = shipped_send(3);
        with_quick_reply.buttons.push(button(Sub::QuickReply, 1, ButtonValue::Payload("STOP".into())));
        assert_eq!(check_send(&shipped(), &with_quick_reply), Ok(()));
    }

    #[test]
    fn body_counts_must_match_for_positional_templates() {
        assert_eq!(fields(check_send(&shipped(), &shipped_send(2))), ["content.template.body_parameters"]);
        let violations = check_send(&shipped(), &shipped_send(4)).unwrap_err();
        assert!(
            violations[0]
                .description
                .contains("3 body placeholder(s) ({{1}}, {{2}}, {{3}}): send 3 value(s) in order, got 4"),
            "{violations:?}"
        );
        let mut named_value = shipped_send(3);
        named_value.body_parameters[1].parameter_name = "total".into();
        assert_eq!(
            fields(check_send(&shipped(), &named_value)),
            ["content.template.body_parameters[1].parameter_name"]
        );
    }

    #[test]
    fn named_templates_need_exactly_their_names() {
        let shape = template(
            Some("NAMED"),
            json!([{"type": "HEADER", "format": "TEXT", "text": "For {{guest_name}}"},
                   {"type": "BODY", "text": "A table for {{party_size}} on {{visit_date}}."}]),
        );
        let send = |header: Vec<pb::TemplateParameter>, body: Vec<pb::TemplateParameter>| pb::TemplateMessage {
            header_parameters: header,
            body_parameters: body,
            ..Default::default()
        };
        let good = send(vec![text("guest_name", "Ana")], vec![text("visit_date", "Sat"), text("party_size", "4")]);
        assert_eq!(check_send(&shape, &good), Ok(()));
        let wrong = send(vec![text("guest", "Ana")], vec![text("party_size", "4"), text("date", "Sat")]);
        let violations = check_send(&shape, &wrong).unwrap_err();
        let found: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            found,
            [
                "content.template.header_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
                "content.template.body_parameters"
            ]
        );
        assert!(violations[2].description.contains("needs a value for {{visit_date}}"), "{violations:?}");
    }

    #[test]
    fn headers_must_match_their_format() {
        let mut no_header = shipped_send(3);
        no_header.header_parameters.clear();
        assert_eq!(fields(check_send(&shipped(), &no_header)), ["content.template.header_parameters"]);
        let mut text_header = shipped_send(3);
        text_header.header_parameters = vec![text("", "hi")];
        let violations = check_send(&shipped(), &text_header).unwrap_err();
        assert_eq!(violations[0].field, "content.template.header_parameters[0]");
        assert!(violations[0].description.contains("has an image header: send an image, got text"), "{violations:?}");
        let fixed = template(
            None,
            json!([{"type": "HEADER", "format": "TEXT", "text": "Hello"}, {"type": "BODY", "text": "Hi"}]),
        );
        let send = pb::TemplateMessage { header_parameters: vec![text("", "x")], ..Default::default() };
        assert_eq!(fields(check_send(&fixed, &send)), ["content.template.header_parameters"]);
    }

    #[test]
    fn buttons_are_checked_by_index_and_sub_type() {
        let mut missing = shipped_send(3);
        missing.buttons.clear();
        let violations = check_send(&shipped(), &missing).unwrap_err();
        assert_eq!(violations[0].field, "content.template.buttons");
        assert!(violations[0].description.contains("button 0"), "{violations:?}");
        let mut wrong_sub = shipped_send(3);
        wrong_sub.buttons[0].sub_type = Sub::QuickReply.into();
        let violations = check_send(&shipped(), &wrong_sub).unwrap_err();
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].field, "content.template.buttons[0].sub_type");
        assert!(violations[0].description.contains("a URL button with a {{1}} suffix; got sub_type QUICK_REPLY"));
        let mut out_of_range = shipped_send(3);
        out_of_range.buttons.push(button(Sub::QuickReply, 5, ButtonValue::Payload("x".into())));
        assert_eq!(fields(check_send(&shipped(), &out_of_range)), ["content.template.buttons[1].index"]);
        let phone = template(
            None,
            json!([{"type": "BODY", "text": "Hi"}, {"type": "BUTTONS", "buttons": [
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1555"},
                {"type": "COPY_CODE", "example": "SAVE"}]}]),
        );
        let send = pb::TemplateMessage {
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("x".into()))],
            ..Default::default()
        };
        assert_eq!(fields(check_send(&phone, &send)), ["content.template.buttons[0]", "content.template.buttons"]);
    }

    #[test]
    fn authentication_otp_buttons_need_the_code() {
        let otp = template(
            None,
            json!([{"type": "BODY", "text": "*{{1}}* is your verification code."},
                   {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Copy code",
                     "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}]}]),
        );
        let send = pb::TemplateMessage {
            body_parameters: vec![text("", "482913")],
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("482913".into()))],
            ..Default::default()
        };
        assert_eq!(check_send(&otp, &send), Ok(()));
    }
}
