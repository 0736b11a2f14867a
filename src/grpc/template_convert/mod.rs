//! Message templates: proto ⇄ Graph, as pure functions.
//!
//! Create and edit requests are validated and converted to their typed
//! bodies ([`crate::graph::templates`]) in one walk, like sends in
//! [`super::convert`] (whose checker this reuses): every rule of REFERENCE.md §4.1 that can be checked without Meta is
//! checked, each violation is reported under its proto field path
//! (`components[1].body.examples`), and a body is returned only when there is
//! none. Templates read from Graph become [`pb::Template`]s; components or
//! buttons the contract does not model keep their place with no kind, so
//! button indexes stay those Meta uses.

mod buttons;
mod components;
mod from_graph;
mod placeholders;
#[cfg(test)]
mod testing;

pub use from_graph::template_from_graph;

use self::components::components;
use super::convert::{Checker, quoted};
use crate::{
    error::FieldViolation,
    graph::{
        GraphTemplate,
        templates::{CreateTemplateBody, EditTemplateBody},
        vocab::{
            parameter_format_from_graph, parameter_format_to_graph, template_category_from_graph,
            template_category_to_graph,
        },
    },
    pb,
};

const NAME_MAX: usize = 512;

/// The Graph body of `POST /{waba_id}/message_templates`.
///
/// # Errors
///
/// Every violation found, with its proto field path.
pub fn create_body(req: &pb::CreateTemplateRequest) -> Result<CreateTemplateBody<'_>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut c = Checker::root(&mut violations);
    if c.required("name", &req.name) {
        c.length("name", &req.name, 1, NAME_MAX);
        if !req.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            c.fail(
                "name",
                format!("must hold only lowercase letters, digits and underscores, got {}", quoted(&req.name)),
            );
        }
    }
    if c.required("language", &req.language) && !is_language(&req.language) {
        c.fail("language", format!("must be a locale code such as en or en_US, got {}", quoted(&req.language)));
    }
    let category = match pb::TemplateCategory::try_from(req.category) {
        Ok(pb::TemplateCategory::Unspecified) => {
            c.fail("category", "is required: MARKETING, UTILITY or AUTHENTICATION");
            None
        }
        Ok(category) => Some(category),
        Err(_) => {
            c.fail("category", format!("has the unknown value {}", req.category));
            None
        }
    };
    let format = parameter_format(&mut c, req.parameter_format);
    let components = components(&mut c, &req.components, category, format);
    let ttl = ttl(&mut c, req.message_send_ttl_seconds, category);

    match (category.and_then(template_category_to_graph), components) {
        (Some(category), Some(components)) if violations.is_empty() => Ok(CreateTemplateBody {
            name: &req.name,
            language: &req.language,
            category,
            // An unset format is left to Meta's default rather than spelled out.
            parameter_format: (req.parameter_format != 0).then(|| parameter_format_to_graph(format)),
            allow_category_change: req.allow_category_change,
            message_send_ttl_seconds: ttl,
            components,
        }),
        _ => Err(violations),
    }
}

/// The Graph body of an edit (`POST /{template_id}`): what the request
/// changes, validated against the template's `current` category and
/// parameter format when it does not change them.
///
/// # Errors
///
/// Every violation found, with its proto field path; an edit that changes
/// nothing is one.
pub fn update_body<'a>(
    req: &'a pb::UpdateTemplateRequest,
    current: &GraphTemplate,
) -> Result<EditTemplateBody<'a>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut c = Checker::root(&mut violations);
    c.required("template_id", &req.template_id);
    if req.components.is_empty() && req.category == 0 && req.message_send_ttl_seconds == 0 {
        c.fail("", "changes nothing: set components, category or message_send_ttl_seconds");
    }
    let category = match pb::TemplateCategory::try_from(req.category) {
        Ok(pb::TemplateCategory::Unspecified) => None,
        Ok(category) => Some(category),
        Err(_) => {
            c.fail("category", format!("has the unknown value {}", req.category));
            None
        }
    };
    let effective = category.or_else(|| {
        Some(template_category_from_graph(&current.category)).filter(|c| *c != pb::TemplateCategory::Unspecified)
    });
    let format = match parameter_format_from_graph(current.parameter_format.as_deref()) {
        pb::TemplateParameterFormat::Unspecified => pb::TemplateParameterFormat::Positional,
        format => format,
    };
    // Outer `None`: no new components; inner `None`: they could not be built (reported).
    let components = (!req.components.is_empty()).then(|| components(&mut c, &req.components, effective, Some(format)));
    let ttl = ttl(&mut c, req.message_send_ttl_seconds, effective);
    match components {
        Some(None) => Err(violations),
        _ if !violations.is_empty() => Err(violations),
        components => Ok(EditTemplateBody {
            components: components.flatten(),
            category: category.and_then(template_category_to_graph),
            message_send_ttl_seconds: ttl,
        }),
    }
}

fn parameter_format(c: &mut Checker<'_>, value: i32) -> Option<pb::TemplateParameterFormat> {
    match pb::TemplateParameterFormat::try_from(value) {
        Ok(pb::TemplateParameterFormat::Unspecified) => Some(pb::TemplateParameterFormat::Positional),
        Ok(format) => Some(format),
        Err(_) => {
            c.fail("parameter_format", format!("has the unknown value {value}"));
            None
        }
    }
}

/// `message_send_ttl_seconds` within its category's range; 0 leaves it out.
fn ttl(c: &mut Checker<'_>, ttl: i32, category: Option<pb::TemplateCategory>) -> Option<i32> {
    use pb::TemplateCategory as C;
    if ttl == 0 {
        return None;
    }
    let (ok, range) = match category {
        Some(C::Authentication) => (ttl == -1 || (30..=900).contains(&ttl), "30 to 900, or -1"),
        Some(C::Utility) => (ttl == -1 || (30..=43_200).contains(&ttl), "30 to 43200, or -1"),
        Some(C::Marketing) => ((43_200..=2_592_000).contains(&ttl), "43200 to 2592000"),
        // The category is invalid, and reported as such.
        _ => (true, ""),
    };
    if !ok {
        let name = category.and_then(template_category_to_graph).unwrap_or_default();
        c.fail("message_send_ttl_seconds", format!("must be {range} for {name} templates, got {ttl}"));
    }
    Some(ttl)
}

fn is_language(s: &str) -> bool {
    let (lang, region) = match s.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::template_convert::testing::*;

    #[test]
    fn create_bodies_match_the_samples() {
        assert_eq!(
            serde_json::to_value(create_body(&order_shipped()).unwrap()).unwrap(),
            fixture("template-create-request")
        );
        assert_eq!(
            serde_json::to_value(create_body(&reservation()).unwrap()).unwrap(),
            fixture("template-create-named-request")
        );
        assert_eq!(
            serde_json::to_value(create_body(&login_code()).unwrap()).unwrap(),
            fixture("template-create-authentication-request")
        );
    }

    #[test]
    fn names_languages_and_categories_are_checked() {
        let mut req = order_shipped();
        req.name = "Order Shipped".into();
        req.language = "english".into();
        req.category = 0;
        assert!(violation(&req, "name").contains("lowercase"));
        assert!(violation(&req, "language").contains("locale"));
        assert!(violation(&req, "category").contains("required"));
        req.name = "a".repeat(513);
        assert!(violation(&req, "name").contains("512"));
    }

    #[test]
    fn authentication_rules() {
        let mut req = login_code();
        req.message_send_ttl_seconds = 10;
        assert!(violation(&req, "message_send_ttl_seconds").contains("30 to 900"));
        let mut req = login_code();
        req.components.insert(
            0,
            component(ComponentKind::Header(pb::HeaderComponent {
                format: pb::HeaderFormat::Text.into(),
                text: "Hi".into(),
                ..Default::default()
            })),
        );
        assert!(violation(&req, "components[0].header").contains("no header"));
        let mut req = login_code();
        if let Some(ComponentKind::Buttons(b)) = &mut req.components[2].kind {
            b.buttons[0] =
                button(ButtonKind::Otp(pb::OtpButton { otp_type: pb::OtpType::OneTap.into(), ..Default::default() }));
        }
        assert!(violation(&req, "components[2].buttons.buttons[0].otp.supported_apps").contains("at least 1"));
    }

    #[test]
    fn edits_send_only_what_changes() {
        let current: GraphTemplate = serde_json::from_value(fixture("template-get-response")).unwrap();
        let req = pb::UpdateTemplateRequest {
            template_id: current.id.clone(),
            components: vec![
                component(ComponentKind::Body(pb::BodyComponent {
                    text: "Hi {{1}}, good news: your order of {{2}} is on its way and should arrive on {{3}}.".into(),
                    examples: vec!["Ana".into(), "$84.50".into(), "July 15, 2026".into()],
                    ..Default::default()
                })),
                component(ComponentKind::Footer(pb::FooterComponent {
                    text: "Example Outfitters".into(),
                    code_expiration_minutes: 0,
                })),
            ],
            category: 0,
            message_send_ttl_seconds: 0,
            waba_id: String::new(),
        };
        assert_eq!(
            serde_json::to_value(update_body(&req, &current).unwrap()).unwrap(),
            fixture("template-edit-request")
        );
        let ttl_only = pb::UpdateTemplateRequest {
            template_id: current.id.clone(),
            message_send_ttl_seconds: 3600,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&ttl_only, &current).unwrap()).unwrap(),
            json!({"message_send_ttl_seconds": 3600})
        );
        let nothing = pb::UpdateTemplateRequest { template_id: current.id.clone(), ..Default::default() };
        let violations = update_body(&nothing, &current).unwrap_err();
        assert!(violations[0].description.contains("changes nothing"), "{violations:?}");
    }
}
