//! The component list of a create or edit request: header, body, footer
//! and buttons, with their length limits, variables and examples; OTP
//! buttons are rewritten as the URL buttons Meta stores.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::{
    Result, Strictness, bad,
    placeholders::{Var, check_variables, variables},
};

/// Validates and normalizes `components`; returns them with the parameter
/// format in force (inferred for seeded templates).
pub(super) fn normalize_components(
    list: &Value,
    category: &str,
    format: Option<&str>,
    strictness: Strictness,
) -> Result<(Vec<Value>, String)> {
    let list = list.as_array().ok_or_else(|| bad("Param components must be an array."))?;
    if list.is_empty() {
        return Err(bad("Param components must not be empty."));
    }
    let format = match (format, strictness) {
        (Some(f), _) => f.to_owned(),
        (None, Strictness::Create) => "POSITIONAL".to_owned(),
        (None, Strictness::Seed) => {
            let texts = list.iter().filter_map(|c| c.get("text").and_then(Value::as_str));
            let named = texts.flat_map(|t| variables(t).unwrap_or_default()).any(|v| matches!(v, Var::Named(_)));
            if named { "NAMED" } else { "POSITIONAL" }.to_owned()
        }
    };
    let auth = category == "AUTHENTICATION";
    let code_expiration = list
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("footer")))
        .and_then(|c| c.get("code_expiration_minutes"))
        .and_then(Value::as_i64);

    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let path = format!("components[{i}]");
        let c = c.as_object().ok_or_else(|| bad(format!("Param {path} must be a JSON object.")))?;
        let kind = match c.get("type") {
            Some(Value::String(t)) => t.to_ascii_uppercase(),
            _ => return Err(bad(format!("The parameter {path}['type'] is required."))),
        };
        if !seen.insert(kind.clone()) {
            return Err(bad(format!("{path}: a template has at most one {kind} component.")));
        }
        let mut c = c.clone();
        c.insert("type".into(), json!(kind));
        match kind.as_str() {
            "HEADER" if auth => return Err(bad(format!("{path}: authentication templates cannot have a header."))),
            "HEADER" => header(&mut c, &path, &format, strictness)?,
            "BODY" if auth => auth_body(&mut c, &path)?,
            "BODY" => text_component(&c, &path, 1024, &format, strictness, "body_text")?,
            "FOOTER" if auth => auth_footer(&mut c, &path)?,
            "FOOTER" => {
                let text = component_text(&c, &path)?;
                limit(text, 60, &format!("{path}['text']"))?;
                if text.contains("{{") {
                    return Err(bad(format!("{path}: footers cannot contain variables.")));
                }
            }
            "BUTTONS" => buttons(&mut c, &path, auth, code_expiration)?,
            "CAROUSEL" | "LIMITED_TIME_OFFER" => {}
            other => {
                return Err(bad(format!(
                    "Param {path}['type'] must be one of {{HEADER, BODY, FOOTER, BUTTONS, CAROUSEL, LIMITED_TIME_OFFER}} - got \"{other}\"."
                )));
            }
        }
        out.push(Value::Object(c));
    }
    if !seen.contains("BODY") {
        return Err(bad("A template needs a BODY component."));
    }
    if auth && !seen.contains("BUTTONS") {
        return Err(bad("Authentication templates need a BUTTONS component with one OTP button."));
    }
    Ok((out, format))
}

fn component_text<'a>(c: &'a Map<String, Value>, path: &str) -> Result<&'a str> {
    match c.get("text") {
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(t),
        _ => Err(bad(format!("The parameter {path}['text'] is required."))),
    }
}

fn limit(text: &str, max: usize, path: &str) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        return Err(bad(format!("Param {path} must be at most {max} characters long; got {n}.")));
    }
    Ok(())
}

fn header(c: &mut Map<String, Value>, path: &str, format: &str, strictness: Strictness) -> Result<()> {
    const FORMATS: &[&str] = &["TEXT", "IMAGE", "VIDEO", "GIF", "DOCUMENT", "LOCATION", "PRODUCT"];
    let f = match c.get("format") {
        Some(Value::String(f)) if FORMATS.contains(&f.to_ascii_uppercase().as_str()) => f.to_ascii_uppercase(),
        Some(other) => {
            return Err(bad(format!(
                "Param {path}['format'] must be one of {{{}}} - got {other}.",
                FORMATS.join(", ")
            )));
        }
        None => return Err(bad(format!("The parameter {path}['format'] is required."))),
    };
    c.insert("format".into(), json!(f));
    match f.as_str() {
        "TEXT" => {
            let text = component_text(c, path)?;
            limit(text, 60, &format!("{path}['text']"))?;
            let vars = variables(text).map_err(|e| bad(format!("{path}: {e}")))?;
            if vars.len() > 1 {
                return Err(bad(format!("{path}: a text header can have at most one variable.")));
            }
            text_component(c, path, 60, format, strictness, "header_text")
        }
        "IMAGE" | "VIDEO" | "GIF" | "DOCUMENT" => {
            let handles = c.get("example").and_then(|e| e.get("header_handle")).and_then(Value::as_array);
            match handles {
                Some(h) if !h.is_empty() && h.iter().all(Value::is_string) => Ok(()),
                _ if strictness == Strictness::Seed => Ok(()),
                _ => Err(bad(format!("{path}: media headers need example.header_handle with an upload handle."))),
            }
        }
        _ => Ok(()),
    }
}

/// A text component with variables (BODY, TEXT HEADER) and its examples.
fn text_component(
    c: &Map<String, Value>,
    path: &str,
    max: usize,
    format: &str,
    strictness: Strictness,
    example_key: &str,
) -> Result<()> {
    let text = component_text(c, path)?;
    limit(text, max, &format!("{path}['text']"))?;
    let vars = variables(text).map_err(|e| bad(format!("{path}: {e}")))?;
    check_variables(&vars, format, path)?;
    if vars.is_empty() || strictness == Strictness::Seed {
        return Ok(());
    }
    let example = c.get("example");
    if format == "NAMED" {
        let named_key = format!("{example_key}_named_params");
        let given: HashSet<&str> = example
            .and_then(|e| e.get(&named_key))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|p| p.get("param_name").and_then(Value::as_str)).collect())
            .unwrap_or_default();
        if let Some(missing) = vars.iter().map(Var::label).find(|v| !given.contains(v.as_str())) {
            return Err(bad(format!("{path}: example.{named_key} has no example for {{{{{missing}}}}}.")));
        }
        return Ok(());
    }
    let given = match example.and_then(|e| e.get(example_key)) {
        // body_text is [["v1","v2"]]; header_text is ["v"].
        Some(Value::Array(outer)) if example_key == "body_text" => {
            outer.first().and_then(Value::as_array).map(Vec::len)
        }
        Some(Value::Array(values)) => Some(values.len()),
        _ => None,
    };
    match given {
        Some(n) if n == vars.len() => Ok(()),
        Some(n) => Err(bad(format!("{path}: example.{example_key} has {n} values for {} variables.", vars.len()))),
        None => Err(bad(format!("{path}: variables need example.{example_key}."))),
    }
}

fn auth_body(c: &mut Map<String, Value>, path: &str) -> Result<()> {
    if c.contains_key("text") {
        return Err(bad(format!("{path}: authentication templates cannot have custom body text.")));
    }
    let security = match c.get("add_security_recommendation") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad(format!("Param {path}['add_security_recommendation'] must be a boolean."))),
    };
    // Meta fills in the fixed text; GET returns it.
    let text = if security {
        "*{{1}}* is your verification code. For your security, do not share this code."
    } else {
        "*{{1}}* is your verification code."
    };
    c.insert("text".into(), json!(text));
    Ok(())
}

fn auth_footer(c: &mut Map<String, Value>, path: &str) -> Result<()> {
    match c.get("code_expiration_minutes").and_then(Value::as_i64) {
        Some(minutes) if (1..=90).contains(&minutes) => {
            c.insert("text".into(), json!(format!("This code expires in {minutes} minutes.")));
            Ok(())
        }
        _ => Err(bad(format!("Param {path}['code_expiration_minutes'] must be an integer from 1 to 90."))),
    }
}

fn buttons(c: &mut Map<String, Value>, path: &str, auth: bool, code_expiration: Option<i64>) -> Result<()> {
    let list = match c.get_mut("buttons") {
        Some(Value::Array(list)) => list,
        _ => return Err(bad(format!("The parameter {path}['buttons'] is required."))),
    };
    if list.is_empty() || list.len() > 10 {
        return Err(bad(format!("{path}: a template has 1 to 10 buttons; got {}.", list.len())));
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut kinds = Vec::with_capacity(list.len());
    for (i, b) in list.iter_mut().enumerate() {
        let bpath = format!("{path}['buttons'][{i}]");
        let b = b.as_object_mut().ok_or_else(|| bad(format!("Param {bpath} must be a JSON object.")))?;
        let kind = match b.get("type") {
            Some(Value::String(t)) => t.to_ascii_uppercase(),
            _ => return Err(bad(format!("The parameter {bpath}['type'] is required."))),
        };
        if auth != (kind == "OTP") {
            return Err(bad(if auth {
                format!("{bpath}: authentication templates take one OTP button.")
            } else {
                format!("{bpath}: OTP buttons are only for authentication templates.")
            }));
        }
        b.insert("type".into(), json!(kind));
        if let Some(Value::String(text)) = b.get("text") {
            limit(text, 25, &format!("{bpath}['text']"))?;
        }
        let needs_text = matches!(kind.as_str(), "QUICK_REPLY" | "URL" | "PHONE_NUMBER" | "FLOW");
        if needs_text && b.get("text").and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()) {
            return Err(bad(format!("The parameter {bpath}['text'] is required.")));
        }
        match kind.as_str() {
            "URL" => url_button(b, &bpath)?,
            "PHONE_NUMBER" => match b.get("phone_number") {
                Some(Value::String(p)) if !p.trim().is_empty() => limit(p, 20, &format!("{bpath}['phone_number']"))?,
                _ => return Err(bad(format!("The parameter {bpath}['phone_number'] is required."))),
            },
            "COPY_CODE" => match b.get("example") {
                Some(Value::String(e)) if !e.is_empty() => limit(e, 15, &format!("{bpath}['example']"))?,
                _ => return Err(bad(format!("The parameter {bpath}['example'] is required."))),
            },
            "OTP" => otp_button(b, &bpath, code_expiration)?,
            "FLOW" => {
                if ["flow_id", "flow_name", "flow_json"].iter().all(|k| b.get(*k).is_none()) {
                    return Err(bad(format!("{bpath}: a FLOW button needs flow_id, flow_name or flow_json.")));
                }
            }
            "QUICK_REPLY" | "CATALOG" | "MPM" | "SPM" | "VOICE_CALL" | "APP" | "SEND_LOCATION" => {}
            other => return Err(bad(format!("Param {bpath}['type'] is not a known button type: \"{other}\"."))),
        }
        *counts.entry(kind.clone()).or_default() += 1;
        kinds.push(kind);
    }
    for (kind, max) in [("URL", 2), ("PHONE_NUMBER", 1), ("COPY_CODE", 1), ("OTP", 1), ("QUICK_REPLY", 10)] {
        let n = counts.get(kind).copied().unwrap_or(0);
        if n > max {
            return Err(bad(format!("{path}: at most {max} {kind} button(s); got {n}.")));
        }
    }
    // Quick replies must be grouped together, not interleaved with other types.
    let first = kinds.iter().position(|k| k == "QUICK_REPLY");
    let last = kinds.iter().rposition(|k| k == "QUICK_REPLY");
    if let (Some(first), Some(last)) = (first, last)
        && kinds[first..=last].iter().any(|k| k != "QUICK_REPLY")
    {
        return Err(bad(format!("{path}: QUICK_REPLY buttons must be grouped together.")));
    }
    Ok(())
}

fn url_button(b: &Map<String, Value>, path: &str) -> Result<()> {
    let url = match b.get("url") {
        Some(Value::String(u)) if u.starts_with("https://") || u.starts_with("http://") => u,
        _ => return Err(bad(format!("Param {path}['url'] must be an http(s) URL."))),
    };
    limit(url, 2000, &format!("{path}['url']"))?;
    let vars = variables(url).map_err(|e| bad(format!("{path}: {e}")))?;
    match vars.as_slice() {
        [] => Ok(()),
        [Var::Positional(1)] if url.trim_end().ends_with("}}") => match b.get("example") {
            Some(Value::Array(e)) if e.first().is_some_and(Value::is_string) => Ok(()),
            _ => Err(bad(format!("{path}: a URL with a variable needs an example URL."))),
        },
        _ => Err(bad(format!("{path}: a URL can have one variable, {{{{1}}}}, at its end."))),
    }
}

/// Validates an OTP button and rewrites it as the URL button Meta stores.
fn otp_button(b: &mut Map<String, Value>, path: &str, code_expiration: Option<i64>) -> Result<()> {
    let otp_type = match b.get("otp_type") {
        Some(Value::String(t)) if ["COPY_CODE", "ONE_TAP", "ZERO_TAP"].contains(&t.to_ascii_uppercase().as_str()) => {
            t.to_ascii_uppercase()
        }
        _ => return Err(bad(format!("Param {path}['otp_type'] must be one of {{COPY_CODE, ONE_TAP, ZERO_TAP}}."))),
    };
    if otp_type != "COPY_CODE" {
        let apps = b.get("supported_apps").and_then(Value::as_array);
        let valid = apps.is_some_and(|apps| {
            !apps.is_empty()
                && apps.iter().all(|a| {
                    a.get("package_name").is_some_and(Value::is_string)
                        && a.get("signature_hash").is_some_and(Value::is_string)
                })
        });
        if !valid {
            return Err(bad(format!(
                "{path}: {otp_type} buttons need supported_apps with package_name and signature_hash."
            )));
        }
    }
    let text = b
        .get("text")
        .and_then(Value::as_str)
        .map_or_else(|| if otp_type == "COPY_CODE" { "Copy code" } else { "Autofill" }.to_owned(), str::to_owned);
    let expiry = code_expiration.map(|m| format!("&code_expiration_minutes={m}")).unwrap_or_default();
    let base = format!("https://www.whatsapp.com/otp/code/?otp_type={otp_type}{expiry}&code=otp");
    b.clear();
    b.insert("type".into(), json!("URL"));
    b.insert("text".into(), json!(text));
    b.insert("url".into(), json!(format!("{base}{{{{1}}}}")));
    b.insert("example".into(), json!([format!("{base}123456")]));
    Ok(())
}
