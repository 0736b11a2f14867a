//! Template messages: the name, language and the values that fill a
//! template's header, body and buttons.

use std::collections::HashMap;

use super::{
    checker::Checker,
    location_contacts::location,
    media::media_source,
    struct_json::check_struct,
    syntax::{is_parameter_name, quoted},
};
use crate::{
    graph::messages::{
        ButtonAction, ButtonParameter, ButtonSubType, Currency, DateTime, LanguagePolicy, Media, ParameterValue,
        StructJson, TemplateComponent, TemplateLanguage, TemplateMessage, TemplateParameter,
    },
    pb::{self, template_button_parameter::Value as ButtonValue, template_parameter::Value as ParamValue},
};

const TEMPLATE_NAME_MAX: usize = 512;
const TEMPLATE_HEADER_TEXT_MAX: usize = 60;
const TEMPLATE_BODY_TEXT_MAX: usize = 32768;
const TEMPLATE_BUTTONS_MAX: usize = 10;
const TEMPLATE_BUTTON_INDEX_MAX: u32 = 9;

/// Where a template parameter goes, which sets its limits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Header,
    Body,
}

/// A template message: the template's name and language, and a component
/// for the header's value, the body's values and each dynamic button.
pub(super) fn template_message<'a>(
    c: &mut Checker<'_>,
    template: &'a pb::TemplateMessage,
) -> Option<TemplateMessage<'a>> {
    if c.required("name", &template.name) {
        c.length("name", &template.name, 1, TEMPLATE_NAME_MAX);
        if !template.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            c.fail("name", "must hold only lowercase letters, digits and underscores");
        }
    }
    c.required("language_code", &template.language_code);

    // A template header has one placeholder or one media.
    c.count("header_parameters", template.header_parameters.len(), 0, 1, "value");
    let header = template_parameters(c, "header_parameters", &template.header_parameters, Place::Header);
    let body = template_parameters(c, "body_parameters", &template.body_parameters, Place::Body);
    check_naming(c, template);
    let buttons = template_buttons(c, &template.buttons);

    let (header, body, buttons) = (header?, body?, buttons?);
    let mut components = Vec::with_capacity(2 + buttons.len());
    if !header.is_empty() {
        components.push(TemplateComponent::Header { parameters: header });
    }
    if !body.is_empty() {
        components.push(TemplateComponent::Body { parameters: body });
    }
    components.extend(buttons);

    // `deterministic` is the only policy; Meta's OpenAPI marks it required.
    let language = TemplateLanguage { code: &template.language_code, policy: LanguagePolicy::Deterministic };
    Some(TemplateMessage { name: &template.name, language, components })
}

fn template_parameters<'a>(
    c: &mut Checker<'_>,
    field: &str,
    params: &'a [pb::TemplateParameter],
    place: Place,
) -> Option<Vec<TemplateParameter<'a>>> {
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(params.len());
    for (i, param) in params.iter().enumerate() {
        let mut c = c.item(field, i);
        let name = &param.parameter_name;
        if !name.is_empty() && !is_parameter_name(name) {
            c.fail(
                "parameter_name",
                format!(
                    "must match ^[a-z_][a-z0-9_]*$ (lowercase letters, digits, underscores), \
                     got {}",
                    quoted(name)
                ),
            );
        }
        c.unique("parameter_name", name, format!("{field}[{i}].parameter_name"), &mut names);
        out.push(template_parameter(&mut c, param, place));
    }
    out.into_iter().collect()
}

fn template_parameter<'a>(
    c: &mut Checker<'_>,
    param: &'a pb::TemplateParameter,
    place: Place,
) -> Option<TemplateParameter<'a>> {
    let value = match &param.value {
        None => {
            c.fail("", "needs a value: text, currency, date_time, image, video, document or location");
            None
        }
        Some(ParamValue::Text(text)) => {
            let max = match place {
                Place::Header => TEMPLATE_HEADER_TEXT_MAX,
                Place::Body => TEMPLATE_BODY_TEXT_MAX,
            };
            template_text(c, "text", text, max);
            Some(ParameterValue::Text { text })
        }
        Some(ParamValue::Currency(currency)) => {
            let mut c = c.at("currency");
            c.required("fallback_value", &currency.fallback_value);
            if currency.code.len() != 3 || !currency.code.bytes().all(|b| b.is_ascii_uppercase()) {
                c.fail("code", format!("must be an ISO 4217 code such as USD, got {}", quoted(&currency.code)));
            }
            if currency.amount_1000 <= 0 {
                c.fail(
                    "amount_1000",
                    format!("must be greater than 0 (the amount × 1000), got {}", currency.amount_1000),
                );
            }
            let currency = Currency {
                fallback_value: &currency.fallback_value,
                code: &currency.code,
                amount_1000: currency.amount_1000,
            };
            Some(ParameterValue::Currency { currency })
        }
        Some(ParamValue::DateTime(date_time)) => {
            c.at("date_time").required("fallback_value", &date_time.fallback_value);
            Some(ParameterValue::DateTime { date_time: DateTime { fallback_value: &date_time.fallback_value } })
        }
        Some(ParamValue::Image(source)) => {
            media_source(c, "image", Some(source)).map(|source| ParameterValue::Image { image: source.into() })
        }
        Some(ParamValue::Video(source)) => {
            media_source(c, "video", Some(source)).map(|source| ParameterValue::Video { video: source.into() })
        }
        Some(ParamValue::Document(document)) => {
            let mut c = c.at("document");
            media_source(&mut c, "media", document.media.as_ref()).map(|source| ParameterValue::Document {
                document: Media { filename: &document.filename, ..source.into() },
            })
        }
        Some(ParamValue::Location(pin)) => {
            Some(ParameterValue::Location { location: location(&mut c.at("location"), pin) })
        }
    };
    let header_only = matches!(
        param.value,
        Some(ParamValue::Image(_) | ParamValue::Video(_) | ParamValue::Document(_) | ParamValue::Location(_))
    );
    if header_only && place == Place::Body {
        c.fail(
            "",
            "media and locations go in header_parameters; \
             the body takes text, currency and date_time",
        );
    }
    Some(TemplateParameter { value: value?, parameter_name: &param.parameter_name })
}

/// Meta rejects empty values, newlines, tabs and 4+ consecutive spaces in parameters.
fn template_text(c: &mut Checker<'_>, field: &str, text: &str, max: usize) {
    c.length(field, text, 1, max);
    if text.contains(['\n', '\r', '\t']) {
        c.fail(field, "must not contain newlines or tabs");
    }
    if text.contains("    ") {
        c.fail(field, "must not contain more than 3 consecutive spaces");
    }
}

/// A template takes named or positional text values, never both.
fn check_naming(c: &mut Checker<'_>, template: &pb::TemplateMessage) {
    let texts: Vec<(&str, usize, bool)> =
        [("header_parameters", &template.header_parameters), ("body_parameters", &template.body_parameters)]
            .into_iter()
            .flat_map(|(field, params)| params.iter().enumerate().map(move |(i, p)| (field, i, p)))
            .filter(|(_, _, p)| matches!(p.value, Some(ParamValue::Text(_))))
            .map(|(field, i, p)| (field, i, !p.parameter_name.is_empty()))
            .collect();
    if !texts.iter().any(|&(_, _, named)| named) {
        return;
    }
    for &(field, i, _) in texts.iter().filter(|&&(_, _, named)| !named) {
        c.item(field, i).fail(
            "parameter_name",
            "is required: the other text values are named, \
             and a template takes named or positional values, not both",
        );
    }
}

fn template_buttons<'a>(
    c: &mut Checker<'_>,
    buttons: &'a [pb::TemplateButtonParameters],
) -> Option<Vec<TemplateComponent<'a>>> {
    use pb::TemplateButtonSubType as SubType;

    c.count("buttons", buttons.len(), 0, TEMPLATE_BUTTONS_MAX, "button");
    let mut indexes: HashMap<u32, usize> = HashMap::new();
    let mut out = Vec::with_capacity(buttons.len());
    for (i, button) in buttons.iter().enumerate() {
        let mut c = c.item("buttons", i);
        // The sub-type names the Graph value, and the parameter type it takes.
        let sub_type = match SubType::try_from(button.sub_type) {
            Ok(SubType::Unspecified) => {
                c.fail("sub_type", "is required: quick_reply, url, copy_code, flow or catalog");
                None
            }
            Ok(SubType::QuickReply) => Some((ButtonSubType::QuickReply, "quick_reply", "payload")),
            Ok(SubType::Url) => Some((ButtonSubType::Url, "url", "text")),
            Ok(SubType::CopyCode) => Some((ButtonSubType::CopyCode, "copy_code", "coupon_code")),
            Ok(SubType::Flow) => Some((ButtonSubType::Flow, "flow", "action")),
            Ok(SubType::Catalog) => Some((ButtonSubType::Catalog, "catalog", "action")),
            Err(_) => {
                c.fail("sub_type", format!("has the unknown value {}", button.sub_type));
                None
            }
        };
        if button.index > TEMPLATE_BUTTON_INDEX_MAX {
            c.fail("index", format!("must be 0 to {TEMPLATE_BUTTON_INDEX_MAX}, got {}", button.index));
        }
        match indexes.get(&button.index) {
            Some(first) => c.fail("index", format!("must be unique, buttons[{first}].index has the same value")),
            None => {
                indexes.insert(button.index, i);
            }
        }
        c.count("parameters", button.parameters.len(), 1, 1, "value");

        let mut parameters = Vec::with_capacity(button.parameters.len());
        for (j, param) in button.parameters.iter().enumerate() {
            let mut c = c.item("parameters", j);
            let parameter = button_parameter(&mut c, param);
            if let (Some((_, name, expected)), Some(kind)) = (sub_type, parameter.as_ref().map(button_parameter_kind))
                && kind != expected
            {
                c.fail("", format!("must be {expected}: a {name} button takes {expected}, got {kind}"));
            }
            parameters.push(parameter);
        }
        let parameters: Option<Vec<_>> = parameters.into_iter().collect();
        out.push(sub_type.zip(parameters).map(|((sub_type, ..), parameters)| TemplateComponent::Button {
            sub_type,
            index: button.index,
            parameters,
        }));
    }
    out.into_iter().collect()
}

/// One button parameter; `None` (reported) when it has no value.
fn button_parameter<'a>(c: &mut Checker<'_>, param: &'a pb::TemplateButtonParameter) -> Option<ButtonParameter<'a>> {
    match &param.value {
        None => {
            c.fail("", "needs a value: text, payload, coupon_code or action");
            None
        }
        Some(ButtonValue::Text(text)) => {
            c.required("text", text);
            Some(ButtonParameter::Text { text })
        }
        Some(ButtonValue::Payload(payload)) => {
            c.required("payload", payload);
            Some(ButtonParameter::Payload { payload })
        }
        Some(ButtonValue::CouponCode(code)) => {
            c.required("coupon_code", code);
            Some(ButtonParameter::CouponCode { coupon_code: code })
        }
        Some(ButtonValue::Action(action)) => {
            let data = action.flow_action_data.as_ref().map(|data| {
                check_struct(&mut c.at("action.flow_action_data"), data);
                StructJson(data)
            });
            Some(ButtonParameter::Action {
                action: ButtonAction { flow_token: &action.flow_token, flow_action_data: data },
            })
        }
    }
}

/// The Graph `type` of a button parameter, as a sub-type's rule names it.
fn button_parameter_kind(parameter: &ButtonParameter<'_>) -> &'static str {
    match parameter {
        ButtonParameter::Text { .. } => "text",
        ButtonParameter::Payload { .. } => "payload",
        ButtonParameter::CouponCode { .. } => "coupon_code",
        ButtonParameter::Action { .. } => "action",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    /// Two samples leave out `language.policy`; `deterministic` is its only value
    /// and Meta's OpenAPI marks it required, so the gateway always sends it.
    fn with_policy(mut sample: Value) -> Value {
        sample["template"]["language"]["policy"] = json!("deterministic");
        sample
    }

    #[test]
    fn template_matches_sample() {
        use pb::TemplateButtonSubType as SubType;
        let req = pb::SendMessageRequest {
            biz_opaque_callback_data: "campaign=shipping;order=8F3K2".into(),
            ..send(Kind::Template(pb::TemplateMessage {
                header_parameters: vec![param(ParamValue::Image(pb::MediaSource {
                    source: Some(Source::Link("https://cdn.example.com/orders/8F3K2.jpg".into())),
                }))],
                buttons: vec![
                    template_button(SubType::Url, 0, ButtonValue::Text("8F3K2".into())),
                    template_button(SubType::QuickReply, 1, ButtonValue::Payload("STOP_SHIPPING_UPDATES".into())),
                ],
                ..template(vec![
                    text_param("Ana"),
                    param(ParamValue::Currency(pb::CurrencyParameter {
                        fallback_value: "$84.50".into(),
                        code: "USD".into(),
                        amount_1000: 84500,
                    })),
                    param(ParamValue::DateTime(pb::DateTimeParameter { fallback_value: "July 15, 2026".into() })),
                ])
            }))
        };
        assert_eq!(body(&req), fixture("send-template-request"));
    }

    #[test]
    fn named_template_matches_sample() {
        let req = send(Kind::Template(pb::TemplateMessage {
            name: "reservation_confirmation".into(),
            header_parameters: vec![named("guest_name", "Ana")],
            ..template(vec![named("party_size", "4"), named("visit_date", "Saturday, July 18")])
        }));
        assert_eq!(body(&req), with_policy(fixture("send-template-named-params-request")));
    }

    #[test]
    fn authentication_template_matches_sample() {
        let req = send(Kind::Template(pb::TemplateMessage {
            name: "login_code".into(),
            buttons: vec![template_button(pb::TemplateButtonSubType::Url, 0, ButtonValue::Text("482913".into()))],
            ..template(vec![text_param("482913")])
        }));
        assert_eq!(body(&req), with_policy(fixture("send-template-auth-otp-request")));
    }

    #[test]
    fn template_name_and_language_are_required() {
        let req = send(Kind::Template(pb::TemplateMessage::default()));
        assert_eq!(fields(&req), ["content.template.name", "content.template.language_code"]);
        let req = send(Kind::Template(pb::TemplateMessage { name: "Order-Shipped".into(), ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.name"]);
        let req = send(Kind::Template(pb::TemplateMessage { name: "a".repeat(513), ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.name"]);
    }

    #[test]
    fn template_without_parameters_has_no_components() {
        let req = send(Kind::Template(pb::TemplateMessage { name: "hello_world".into(), ..template(vec![]) }));
        assert_eq!(
            body(&req)["template"],
            json!({"name": "hello_world", "language": {"code": "en_US", "policy": "deterministic"}})
        );
    }

    #[test]
    fn template_text_parameters_are_checked() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param(&"h".repeat(61))],
            ..template(vec![
                text_param(""),
                text_param("two\nlines"),
                text_param("a\ttab"),
                text_param("wide    gap"),
                text_param("three   spaces are fine"),
                text_param(&"b".repeat(32769)),
            ])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters[0].text",
                "content.template.body_parameters[0].text",
                "content.template.body_parameters[1].text",
                "content.template.body_parameters[2].text",
                "content.template.body_parameters[3].text",
                "content.template.body_parameters[5].text",
            ]
        );
        assert!(send_message(&send(Kind::Template(template(vec![text_param(&"b".repeat(32768))])))).is_ok());
    }

    #[test]
    fn template_value_kinds_are_checked() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param("a"), text_param("b")],
            ..template(vec![
                param(ParamValue::Currency(pb::CurrencyParameter {
                    fallback_value: String::new(),
                    code: "usd".into(),
                    amount_1000: 0,
                })),
                param(ParamValue::DateTime(pb::DateTimeParameter::default())),
                param(ParamValue::Image(pb::MediaSource { source: Some(Source::Id("1".into())) })),
                pb::TemplateParameter { parameter_name: String::new(), value: None },
            ])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters",
                "content.template.body_parameters[0].currency.fallback_value",
                "content.template.body_parameters[0].currency.code",
                "content.template.body_parameters[0].currency.amount_1000",
                "content.template.body_parameters[1].date_time.fallback_value",
                "content.template.body_parameters[2]",
                "content.template.body_parameters[3]",
            ]
        );
    }

    #[test]
    fn template_header_media_and_locations_convert() {
        let header = |value| {
            send(Kind::Template(pb::TemplateMessage { header_parameters: vec![param(value)], ..template(vec![]) }))
        };
        let document =
            header(ParamValue::Document(pb::DocumentParameter { media: by_id("55"), filename: "menu.pdf".into() }));
        assert_eq!(
            body(&document)["template"]["components"],
            json!([{"type": "header", "parameters": [
                {"type": "document", "document": {"id": "55", "filename": "menu.pdf"}}]}])
        );
        let location = header(ParamValue::Location(pb::Location {
            latitude: 37.5,
            longitude: -122.25,
            name: "Store".into(),
            address: String::new(),
        }));
        assert_eq!(
            body(&location)["template"]["components"][0]["parameters"][0],
            json!({"type": "location",
                   "location": {"latitude": 37.5, "longitude": -122.25, "name": "Store"}})
        );
        let video =
            header(ParamValue::Video(pb::MediaSource { source: Some(Source::Link("https://v.example/a.mp4".into())) }));
        assert_eq!(
            body(&video)["template"]["components"][0]["parameters"][0],
            json!({"type": "video", "video": {"link": "https://v.example/a.mp4"}})
        );
        let broken = header(ParamValue::Document(pb::DocumentParameter { media: None, filename: String::new() }));
        assert_eq!(fields(&broken), ["content.template.header_parameters[0].document.media"]);
        let far = header(ParamValue::Location(pb::Location { latitude: 91.0, ..Default::default() }));
        assert_eq!(fields(&far), ["content.template.header_parameters[0].location.latitude"]);
    }

    #[test]
    fn named_and_positional_values_do_not_mix() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param("Ana")],
            ..template(vec![named("party_size", "4"), text_param("Saturday")])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
            ]
        );
    }

    #[test]
    fn parameter_names_are_snake_case_and_unique() {
        let req = send(Kind::Template(template(vec![
            named("Party", "4"),
            named("9lives", "x"),
            named("ok_name_2", "y"),
            named("ok_name_2", "z"),
            named("_private", "w"),
        ])));
        assert_eq!(
            fields(&req),
            [
                "content.template.body_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
                "content.template.body_parameters[3].parameter_name",
            ]
        );
    }

    #[test]
    fn template_buttons_are_checked() {
        use pb::TemplateButtonSubType as SubType;
        let req = send(Kind::Template(pb::TemplateMessage {
            buttons: vec![
                pb::TemplateButtonParameters { sub_type: 0, index: 0, parameters: vec![] },
                template_button(SubType::Url, 0, ButtonValue::Text(String::new())),
                template_button(SubType::QuickReply, 10, ButtonValue::Text("STOP".into())),
                pb::TemplateButtonParameters {
                    sub_type: 42,
                    index: 3,
                    parameters: vec![pb::TemplateButtonParameter { value: None }],
                },
            ],
            ..template(vec![])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.buttons[0].sub_type",
                "content.template.buttons[0].parameters",
                "content.template.buttons[1].index",
                "content.template.buttons[1].parameters[0].text",
                "content.template.buttons[2].index",
                "content.template.buttons[2].parameters[0]",
                "content.template.buttons[3].sub_type",
                "content.template.buttons[3].parameters[0]",
            ]
        );
        assert!(
            violation(&req, "content.template.buttons[2].parameters[0]").contains("quick_reply button takes payload")
        );
    }

    #[test]
    fn template_button_kinds_convert() {
        use pb::TemplateButtonSubType as SubType;
        let req = send(Kind::Template(pb::TemplateMessage {
            buttons: vec![
                template_button(SubType::CopyCode, 0, ButtonValue::CouponCode("25OFF".into())),
                template_button(
                    SubType::Flow,
                    1,
                    ButtonValue::Action(pb::TemplateFlowButtonAction {
                        flow_token: "tok".into(),
                        flow_action_data: Some(object(vec![("step", number(2.0))])),
                    }),
                ),
                template_button(SubType::Catalog, 2, ButtonValue::Action(pb::TemplateFlowButtonAction::default())),
            ],
            ..template(vec![])
        }));
        assert_eq!(
            body(&req)["template"]["components"],
            json!([
                {"type": "button", "sub_type": "copy_code", "index": "0",
                 "parameters": [{"type": "coupon_code", "coupon_code": "25OFF"}]},
                {"type": "button", "sub_type": "flow", "index": "1",
                 "parameters": [{"type": "action",
                  "action": {"flow_token": "tok", "flow_action_data": {"step": 2}}}]},
                {"type": "button", "sub_type": "catalog", "index": "2",
                 "parameters": [{"type": "action", "action": {}}]},
            ])
        );
        let too_many =
            (0..11).map(|i| template_button(SubType::QuickReply, i, ButtonValue::Payload("p".into()))).collect();
        let req = send(Kind::Template(pb::TemplateMessage { buttons: too_many, ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.buttons", "content.template.buttons[10].index"]);
    }
}
