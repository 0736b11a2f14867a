//! A template send against the stored template (§4.6): it must exist in
//! that language and be APPROVED, and its parameters must fill the
//! template's placeholders in number, type and (for NAMED templates) name.

use std::collections::HashSet;

use serde_json::Value;

use super::{
    Result, Template,
    placeholders::{Var, variables},
};
use crate::emulator::{
    errors::GraphError,
    ids::same_language,
    validate::{SendComponentKind, SendParam, TemplateSend},
};

/// The placeholders a send must fill, read from stored components.
#[derive(Debug, Default)]
struct Shape {
    header: Option<HeaderShape>,
    body: Vec<String>,
    /// Per button index: (type, variable count).
    buttons: Vec<(String, usize)>,
}

#[derive(Debug)]
enum HeaderShape {
    Text(Vec<String>),
    Media(String),
    Location,
    Other,
}

fn shape(components: &[Value]) -> Shape {
    let vars = |c: &Value| -> Vec<String> {
        c.get("text")
            .and_then(Value::as_str)
            .map(|t| variables(t).unwrap_or_default().iter().map(Var::label).collect())
            .unwrap_or_default()
    };
    let mut shape = Shape::default();
    for c in components {
        match c.get("type").and_then(Value::as_str) {
            Some("HEADER") => {
                shape.header = Some(match c.get("format").and_then(Value::as_str) {
                    Some("TEXT") => HeaderShape::Text(vars(c)),
                    Some("IMAGE") => HeaderShape::Media("image".into()),
                    Some("VIDEO" | "GIF") => HeaderShape::Media("video".into()),
                    Some("DOCUMENT") => HeaderShape::Media("document".into()),
                    Some("LOCATION") => HeaderShape::Location,
                    _ => HeaderShape::Other,
                });
            }
            Some("BODY") => shape.body = vars(c),
            Some("BUTTONS") => {
                for b in c.get("buttons").and_then(Value::as_array).into_iter().flatten() {
                    let kind = b.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let n = b.get("url").and_then(Value::as_str).map_or(0, |u| variables(u).map_or(0, |v| v.len()));
                    shape.buttons.push((kind, n));
                }
            }
            _ => {}
        }
    }
    shape
}

/// Checks a template send against the stored template: status (132001,
/// 132015, 132016) and parameters (132000 count, 132012 type).
pub(crate) fn check_send(templates: &[Template], send: &TemplateSend) -> Result<String> {
    let t = templates
        .iter()
        .find(|t| t.name == send.name && same_language(&t.language, &send.language))
        .ok_or_else(|| GraphError::template_missing(&send.name, &send.language))?;
    match t.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => return Err(GraphError::template_paused(&t.name)),
        "DISABLED" => return Err(GraphError::template_disabled(&t.name)),
        _ => return Err(GraphError::template_missing(&send.name, &send.language)),
    }
    let shape = shape(&t.components);
    let named = t.parameter_format == "NAMED";
    let params_of = |kind: &SendComponentKind| -> Vec<&SendParam> {
        send.components.iter().filter(|c| &c.kind == kind).flat_map(|c| c.params.iter()).collect()
    };

    let header = params_of(&SendComponentKind::Header);
    match &shape.header {
        Some(HeaderShape::Text(vars)) => text_params("header", &header, vars, named)?,
        Some(HeaderShape::Media(format)) => {
            count("header", header.len(), 1)?;
            if header.iter().any(|p| &p.kind != format) {
                return Err(GraphError::param_format(format!(
                    "header: Format mismatch, expected {}, received {}",
                    format.to_ascii_uppercase(),
                    header.iter().map(|p| p.kind.to_ascii_uppercase()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Some(HeaderShape::Location) => {
            count("header", header.len(), 1)?;
            if header.iter().any(|p| p.kind != "location") {
                return Err(GraphError::param_format("header: Format mismatch, expected LOCATION"));
            }
        }
        Some(HeaderShape::Other) => {}
        None => count("header", header.len(), 0)?,
    }
    text_params("body", &params_of(&SendComponentKind::Body), &shape.body, named)?;

    let mut seen = HashSet::new();
    for c in &send.components {
        let SendComponentKind::Button { sub_type, index } = &c.kind else { continue };
        if !seen.insert(*index) {
            return Err(GraphError::invalid_value(format!("button at index {index} is given twice")));
        }
        let Some((kind, vars)) = shape.buttons.get(*index) else {
            return Err(GraphError::invalid_value(format!(
                "button at index {index} does not exist in template {}",
                t.name
            )));
        };
        if !sub_type.eq_ignore_ascii_case(kind) {
            return Err(GraphError::param_format(format!(
                "button at index {index}: sub_type {sub_type} does not match the template's {kind} button"
            )));
        }
        let label = format!("button at index {index}");
        match kind.as_str() {
            "URL" => count(&label, c.params.len(), *vars)?,
            "COPY_CODE" => count(&label, c.params.len(), 1)?,
            _ => {
                if c.params.len() > 1 {
                    count(&label, c.params.len(), 1)?;
                }
            }
        }
    }
    // Dynamic buttons the send left out.
    for (index, (kind, vars)) in shape.buttons.iter().enumerate() {
        let needed = match kind.as_str() {
            "URL" => *vars,
            "COPY_CODE" => 1,
            _ => 0,
        };
        if needed > 0 && !seen.contains(&index) {
            count(&format!("button at index {index}"), 0, needed)?;
        }
    }
    Ok(t.category.clone())
}

fn count(label: &str, got: usize, expected: usize) -> Result<()> {
    if got != expected {
        return Err(GraphError::param_count(format!(
            "{label}: number of localizable_params ({got}) does not match the expected number of params ({expected})"
        )));
    }
    Ok(())
}

/// Text-like parameters (text, currency, date_time) for `vars`; named
/// templates match by `parameter_name` in any order.
fn text_params(label: &str, params: &[&SendParam], vars: &[String], named: bool) -> Result<()> {
    count(label, params.len(), vars.len())?;
    if let Some(p) = params.iter().find(|p| !matches!(p.kind.as_str(), "text" | "currency" | "date_time")) {
        return Err(GraphError::param_format(format!(
            "{label}: parameters must be text, currency or date_time; got {}",
            p.kind
        )));
    }
    if named {
        let mut given = Vec::with_capacity(params.len());
        for p in params {
            match &p.name {
                Some(name) => given.push(name.as_str()),
                None => {
                    return Err(GraphError::missing(format!(
                        "{label}: named templates need parameter_name on every parameter"
                    )));
                }
            }
        }
        let expected: HashSet<&str> = vars.iter().map(String::as_str).collect();
        let got: HashSet<&str> = given.iter().copied().collect();
        if got != expected || got.len() != given.len() {
            let mut want: Vec<&str> = expected.into_iter().collect();
            want.sort_unstable();
            return Err(GraphError::param_count(format!(
                "{label}: parameter names ({}) do not match the template's ({})",
                given.join(", "),
                want.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::{
        templates::{Strictness, create::validate_new, tests::create_body},
        validate::SendComponent,
    };
    fn approved() -> Template {
        let mut t = validate_new(&create_body(), Strictness::Create).expect("valid").into_template();
        t.status = "APPROVED".into();
        t
    }

    fn text(n: usize) -> Vec<SendParam> {
        (0..n).map(|_| SendParam { kind: "text".into(), name: None }).collect()
    }

    fn send(components: Vec<SendComponent>) -> TemplateSend {
        TemplateSend { name: "order_shipped".into(), language: "en_US".into(), components }
    }

    fn full_send(body_params: usize) -> TemplateSend {
        send(vec![
            SendComponent {
                kind: SendComponentKind::Header,
                params: vec![SendParam { kind: "image".into(), name: None }],
            },
            SendComponent { kind: SendComponentKind::Body, params: text(body_params) },
            SendComponent { kind: SendComponentKind::Button { sub_type: "url".into(), index: 0 }, params: text(1) },
        ])
    }

    #[test]
    fn sends_must_match_the_placeholders() {
        let templates = vec![approved()];
        assert_eq!(check_send(&templates, &full_send(3)), Ok("UTILITY".into()));
        let e = check_send(&templates, &full_send(2)).expect_err("mismatch");
        assert_eq!(e.code, 132000);
        assert_eq!(
            e.details.as_deref(),
            Some("body: number of localizable_params (2) does not match the expected number of params (3)")
        );
        let mut no_button = full_send(3);
        no_button.components.pop();
        assert_eq!(check_send(&templates, &no_button).map_err(|e| e.code), Err(132000));
        let mut wrong_header = full_send(3);
        wrong_header.components[0].params[0].kind = "video".into();
        assert_eq!(check_send(&templates, &wrong_header).map_err(|e| e.code), Err(132012));
    }

    #[test]
    fn unknown_or_unapproved_templates_are_132001() {
        let mut templates = vec![approved()];
        let mut other_language = full_send(3);
        other_language.language = "pt_BR".into();
        let e = check_send(&templates, &other_language).expect_err("missing");
        assert_eq!((e.code, e.status), (132001, http::StatusCode::NOT_FOUND));
        templates[0].status = "PENDING".into();
        assert_eq!(check_send(&templates, &full_send(3)).map_err(|e| e.code), Err(132001));
        templates[0].status = "PAUSED".into();
        assert_eq!(check_send(&templates, &full_send(3)).map_err(|e| e.code), Err(132015));
    }

    #[test]
    fn named_sends_match_by_name() {
        let body = json!({"name": "reservation", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Table for {{party_size}} on {{visit_date}}."}]});
        let mut t = validate_new(&body, Strictness::Seed).expect("valid").into_template();
        t.status = "APPROVED".into();
        let named = |names: &[&str]| TemplateSend {
            name: "reservation".into(),
            language: "en-US".into(),
            components: vec![SendComponent {
                kind: SendComponentKind::Body,
                params: names.iter().map(|n| SendParam { kind: "text".into(), name: Some((*n).into()) }).collect(),
            }],
        };
        let templates = vec![t];
        assert!(check_send(&templates, &named(&["visit_date", "party_size"])).is_ok());
        assert_eq!(check_send(&templates, &named(&["visit_date", "guests"])).map_err(|e| e.code), Err(132000));
    }
}
