//! Requests and assertions shared by the unit tests of template conversion.

pub(super) use serde_json::{Value, json};

pub(super) use super::create_body;
pub(super) use crate::{
    error::FieldViolation,
    graph::GraphTemplate,
    pb::{self, template_button::Kind as ButtonKind, template_component::Kind as ComponentKind},
};

/// A reference sample from `tests/fixtures/cloud-api/`.
pub(super) fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/cloud-api/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

pub(super) fn component(kind: ComponentKind) -> pb::TemplateComponent {
    pb::TemplateComponent { kind: Some(kind) }
}

pub(super) fn button(kind: ButtonKind) -> pb::TemplateButton {
    pb::TemplateButton { kind: Some(kind) }
}

pub(super) fn named(name: &str, example: &str) -> pb::NamedExample {
    pb::NamedExample { param_name: name.into(), example: example.into() }
}

pub(super) fn order_shipped() -> pb::CreateTemplateRequest {
    pb::CreateTemplateRequest {
        waba_id: String::new(),
        name: "order_shipped".into(),
        language: "en_US".into(),
        category: pb::TemplateCategory::Utility.into(),
        parameter_format: pb::TemplateParameterFormat::Positional.into(),
        components: vec![
            component(ComponentKind::Header(pb::HeaderComponent {
                format: pb::HeaderFormat::Image.into(),
                example_handles: vec![
                    "4::aW1hZ2UvanBlZw==:ARZ3tQm8bY0yVr1hJc2kLw7pQe9sFd:e:1784106725:120344529887123:100021845567123:ARbX"
                        .into(),
                ],
                ..Default::default()
            })),
            component(ComponentKind::Body(pb::BodyComponent {
                text: "Hi {{1}}, your order of {{2}} has shipped and should arrive on {{3}}.".into(),
                examples: vec!["Ana".into(), "$84.50".into(), "July 15, 2026".into()],
                ..Default::default()
            })),
            component(ComponentKind::Footer(pb::FooterComponent {
                text: "Example Outfitters".into(),
                code_expiration_minutes: 0,
            })),
            component(ComponentKind::Buttons(pb::ButtonsComponent {
                buttons: vec![
                    button(ButtonKind::Url(pb::UrlButton {
                        text: "Track parcel".into(),
                        url: "https://shop.example.com/t/{{1}}".into(),
                        example: "https://shop.example.com/t/8F3K2".into(),
                    })),
                    button(ButtonKind::QuickReply(pb::QuickReplyButton { text: "Stop updates".into() })),
                ],
            })),
        ],
        allow_category_change: false,
        message_send_ttl_seconds: 0,
    }
}

pub(super) fn reservation() -> pb::CreateTemplateRequest {
    pb::CreateTemplateRequest {
        name: "reservation_confirmation".into(),
        language: "en_US".into(),
        category: pb::TemplateCategory::Utility.into(),
        parameter_format: pb::TemplateParameterFormat::Named.into(),
        components: vec![
            component(ComponentKind::Header(pb::HeaderComponent {
                format: pb::HeaderFormat::Text.into(),
                text: "Booking for {{guest_name}}".into(),
                named_examples: vec![named("guest_name", "Ana")],
                ..Default::default()
            })),
            component(ComponentKind::Body(pb::BodyComponent {
                text: "Table for {{party_size}} on {{visit_date}} is confirmed.".into(),
                named_examples: vec![named("party_size", "4"), named("visit_date", "Saturday, July 18")],
                ..Default::default()
            })),
            component(ComponentKind::Buttons(pb::ButtonsComponent {
                buttons: vec![button(ButtonKind::PhoneNumber(pb::PhoneNumberButton {
                    text: "Call us".into(),
                    phone_number: "+15557771234".into(),
                }))],
            })),
        ],
        ..Default::default()
    }
}

pub(super) fn login_code() -> pb::CreateTemplateRequest {
    pb::CreateTemplateRequest {
        name: "login_code".into(),
        language: "en_US".into(),
        category: pb::TemplateCategory::Authentication.into(),
        message_send_ttl_seconds: 600,
        components: vec![
            component(ComponentKind::Body(pb::BodyComponent {
                add_security_recommendation: true,
                ..Default::default()
            })),
            component(ComponentKind::Footer(pb::FooterComponent { text: String::new(), code_expiration_minutes: 10 })),
            component(ComponentKind::Buttons(pb::ButtonsComponent {
                buttons: vec![button(ButtonKind::Otp(pb::OtpButton {
                    otp_type: pb::OtpType::CopyCode.into(),
                    text: "Copy code".into(),
                    ..Default::default()
                }))],
            })),
        ],
        ..Default::default()
    }
}

pub(super) fn violations(req: &pb::CreateTemplateRequest) -> Vec<FieldViolation> {
    create_body(req).expect_err("violations")
}

pub(super) fn violation(req: &pb::CreateTemplateRequest, field: &str) -> String {
    let all = violations(req);
    all.iter()
        .find(|v| v.field == field)
        .unwrap_or_else(|| panic!("no violation at {field}: {all:?}"))
        .description
        .clone()
}
