//! Template sends (§4.6): the template's name, language and components with
//! their typed parameters, kept for the checks against the stored template.

use serde_json::Value;

use super::{
    content::{MediaOptions, MediaRef, MediaUse, location, media},
    fields::{Result, as_array, as_object, field, key, max_chars, one_of, opt_str, req, req_text},
};
use crate::emulator::errors::GraphError;

/// A template send, for the checks against the stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateSend {
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) components: Vec<SendComponent>,
}

/// One `template.components[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendComponent {
    pub(crate) kind: SendComponentKind,
    pub(crate) params: Vec<SendParam>,
}

/// The component's `type` (and for buttons, `sub_type` and `index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendComponentKind {
    Header,
    Body,
    /// `sub_type` lowercased.
    Button {
        sub_type: String,
        index: usize,
    },
    /// Carousel, limited-time offer…: passed through unchecked.
    Other,
}

/// One parameter: its `type` and, for named templates, `parameter_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendParam {
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
}

const COMPONENT_TYPES: &[&str] = &["header", "body", "button", "carousel", "limited_time_offer"];
const PARAM_TYPES: &[&str] = &[
    "text",
    "currency",
    "date_time",
    "image",
    "video",
    "document",
    "location",
    "payload",
    "coupon_code",
    "action",
    "limited_time_offer",
    "product",
];

/// A `template` object, parsed for the checks against the stored template.
pub(super) fn template(v: &Value, refs: &mut Vec<MediaRef>) -> Result<TemplateSend> {
    const P: &str = "template";
    let t = as_object(v, P)?;
    let name = req_text(t, P, "name")?.to_owned();
    let language_path = key(P, "language");
    let language = as_object(req(t, P, "language")?, &language_path)?;
    let code = req_text(language, &language_path, "code")?.to_owned();
    if let Some(policy) = field(language, "policy") {
        match policy {
            Value::String(p) if p == "deterministic" => {}
            other => return Err(one_of(&key(&language_path, "policy"), &["deterministic"], other)),
        }
    }
    let mut components = Vec::new();
    if let Some(list) = field(t, "components") {
        let list_path = key(P, "components");
        for (i, c) in as_array(list, &list_path)?.iter().enumerate() {
            components.push(template_component(c, &format!("{list_path}[{i}]"), refs)?);
        }
    }
    Ok(TemplateSend { name, language: code, components })
}

fn template_component(v: &Value, path: &str, refs: &mut Vec<MediaRef>) -> Result<SendComponent> {
    let c = as_object(v, path)?;
    let type_path = key(path, "type");
    let kind = match req(c, path, "type")? {
        Value::String(t) if COMPONENT_TYPES.contains(&t.to_ascii_lowercase().as_str()) => t.to_ascii_lowercase(),
        other => return Err(one_of(&type_path, COMPONENT_TYPES, other)),
    };
    let kind = match kind.as_str() {
        "header" => SendComponentKind::Header,
        "body" => SendComponentKind::Body,
        "button" => {
            let sub_type = req_text(c, path, "sub_type")?.to_ascii_lowercase();
            // Meta's own examples send the index both as "0" and as 0.
            let index = match req(c, path, "index")? {
                Value::String(s) => s.trim().parse::<usize>().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                _ => None,
            };
            match index {
                Some(index) if index <= 9 => SendComponentKind::Button { sub_type, index },
                _ => {
                    return Err(GraphError::invalid_value(format!(
                        "Param {} must be an index from 0 to 9.",
                        key(path, "index")
                    )));
                }
            }
        }
        _ => SendComponentKind::Other,
    };
    let mut params = Vec::new();
    if let Some(list) = field(c, "parameters") {
        let list_path = key(path, "parameters");
        for (j, p) in as_array(list, &list_path)?.iter().enumerate() {
            let param_path = format!("{list_path}[{j}]");
            params.push(template_param(p, &param_path, &kind, refs)?);
        }
    }
    Ok(SendComponent { kind, params })
}

fn template_param(v: &Value, path: &str, component: &SendComponentKind, refs: &mut Vec<MediaRef>) -> Result<SendParam> {
    let p = as_object(v, path)?;
    let kind = match req(p, path, "type")? {
        Value::String(t) if PARAM_TYPES.contains(&t.as_str()) => t.clone(),
        other => return Err(one_of(&key(path, "type"), PARAM_TYPES, other)),
    };
    match kind.as_str() {
        "text" => {
            let text = req_text(p, path, "text")?;
            let max = if *component == SendComponentKind::Header { 60 } else { 32768 };
            max_chars(text, max, &key(path, "text"))?;
        }
        "currency" => {
            let cp = key(path, "currency");
            let cur = as_object(req(p, path, "currency")?, &cp)?;
            req_text(cur, &cp, "fallback_value")?;
            let code = req_text(cur, &cp, "code")?;
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(GraphError::invalid_value(format!("Param {} must be an ISO 4217 code.", key(&cp, "code"))));
            }
            match req(cur, &cp, "amount_1000")? {
                Value::Number(n) if n.as_i64().is_some_and(|a| a > 0) => {}
                _ => {
                    return Err(GraphError::invalid_value(format!(
                        "Param {} must be a positive integer.",
                        key(&cp, "amount_1000")
                    )));
                }
            }
        }
        "date_time" => {
            let dp = key(path, "date_time");
            req_text(as_object(req(p, path, "date_time")?, &dp)?, &dp, "fallback_value")?;
        }
        "image" | "video" | "document" => {
            let used_as = match kind.as_str() {
                "image" => MediaUse::Image,
                "video" => MediaUse::Video,
                _ => MediaUse::Document,
            };
            let options = if used_as == MediaUse::Document { MediaOptions::DOCUMENT } else { MediaOptions::CAPTION };
            refs.extend(media(req(p, path, &kind)?, &key(path, &kind), used_as, options)?);
        }
        "location" => {
            let lp = key(path, "location");
            location(as_object(req(p, path, "location")?, &lp)?, &lp)?;
        }
        "payload" => {
            req_text(p, path, "payload")?;
        }
        "coupon_code" => {
            max_chars(req_text(p, path, "coupon_code")?, 15, &key(path, "coupon_code"))?;
        }
        _ => {
            // action, limited_time_offer, product: an object named after the type.
            as_object(req(p, path, &kind)?, &key(path, &kind))?;
        }
    }
    let name = opt_str(p, path, "parameter_name")?.map(str::to_owned);
    Ok(SendParam { kind, name })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::validate::tests::{code_and_details, msg, send};
    #[test]
    fn templates_parse_components_and_parameters() {
        let body = json!({"name":"order_shipped","language":{"code":"en_US","policy":"deterministic"},"components":[
            {"type":"header","parameters":[{"type":"image","image":{"id":"55"}}]},
            {"type":"body","parameters":[{"type":"text","text":"Ana"},
                {"type":"currency","currency":{"fallback_value":"$1","code":"USD","amount_1000":1000}},
                {"type":"date_time","date_time":{"fallback_value":"July 15"}}]},
            {"type":"button","sub_type":"URL","index":0,"parameters":[{"type":"text","text":"8F3K2"}]},
            {"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP"}]}]});
        let s = send(msg("template", body));
        let t = s.template.expect("template");
        assert_eq!((t.name.as_str(), t.language.as_str()), ("order_shipped", "en_US"));
        assert_eq!(t.components.len(), 4);
        assert_eq!(t.components[2].kind, SendComponentKind::Button { sub_type: "url".into(), index: 0 });
        assert_eq!(s.media.len(), 1);
        assert_eq!(code_and_details(msg("template", json!({"name":"x"}))).0, 131008);
        assert_eq!(
            code_and_details(msg(
                "template",
                json!({"name":"x","language":{"code":"en"},"components":[{"type":"body",
                "parameters":[{"type":"text","text":""}]}]})
            ))
            .0,
            131008
        );
        assert_eq!(
            code_and_details(msg(
                "template",
                json!({"name":"x","language":{"code":"en"},"components":[{"type":"footer"}]})
            ))
            .0,
            100
        );
    }
}
