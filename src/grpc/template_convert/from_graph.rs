//! Templates read from Graph as the contract's [`pb::Template`]: components
//! or buttons the contract does not model keep their place with no kind, so
//! button indexes stay those Meta uses.

use crate::{
    graph::{
        GraphTemplate,
        templates::{GraphButton, GraphComponent, GraphNamedExample},
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

/// A component; one of a type the contract does not model has no kind.
fn component_from_graph(c: &GraphComponent) -> pb::TemplateComponent {
    use pb::HeaderFormat as F;
    let kind = match c.kind.as_str() {
        "HEADER" => Some(ComponentKind::Header(pb::HeaderComponent {
            format: match c.format.as_str() {
                "TEXT" => F::Text,
                "IMAGE" => F::Image,
                "VIDEO" | "GIF" => F::Video,
                "DOCUMENT" => F::Document,
                "LOCATION" => F::Location,
                _ => F::Unspecified,
            }
            .into(),
            text: c.text.clone(),
            examples: c.example.header_text.clone(),
            named_examples: named_examples(&c.example.header_text_named_params),
            example_handles: c.example.header_handle.clone(),
        })),
        "BODY" => Some(ComponentKind::Body(pb::BodyComponent {
            text: c.text.clone(),
            examples: c.example.body_text.clone(),
            named_examples: named_examples(&c.example.body_text_named_params),
            add_security_recommendation: c.add_security_recommendation,
        })),
        "FOOTER" => Some(ComponentKind::Footer(pb::FooterComponent {
            text: c.text.clone(),
            code_expiration_minutes: c.code_expiration_minutes,
        })),
        "BUTTONS" => Some(ComponentKind::Buttons(pb::ButtonsComponent {
            buttons: c.buttons.iter().map(button_from_graph).collect(),
        })),
        _ => None,
    };
    pb::TemplateComponent { kind }
}

fn named_examples(examples: &[GraphNamedExample]) -> Vec<pb::NamedExample> {
    examples.iter().map(|e| pb::NamedExample { param_name: e.param_name.clone(), example: e.example.clone() }).collect()
}

fn button_from_graph(b: &GraphButton) -> pb::TemplateButton {
    let kind = match b.kind.as_str() {
        "QUICK_REPLY" => Some(ButtonKind::QuickReply(pb::QuickReplyButton { text: b.text.clone() })),
        "URL" => Some(ButtonKind::Url(pb::UrlButton {
            text: b.text.clone(),
            url: b.url.clone(),
            example: b.example.clone(),
        })),
        "PHONE_NUMBER" => Some(ButtonKind::PhoneNumber(pb::PhoneNumberButton {
            text: b.text.clone(),
            phone_number: b.phone_number.clone(),
        })),
        "COPY_CODE" => Some(ButtonKind::CopyCode(pb::CopyCodeButton { example: b.example.clone() })),
        "OTP" => Some(ButtonKind::Otp(pb::OtpButton {
            otp_type: pb::OtpType::from_str_name(&format!("OTP_TYPE_{}", b.otp_type))
                .unwrap_or(pb::OtpType::Unspecified)
                .into(),
            text: b.text.clone(),
            autofill_text: b.autofill_text.clone(),
            supported_apps: b
                .supported_apps
                .iter()
                .map(|a| pb::OtpSupportedApp {
                    package_name: a.package_name.clone(),
                    signature_hash: a.signature_hash.clone(),
                })
                .collect(),
        })),
        "FLOW" => Some(ButtonKind::Flow(pb::FlowButton {
            text: b.text.clone(),
            flow_id: b.flow_id.clone(),
            flow_name: b.flow_name.clone(),
            flow_action: b.flow_action.clone(),
            navigate_screen: b.navigate_screen.clone(),
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
        sample["components"][0]["example"]["header_handle"] = json!(graph.components[0].example.header_handle);
        let again = pb::CreateTemplateRequest {
            name: t.name.clone(),
            language: t.language.clone(),
            category: t.category,
            parameter_format: t.parameter_format,
            components: t.components.clone(),
            ..Default::default()
        };
        assert_eq!(serde_json::to_value(create_body(&again).unwrap()).unwrap(), sample);
        let unknown = component_from_graph(&json!({"type": "CAROUSEL", "cards": []}).into());
        assert_eq!(unknown.kind, None);
        let buttons = component_from_graph(
            &json!({"type": "BUTTONS", "buttons": [{"type": "MPM", "text": "View"}, {"type": "quick_reply", "text": "Hi"}]})
                .into(),
        );
        let Some(ComponentKind::Buttons(b)) = buttons.kind else { panic!("buttons") };
        assert_eq!(b.buttons.len(), 2, "unknown buttons keep their index");
        assert_eq!(b.buttons[0].kind, None);
    }
}
