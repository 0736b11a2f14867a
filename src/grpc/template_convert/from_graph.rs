//! Templates read from Graph as the contract's [`pb::Template`]: components
//! or buttons the contract does not model keep their place with no kind, so
//! button indexes stay those Meta uses.

use serde_json::Value;

use crate::{
    graph::{
        GraphTemplate,
        vocab::{
            parameter_format_from_graph, quality_score_from_graph, template_category_from_graph,
            template_status_from_graph,
        },
    },
    pb::{self, template_button::Kind as ButtonKind, template_component::Kind as ComponentKind},
};

/// A template as Graph returns it, as the contract's [`pb::Template`].
pub fn template_from_graph(t: &GraphTemplate, waba_id: &str) -> pb::Template {
    pb::Template {
        id: t.id.clone(),
        name: t.name.clone(),
        language: t.language.clone(),
        category: template_category_from_graph(&t.category).into(),
        status: template_status_from_graph(&t.status).into(),
        parameter_format: parameter_format_from_graph(t.parameter_format.as_deref()).into(),
        components: t.components.iter().map(component_from_graph).collect(),
        rejected_reason: t.rejected_reason.clone().filter(|r| !r.eq_ignore_ascii_case("NONE")).unwrap_or_default(),
        quality_score: t
            .quality_score
            .as_deref()
            .map_or(pb::QualityScore::Unspecified, quality_score_from_graph)
            .into(),
        message_send_ttl_seconds: t.message_send_ttl_seconds.and_then(|t| i32::try_from(t).ok()).unwrap_or(0),
        waba_id: waba_id.to_owned(),
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn upper(v: &Value, key: &str) -> String {
    text(v, key).to_ascii_uppercase()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn named_from_graph(v: Option<&Value>) -> Vec<pb::NamedExample> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| pb::NamedExample { param_name: text(e, "param_name"), example: text(e, "example") })
                .collect()
        })
        .unwrap_or_default()
}

fn component_from_graph(c: &Value) -> pb::TemplateComponent {
    use pb::HeaderFormat as F;
    let example = c.get("example");
    let field = |key: &str| example.and_then(|e| e.get(key));
    let kind = match upper(c, "type").as_str() {
        "HEADER" => Some(ComponentKind::Header(pb::HeaderComponent {
            format: match upper(c, "format").as_str() {
                "TEXT" => F::Text,
                "IMAGE" => F::Image,
                "VIDEO" | "GIF" => F::Video,
                "DOCUMENT" => F::Document,
                "LOCATION" => F::Location,
                _ => F::Unspecified,
            }
            .into(),
            text: text(c, "text"),
            examples: strings(field("header_text")),
            named_examples: named_from_graph(field("header_text_named_params")),
            example_handles: strings(field("header_handle")),
        })),
        "BODY" => Some(ComponentKind::Body(pb::BodyComponent {
            text: text(c, "text"),
            examples: field("body_text")
                .and_then(Value::as_array)
                .and_then(|outer| outer.first())
                .map_or_else(Vec::new, |first| strings(Some(first))),
            named_examples: named_from_graph(field("body_text_named_params")),
            add_security_recommendation: c.get("add_security_recommendation").and_then(Value::as_bool).unwrap_or(false),
        })),
        "FOOTER" => Some(ComponentKind::Footer(pb::FooterComponent {
            text: text(c, "text"),
            code_expiration_minutes: c
                .get("code_expiration_minutes")
                .and_then(Value::as_u64)
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(0),
        })),
        "BUTTONS" => Some(ComponentKind::Buttons(pb::ButtonsComponent {
            buttons: c
                .get("buttons")
                .and_then(Value::as_array)
                .map(|list| list.iter().map(button_from_graph).collect())
                .unwrap_or_default(),
        })),
        _ => None,
    };
    pb::TemplateComponent { kind }
}

fn button_from_graph(b: &Value) -> pb::TemplateButton {
    let kind = match upper(b, "type").as_str() {
        "QUICK_REPLY" => Some(ButtonKind::QuickReply(pb::QuickReplyButton { text: text(b, "text") })),
        "URL" => Some(ButtonKind::Url(pb::UrlButton {
            text: text(b, "text"),
            url: text(b, "url"),
            example: strings(b.get("example")).into_iter().next().unwrap_or_else(|| text(b, "example")),
        })),
        "PHONE_NUMBER" => Some(ButtonKind::PhoneNumber(pb::PhoneNumberButton {
            text: text(b, "text"),
            phone_number: text(b, "phone_number"),
        })),
        "COPY_CODE" => Some(ButtonKind::CopyCode(pb::CopyCodeButton {
            example: strings(b.get("example")).into_iter().next().unwrap_or_else(|| text(b, "example")),
        })),
        "OTP" => Some(ButtonKind::Otp(pb::OtpButton {
            otp_type: pb::OtpType::from_str_name(&format!("OTP_TYPE_{}", upper(b, "otp_type")))
                .unwrap_or(pb::OtpType::Unspecified)
                .into(),
            text: text(b, "text"),
            autofill_text: text(b, "autofill_text"),
            supported_apps: b
                .get("supported_apps")
                .and_then(Value::as_array)
                .map(|apps| {
                    apps.iter()
                        .map(|a| pb::OtpSupportedApp {
                            package_name: text(a, "package_name"),
                            signature_hash: text(a, "signature_hash"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })),
        "FLOW" => Some(ButtonKind::Flow(pb::FlowButton {
            text: text(b, "text"),
            flow_id: text(b, "flow_id"),
            flow_name: text(b, "flow_name"),
            flow_action: text(b, "flow_action"),
            navigate_screen: text(b, "navigate_screen"),
        })),
        // Catalog, multi-product, voice-call … keep their index with no kind.
        _ => None,
    };
    pb::TemplateButton { kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::template_convert::create_body;
    use crate::grpc::template_convert::testing::*;

    #[test]
    fn graph_templates_become_protos_and_back() {
        let graph: GraphTemplate = serde_json::from_value(fixture("template-get-response")).unwrap();
        let t = template_from_graph(&graph, "109348720013455");
        assert_eq!(t.status(), pb::TemplateStatus::Approved);
        assert_eq!(t.category(), pb::TemplateCategory::Utility);
        assert_eq!(t.quality_score(), pb::QualityScore::Green);
        assert_eq!(t.parameter_format(), pb::TemplateParameterFormat::Positional);
        assert_eq!(t.waba_id, "109348720013455");
        // What Graph returns can be sent back as a create.
        let mut sample = fixture("template-create-request");
        sample["components"][0]["example"]["header_handle"] = graph.components[0]["example"]["header_handle"].clone();
        let again = pb::CreateTemplateRequest {
            name: t.name.clone(),
            language: t.language.clone(),
            category: t.category,
            parameter_format: t.parameter_format,
            components: t.components.clone(),
            ..Default::default()
        };
        assert_eq!(serde_json::to_value(create_body(&again).unwrap()).unwrap(), sample);
        let unknown = component_from_graph(&json!({"type": "CAROUSEL", "cards": []}));
        assert_eq!(unknown.kind, None);
        let buttons = component_from_graph(
            &json!({"type": "BUTTONS", "buttons": [{"type": "MPM", "text": "View"}, {"type": "quick_reply", "text": "Hi"}]}),
        );
        let Some(ComponentKind::Buttons(b)) = buttons.kind else { panic!("buttons") };
        assert_eq!(b.buttons.len(), 2, "unknown buttons keep their index");
        assert_eq!(b.buttons[0].kind, None);
    }
}
