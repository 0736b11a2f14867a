//! Message templates (REFERENCE.md §4): create/edit validation, the review
//! that moves PENDING templates to APPROVED or REJECTED, listing with cursors
//! and filters, and the checks a template send must pass.
//!
//! Guarantees: create input is case-insensitive and stored UPPERCASE (OTP
//! buttons are stored as URL buttons, as Meta's GET returns them); a create
//! or an edit posts a `PENDING` status update, then its review posts
//! `APPROVED` or `REJECTED`; every review or admin change posts the webhook
//! Meta would send, with `entry.time` and `message_template_id` as a JSON
//! number; a review scheduled before an edit never overrides the edit's own
//! review.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{
    errors::GraphError,
    state::{Shared, Template, graph_id, same_language, unix_now},
    validate::{SendComponentKind, SendParam, TemplateSend},
    webhooks::Item,
    wire::{self, Cursors, Paging, QualityScore, TemplateCreated, TemplateList, TemplateOut},
};

type Result<T> = std::result::Result<T, GraphError>;

/// Meta's per-WABA template limit for an unverified business.
const TEMPLATE_LIMIT: u64 = 250;
/// How long a deleted APPROVED name+language stays blocked.
const DELETED_NAME_BLOCK: Duration = Duration::from_secs(30 * 24 * 3600);

/// How strictly a template is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// `POST /message_templates`: every rule of §4.1, examples included.
    Create,
    /// Seeded by a test: examples are optional, `parameter_format` is inferred.
    Seed,
}

/// A validated create request.
#[derive(Debug, Clone)]
pub(crate) struct NewTemplate {
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) category: String,
    pub(crate) parameter_format: String,
    pub(crate) components: Vec<Value>,
    pub(crate) ttl_seconds: Option<i64>,
}

impl NewTemplate {
    /// A PENDING template with a fresh id.
    pub(crate) fn into_template(self) -> Template {
        Template {
            id: graph_id(),
            name: self.name,
            language: self.language,
            category: self.category,
            parameter_format: self.parameter_format,
            components: self.components,
            status: "PENDING".into(),
            rejected_reason: None,
            quality_score: "UNKNOWN".into(),
            quality_date: unix_now(),
            ttl_seconds: self.ttl_seconds,
            review: 1,
            approved_edits: Vec::new(),
        }
    }
}

fn bad(details: impl Into<String>) -> GraphError {
    GraphError::invalid_param(details)
}

/// Validates a create request (§4.1).
pub(crate) fn validate_new(body: &Value, strictness: Strictness) -> Result<NewTemplate> {
    let m = body.as_object().ok_or_else(|| bad("The request body must be a JSON object."))?;
    let name = required_str(m, "name")?;
    if name.chars().count() > 512 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(bad(format!(
            "Param name must be at most 512 characters of lowercase letters, digits and underscores; got \"{name}\"."
        )));
    }
    let language = required_str(m, "language")?;
    if !is_language(language) {
        return Err(bad(format!("Param language must be a locale code such as en or en_US; got \"{language}\".")));
    }
    let category = upper_enum(m, "category", &["MARKETING", "UTILITY", "AUTHENTICATION"])?
        .ok_or_else(|| bad("The parameter category is required."))?;
    let format = upper_enum(m, "parameter_format", &["POSITIONAL", "NAMED"])?;
    let ttl_seconds = ttl(m, &category)?;
    let list = m.get("components").ok_or_else(|| bad("The parameter components is required."))?;
    let (components, parameter_format) = normalize_components(list, &category, format.as_deref(), strictness)?;
    Ok(NewTemplate {
        name: name.to_owned(),
        language: language.to_owned(),
        category,
        parameter_format,
        components,
        ttl_seconds,
    })
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

fn required_str<'a>(m: &'a Map<String, Value>, k: &str) -> Result<&'a str> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(bad(format!("The parameter {k} is required."))),
        Some(_) => Err(bad(format!("Param {k} must be a string."))),
    }
}

/// An optional enum field, accepted in any case and returned UPPERCASE.
fn upper_enum(m: &Map<String, Value>, k: &str, allowed: &[&str]) -> Result<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.to_ascii_uppercase().as_str()) => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(other) => Err(bad(format!("Param {k} must be one of {{{}}} - got {other}.", allowed.join(", ")))),
    }
}

/// `message_send_ttl_seconds` within the category's range (-1 = 30 days).
fn ttl(m: &Map<String, Value>, category: &str) -> Result<Option<i64>> {
    let Some(v) = m.get("message_send_ttl_seconds").filter(|v| !v.is_null()) else { return Ok(None) };
    let ttl = v.as_i64().ok_or_else(|| bad("Param message_send_ttl_seconds must be an integer."))?;
    let ok = match category {
        "AUTHENTICATION" => ttl == -1 || (30..=900).contains(&ttl),
        "UTILITY" => ttl == -1 || (30..=43_200).contains(&ttl),
        _ => (43_200..=2_592_000).contains(&ttl),
    };
    if !ok {
        return Err(bad(format!("Param message_send_ttl_seconds ({ttl}) is out of range for {category} templates.")));
    }
    Ok(Some(ttl))
}

// === placeholders ===

/// One `{{…}}` variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Var {
    Positional(u32),
    Named(String),
}

impl Var {
    fn label(&self) -> String {
        match self {
            Var::Positional(n) => n.to_string(),
            Var::Named(name) => name.clone(),
        }
    }
}

/// The distinct variables of `text`, in order of first appearance.
fn variables(text: &str) -> std::result::Result<Vec<Var>, String> {
    let mut vars: Vec<Var> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| "a variable is opened with {{ but never closed".to_owned())?;
        let inner = after[..close].trim();
        let var = if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            match inner.parse::<u32>() {
                Ok(n) if n > 0 => Var::Positional(n),
                _ => return Err(format!("{{{{{inner}}}}} is not a valid variable")),
            }
        } else if inner.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && inner.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Var::Named(inner.to_owned())
        } else {
            return Err(format!("{{{{{inner}}}}} is not a valid variable"));
        };
        if !vars.contains(&var) {
            vars.push(var);
        }
        rest = &after[close + 2..];
    }
    Ok(vars)
}

/// Checks variables against the parameter format: positional ones are
/// {{1}}…{{n}}, named ones need NAMED, and the two never mix.
fn check_variables(vars: &[Var], format: &str, path: &str) -> Result<()> {
    let named = vars.iter().filter(|v| matches!(v, Var::Named(_))).count();
    if named > 0 && named < vars.len() {
        return Err(bad(format!("{path}: named and positional variables cannot be mixed.")));
    }
    if named > 0 && format != "NAMED" {
        return Err(bad(format!("{path}: named variables need parameter_format NAMED.")));
    }
    if named == 0 && !vars.is_empty() {
        if format == "NAMED" {
            return Err(bad(format!("{path}: positional variables need parameter_format POSITIONAL.")));
        }
        let mut numbers: Vec<u32> =
            vars.iter().filter_map(|v| if let Var::Positional(n) = v { Some(*n) } else { None }).collect();
        numbers.sort_unstable();
        if numbers.iter().zip(1..).any(|(n, want)| *n != want) {
            return Err(bad(format!("{path}: variables must be sequential, starting at {{{{1}}}}.")));
        }
    }
    Ok(())
}

/// Whether two variables sit next to each other without text between them.
fn adjacent_variables(text: &str) -> bool {
    text.match_indices("}}").any(|(at, _)| text[at + 2..].trim_start().starts_with("{{"))
}

// === components (create / edit) ===

/// Validates and normalizes `components`; returns them with the parameter
/// format in force (inferred for seeded templates).
fn normalize_components(
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

// === review ===

/// Why the emulated review rejects a template, if it does: names starting
/// with `reject_`, and adjacent variables (Meta's INVALID_FORMAT).
fn verdict(t: &Template) -> Option<(String, String)> {
    if t.name.starts_with("reject_") {
        return Some((
            "The emulator rejects every template whose name starts with reject_.".into(),
            "Rename the template to have it approved.".into(),
        ));
    }
    let adjacent = t.components.iter().filter_map(|c| c.get("text").and_then(Value::as_str)).any(adjacent_variables);
    adjacent.then(|| {
        (
            "Two variables sit next to each other without text between them.".into(),
            "Put descriptive text or punctuation between variables.".into(),
        )
    })
}

/// Schedules the review of template `id` at its current review generation.
pub(crate) fn schedule_review(shared: &Arc<Shared>, id: String, review: u64) {
    shared.spawn_after(shared.config.template_review_delay, move |shared| {
        let mut inner = shared.lock();
        let Some(t) = inner.template_mut(&id) else { return };
        if t.review != review || t.status != "PENDING" {
            return;
        }
        let item = match verdict(t) {
            Some((reason, recommendation)) => {
                t.status = "REJECTED".into();
                t.rejected_reason = Some("INVALID_FORMAT".into());
                status_update(
                    t,
                    "REJECTED",
                    "INVALID_FORMAT",
                    [
                        ("message_template_category", json!(t.category)),
                        ("rejection_info", json!({"reason": reason, "recommendation": recommendation})),
                    ],
                )
            }
            None => {
                t.status = "APPROVED".into();
                t.rejected_reason = None;
                status_update(t, "APPROVED", "NONE", [("message_template_category", json!(t.category))])
            }
        };
        drop(inner);
        shared.webhooks.enqueue(Instant::now(), item);
    });
}

/// `message_template_id` as a JSON number, as Meta sends it.
fn id_number(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), Value::from)
}

/// A `message_template_status_update` webhook item.
fn status_update<const N: usize>(t: &Template, event: &str, reason: &str, extra: [(&str, Value); N]) -> Item {
    let mut value = Map::new();
    value.insert("event".into(), json!(event));
    value.insert("message_template_id".into(), id_number(&t.id));
    value.insert("message_template_name".into(), json!(t.name));
    value.insert("message_template_language".into(), json!(t.language));
    value.insert("reason".into(), json!(reason));
    for (k, v) in extra {
        value.insert(k.to_owned(), v);
    }
    Item::Template { field: "message_template_status_update", value: Value::Object(value), time: unix_now() }
}

// === handlers ===

/// `POST /{waba_id}/message_templates`.
pub(crate) fn create(shared: &Arc<Shared>, body: &Value) -> Result<Response> {
    let new = validate_new(body, Strictness::Create)?;
    let now = Instant::now();
    let mut inner = shared.lock();
    inner.deleted_names.retain(|_, at| now.duration_since(*at) < DELETED_NAME_BLOCK);
    if inner.templates.iter().any(|t| t.name == new.name && same_language(&t.language, &new.language)) {
        let mut e = bad(format!("Content in {} already exists for message template \"{}\".", new.language, new.name));
        e.subcode = Some(2_388_024);
        return Err(e);
    }
    if inner.deleted_names.contains_key(&(new.name.clone(), new.language.clone())) {
        let mut e = bad(format!(
            "Message template \"{}\" in {} was deleted; the name can be reused after 30 days.",
            new.name, new.language
        ));
        e.subcode = Some(2_388_023);
        return Err(e);
    }
    let template = new.into_template();
    let created = TemplateCreated {
        id: template.id.clone(),
        status: template.status.clone(),
        category: template.category.clone(),
    };
    let pending = in_review(&template);
    inner.templates.push(template);
    drop(inner);
    shared.webhooks.enqueue(Instant::now(), pending);
    schedule_review(shared, created.id.clone(), 1);
    Ok(wire::ok(&created))
}

/// The `PENDING` status update Meta posts when a template enters review
/// (created, or edited back into review).
fn in_review(t: &Template) -> Item {
    status_update(t, "PENDING", "NONE", [("message_template_category", json!(t.category))])
}

/// `POST /{template_id}` (§4.4); `None` when `id` is not a template.
pub(crate) fn edit(shared: &Arc<Shared>, id: &str, body: &Value) -> Option<Result<Response>> {
    let mut inner = shared.lock();
    let t = inner.template_mut(id)?;
    let result = apply_edit(t, body).map(|()| in_review(t));
    let review = t.review;
    drop(inner);
    Some(result.map(|pending| {
        shared.webhooks.enqueue(Instant::now(), pending);
        schedule_review(shared, id.to_owned(), review);
        wire::success()
    }))
}

fn apply_edit(t: &mut Template, body: &Value) -> Result<()> {
    let m = body.as_object().ok_or_else(|| bad("The request body must be a JSON object."))?;
    for fixed in ["name", "language"] {
        if m.contains_key(fixed) {
            return Err(bad(format!("Param {fixed} cannot be edited.")));
        }
    }
    if !["components", "category", "message_send_ttl_seconds"].iter().any(|k| m.contains_key(*k)) {
        return Err(bad("An edit needs components, category or message_send_ttl_seconds."));
    }
    if !["APPROVED", "REJECTED", "PAUSED"].contains(&t.status.as_str()) {
        return Err(bad(format!(
            "Only APPROVED, REJECTED or PAUSED templates can be edited; this one is {}.",
            t.status
        )));
    }
    let category =
        upper_enum(m, "category", &["MARKETING", "UTILITY", "AUTHENTICATION"])?.unwrap_or_else(|| t.category.clone());
    let now = Instant::now();
    if t.status == "APPROVED" {
        if category != t.category {
            return Err(bad("The category of an APPROVED template cannot be changed."));
        }
        let day = Duration::from_secs(24 * 3600);
        if t.approved_edits.iter().any(|at| now.duration_since(*at) < day) {
            return Err(bad("An APPROVED template can be edited once per 24 hours."));
        }
        if t.approved_edits.iter().filter(|at| now.duration_since(**at) < day * 30).count() >= 10 {
            return Err(bad("An APPROVED template can be edited 10 times per 30 days."));
        }
    }
    let components = match m.get("components") {
        Some(list) => Some(normalize_components(list, &category, Some(&t.parameter_format), Strictness::Create)?.0),
        None => None,
    };
    let ttl_seconds = ttl(m, &category)?;
    if t.status == "APPROVED" {
        t.approved_edits.push(now);
    }
    if let Some(components) = components {
        t.components = components;
    }
    if ttl_seconds.is_some() {
        t.ttl_seconds = ttl_seconds;
    }
    t.category = category;
    t.status = "PENDING".into();
    t.rejected_reason = None;
    t.review += 1;
    Ok(())
}

/// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]` (§4.5).
pub(crate) fn delete(shared: &Shared, query: &HashMap<String, String>) -> Result<Response> {
    let name = query.get("name").filter(|n| !n.is_empty()).ok_or_else(|| bad("The parameter name is required."))?;
    let hsm_id = query.get("hsm_id").filter(|h| !h.is_empty());
    let mut inner = shared.lock();
    let doomed: Vec<usize> = inner
        .templates
        .iter()
        .enumerate()
        .filter(|(_, t)| &t.name == name && hsm_id.is_none_or(|h| &t.id == h))
        .map(|(i, _)| i)
        .collect();
    if doomed.is_empty() {
        return Err(bad(match hsm_id {
            Some(h) => format!("Message template \"{name}\" has no translation with id {h}."),
            None => format!("Message template \"{name}\" does not exist."),
        }));
    }
    let now = Instant::now();
    for i in doomed.into_iter().rev() {
        let t = inner.templates.remove(i);
        if t.status == "APPROVED" {
            inner.deleted_names.insert((t.name, t.language), now);
        }
    }
    Ok(wire::success())
}

/// `GET /{template_id}`; `None` when `id` is not a template.
pub(crate) fn get(shared: &Shared, id: &str, query: &HashMap<String, String>) -> Option<Response> {
    let inner = shared.lock();
    let t = inner.template(id)?;
    let fields = requested_fields(query);
    Some(wire::ok(&render(t, fields.as_ref(), true)))
}

fn requested_fields(query: &HashMap<String, String>) -> Option<HashSet<String>> {
    query.get("fields").map(|f| f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// One template in Meta's field order; `single` is a `GET /{template_id}`,
/// which also shows the quality score by default.
fn render(t: &Template, fields: Option<&HashSet<String>>, single: bool) -> TemplateOut {
    let want = |f: &str| fields.is_none_or(|set| set.contains(f));
    let mut out = TemplateOut {
        name: want("name").then(|| t.name.clone()),
        parameter_format: want("parameter_format").then(|| t.parameter_format.clone()),
        components: want("components").then(|| Value::Array(t.components.clone())),
        language: want("language").then(|| t.language.clone()),
        status: want("status").then(|| t.status.clone()),
        category: want("category").then(|| t.category.clone()),
        id: t.id.clone(),
        ..TemplateOut::default()
    };
    match fields {
        None => {
            out.rejected_reason = t.rejected_reason.clone();
            out.quality_score = single.then(|| QualityScore { score: t.quality_score.clone(), date: t.quality_date });
        }
        Some(set) => {
            if set.contains("rejected_reason") {
                out.rejected_reason = Some(t.rejected_reason.clone().unwrap_or_else(|| "NONE".into()));
            }
            if set.contains("quality_score") {
                out.quality_score = Some(QualityScore { score: t.quality_score.clone(), date: t.quality_date });
            }
            if set.contains("message_send_ttl_seconds") {
                out.message_send_ttl_seconds = t.ttl_seconds;
            }
        }
    }
    out
}

/// `GET /{waba_id}/message_templates` with filters, cursors and `summary`.
pub(crate) fn list(shared: &Shared, original_path: &str, query: &HashMap<String, String>) -> Result<Response> {
    let limit = match query.get("limit") {
        None => 25,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => n.min(1000),
            _ => return Err(bad(format!("Param limit must be a positive integer; got \"{l}\"."))),
        },
    };
    let set = |k: &str| -> Option<Vec<String>> {
        query.get(k).map(|v| v.split(',').map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect())
    };
    let statuses = set("status");
    let categories = set("category").map(|c| {
        c.into_iter()
            .map(|c| match c.as_str() {
                "TRANSACTIONAL" | "ACCOUNT_UPDATE" | "ISSUE_RESOLUTION" => "UTILITY".to_owned(),
                "OTP" => "AUTHENTICATION".to_owned(),
                _ => c,
            })
            .collect::<Vec<_>>()
    });
    let languages: Option<Vec<String>> =
        query.get("language").map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let qualities = set("quality_score");
    let lower = |k: &str| query.get(k).map(|v| v.to_lowercase());
    let (name, content, name_or_content) = (lower("name"), lower("content"), lower("name_or_content"));

    let inner = shared.lock();
    let body_text = |t: &Template| {
        t.components
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("BODY"))
            .and_then(|c| c.get("text").and_then(Value::as_str))
            .unwrap_or_default()
            .to_lowercase()
    };
    let matching: Vec<&Template> = inner
        .templates
        .iter()
        .filter(|t| statuses.as_ref().is_none_or(|s| s.contains(&t.status)))
        .filter(|t| categories.as_ref().is_none_or(|c| c.contains(&t.category)))
        .filter(|t| languages.as_ref().is_none_or(|l| l.iter().any(|l| same_language(l, &t.language))))
        .filter(|t| qualities.as_ref().is_none_or(|q| q.contains(&t.quality_score)))
        .filter(|t| name.as_ref().is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|t| content.as_ref().is_none_or(|c| body_text(t).contains(c.as_str())))
        .filter(|t| {
            name_or_content.as_ref().is_none_or(|n| t.name.contains(n.as_str()) || body_text(t).contains(n.as_str()))
        })
        .collect();

    let position = |cursor: &str| -> Result<usize> {
        let id = decode_cursor(cursor).ok_or_else(|| bad(format!("Invalid cursor \"{cursor}\".")))?;
        matching.iter().position(|t| t.id == id).ok_or_else(|| bad(format!("Invalid cursor \"{cursor}\".")))
    };
    let (start, end) = match (query.get("after"), query.get("before")) {
        (Some(after), _) => {
            let start = position(after)? + 1;
            (start, (start + limit).min(matching.len()))
        }
        (None, Some(before)) => {
            let end = position(before)?;
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit.min(matching.len())),
    };
    let page = &matching[start..end];
    let fields = requested_fields(query);
    let data: Vec<TemplateOut> = page.iter().map(|t| render(t, fields.as_ref(), false)).collect();
    let paging = match (page.first(), page.last()) {
        (Some(first), Some(last)) => {
            let (before, after) = (encode_cursor(&first.id), encode_cursor(&last.id));
            let link = |key: &str, cursor: &str| page_link(&shared.base_url, original_path, query, limit, key, cursor);
            Some(Paging {
                previous: (start > 0).then(|| link("before", &before)),
                next: (end < matching.len()).then(|| link("after", &after)),
                cursors: Cursors { before, after },
            })
        }
        _ => None,
    };
    let summary = query.get("summary").map(|s| {
        let all = ["total_count", "message_template_count", "message_template_limit", "are_translations_complete"];
        let asked: Vec<&str> =
            if s == "true" || s == "1" { all.to_vec() } else { s.split(',').map(str::trim).collect() };
        let mut summary = Map::new();
        for k in asked {
            let v = match k {
                "total_count" => json!(matching.len()),
                "message_template_count" => json!(inner.templates.len()),
                "message_template_limit" => json!(TEMPLATE_LIMIT),
                "are_translations_complete" => json!(true),
                _ => continue,
            };
            summary.insert(k.to_owned(), v);
        }
        summary
    });
    Ok(wire::ok(&TemplateList { data, paging, summary }))
}

fn encode_cursor(id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("tpl:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("tpl:").map(str::to_owned)
}

/// A `paging.next`/`previous` URL: the same query with a new cursor.
fn page_link(base: &str, path: &str, query: &HashMap<String, String>, limit: usize, key: &str, cursor: &str) -> String {
    let mut pairs: Vec<(&str, String)> = query
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "after" | "before" | "limit"))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    pairs.sort();
    pairs.push(("limit", limit.to_string()));
    pairs.push((key, cursor.to_owned()));
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    format!("{base}{path}?{}", query.join("&"))
}

/// Percent-encodes a query component (commas kept, as Graph writes them).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// === admin changes ===

/// Moves a template to a new category and posts `template_category_update`.
pub(crate) fn set_category(shared: &Shared, id: &str, new_category: &str) -> Result<()> {
    let new_category = new_category.to_ascii_uppercase();
    if !["MARKETING", "UTILITY", "AUTHENTICATION"].contains(&new_category.as_str()) {
        return Err(bad("new_category must be MARKETING, UTILITY or AUTHENTICATION."));
    }
    let mut inner = shared.lock();
    let t = inner.template_mut(id).ok_or_else(|| GraphError::unknown_object("post", id))?;
    let previous = std::mem::replace(&mut t.category, new_category.clone());
    let value = json!({
        "message_template_id": id_number(&t.id),
        "message_template_name": t.name,
        "message_template_language": t.language,
        "previous_category": previous,
        "new_category": new_category,
    });
    drop(inner);
    shared
        .webhooks
        .enqueue(Instant::now(), Item::Template { field: "template_category_update", value, time: unix_now() });
    Ok(())
}

/// Changes a template's quality score and posts `message_template_quality_update`.
pub(crate) fn set_quality(shared: &Shared, id: &str, new_score: &str) -> Result<()> {
    let new_score = new_score.to_ascii_uppercase();
    if !["GREEN", "YELLOW", "RED", "UNKNOWN"].contains(&new_score.as_str()) {
        return Err(bad("new_quality_score must be GREEN, YELLOW, RED or UNKNOWN."));
    }
    let mut inner = shared.lock();
    let t = inner.template_mut(id).ok_or_else(|| GraphError::unknown_object("post", id))?;
    let previous = std::mem::replace(&mut t.quality_score, new_score.clone());
    t.quality_date = unix_now();
    let value = json!({
        "previous_quality_score": previous,
        "new_quality_score": new_score,
        "message_template_id": id_number(&t.id),
        "message_template_name": t.name,
        "message_template_language": t.language,
    });
    drop(inner);
    shared
        .webhooks
        .enqueue(Instant::now(), Item::Template { field: "message_template_quality_update", value, time: unix_now() });
    Ok(())
}

/// Sets a template's status (PAUSED, DISABLED, APPROVED…) and posts the
/// matching `message_template_status_update`.
pub(crate) fn set_status(shared: &Shared, id: &str, event: &str, reason: Option<&str>) -> Result<()> {
    const EVENTS: &[&str] =
        &["APPROVED", "REJECTED", "PAUSED", "DISABLED", "PENDING", "FLAGGED", "REINSTATED", "IN_APPEAL", "ARCHIVED"];
    let event = event.to_ascii_uppercase();
    if !EVENTS.contains(&event.as_str()) {
        return Err(bad(format!("event must be one of {}.", EVENTS.join(", "))));
    }
    let mut inner = shared.lock();
    let t = inner.template_mut(id).ok_or_else(|| GraphError::unknown_object("post", id))?;
    // FLAGGED is a warning and REINSTATED means approved again.
    match event.as_str() {
        "FLAGGED" => {}
        "REINSTATED" => t.status = "APPROVED".into(),
        _ => t.status = event.clone(),
    }
    let reason = reason
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| if event == "REJECTED" { "INVALID_FORMAT" } else { "NONE" }.into());
    if event == "REJECTED" {
        t.rejected_reason = Some(reason.clone());
    }
    let item = match event.as_str() {
        "PAUSED" => status_update(
            t,
            &event,
            &reason,
            [(
                "other_info",
                json!({"title": "FIRST_PAUSE", "description": "Your template has been paused for 3 hours because of low quality."}),
            )],
        ),
        _ => status_update(t, &event, &reason, [("message_template_category", json!(t.category))]),
    };
    drop(inner);
    shared.webhooks.enqueue(Instant::now(), item);
    Ok(())
}

// === sends ===

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
    use super::*;
    use crate::emulator::validate::{SendComponent, SendParam};

    fn create_body() -> Value {
        json!({
            "name": "order_shipped", "language": "en_US", "category": "utility", "parameter_format": "positional",
            "components": [
                {"type": "header", "format": "image", "example": {"header_handle": ["4::aW1h"]}},
                {"type": "body", "text": "Hi {{1}}, your order of {{2}} ships {{3}}.",
                    "example": {"body_text": [["Ana", "$84.50", "July 15"]]}},
                {"type": "footer", "text": "Example Outfitters"},
                {"type": "buttons", "buttons": [
                    {"type": "url", "text": "Track", "url": "https://x.example/t/{{1}}", "example": ["https://x.example/t/1"]},
                    {"type": "quick_reply", "text": "Stop updates"}]}
            ]
        })
    }

    #[test]
    fn create_input_is_case_insensitive_and_stored_uppercase() {
        let t = validate_new(&create_body(), Strictness::Create).expect("valid");
        assert_eq!((t.category.as_str(), t.parameter_format.as_str()), ("UTILITY", "POSITIONAL"));
        let types: Vec<_> = t.components.iter().filter_map(|c| c["type"].as_str()).collect();
        assert_eq!(types, ["HEADER", "BODY", "FOOTER", "BUTTONS"]);
        assert_eq!(t.components[0]["format"], "IMAGE");
        assert_eq!(t.components[3]["buttons"][1]["type"], "QUICK_REPLY");
    }

    fn create_error(mutate: impl FnOnce(&mut Value)) -> String {
        let mut body = create_body();
        mutate(&mut body);
        let e = validate_new(&body, Strictness::Create).expect_err("invalid");
        assert_eq!(e.code, 100);
        e.details.unwrap_or_default()
    }

    #[test]
    fn create_rules() {
        assert!(create_error(|b| b["name"] = json!("Order Shipped")).contains("lowercase"));
        assert!(create_error(|b| b["name"] = json!("a".repeat(513))).contains("512"));
        assert!(create_error(|b| b["category"] = json!("promo")).contains("category"));
        assert!(create_error(|b| b["language"] = json!("english")).contains("language"));
        assert!(create_error(|b| b["components"][1]["text"] = json!("Hi {{1}} and {{3}}")).contains("sequential"));
        assert!(create_error(|b| b["components"][1]["text"] = json!("Hi {{name}}")).contains("NAMED"));
        assert!(
            create_error(|b| b["components"][1]["example"] = json!({"body_text": [["a"]]})).contains("3 variables")
        );
        assert!(create_error(|b| b["components"][2]["text"] = json!("x".repeat(61))).contains("60"));
        assert!(create_error(|b| b["components"][0]["example"] = json!({})).contains("header_handle"));
        assert!(
            create_error(|b| {
                if let Some(components) = b["components"].as_array_mut() {
                    components.remove(1);
                }
            })
            .contains("BODY")
        );
        assert!(create_error(|b| b["components"][3]["buttons"][1]["text"] = json!("x".repeat(26))).contains("25"));
        assert!(create_error(|b| b["message_send_ttl_seconds"] = json!(10)).contains("out of range"));
        assert!(
            create_error(|b| b["components"][3]["buttons"] = json!([
            {"type": "QUICK_REPLY", "text": "a"}, {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1555"},
            {"type": "QUICK_REPLY", "text": "b"}]))
            .contains("grouped")
        );
        assert!(
            create_error(|b| b["components"][3]["buttons"][0]["url"] = json!("https://x.example/{{1}}/a"))
                .contains("end")
        );
    }

    #[test]
    fn named_templates_need_named_examples() {
        let body = json!({"name": "reservation", "language": "en_US", "category": "UTILITY", "parameter_format": "NAMED",
            "components": [{"type": "BODY", "text": "Table for {{party_size}} on {{visit_date}}.",
                "example": {"body_text_named_params": [{"param_name": "party_size", "example": "4"}]}}]});
        let e = validate_new(&body, Strictness::Create).expect_err("missing example");
        assert!(e.details.unwrap_or_default().contains("visit_date"));
        let seeded = validate_new(&body, Strictness::Seed).expect("seed skips examples");
        assert_eq!(seeded.parameter_format, "NAMED");
    }

    #[test]
    fn authentication_otp_buttons_are_stored_as_url() {
        let body = json!({"name": "login_code", "language": "en_US", "category": "AUTHENTICATION", "message_send_ttl_seconds": 600,
            "components": [{"type": "body", "add_security_recommendation": true},
                {"type": "FOOTER", "code_expiration_minutes": 10},
                {"type": "BUTTONS", "buttons": [{"type": "otp", "otp_type": "copy_code", "text": "Copy code"}]}]});
        let t = validate_new(&body, Strictness::Create).expect("valid");
        let button = &t.components[2]["buttons"][0];
        assert_eq!(button["type"], "URL");
        assert!(button["url"].as_str().is_some_and(|u| u.ends_with("code=otp{{1}}")));
        assert!(t.components[0]["text"].as_str().is_some_and(|b| b.starts_with("*{{1}}*")));
        assert_eq!(t.components[1]["text"], "This code expires in 10 minutes.");
    }

    #[test]
    fn variables_are_parsed() {
        assert_eq!(variables("Hi {{1}}, {{ 2 }} and {{1}}"), Ok(vec![Var::Positional(1), Var::Positional(2)]));
        assert_eq!(variables("{{guest_name}}"), Ok(vec![Var::Named("guest_name".into())]));
        assert!(variables("{{0}}").is_err());
        assert!(variables("{{Bad}}").is_err());
        assert!(variables("open {{1").is_err());
        assert!(adjacent_variables("{{1}} {{2}}"));
        assert!(!adjacent_variables("{{1}}, {{2}}"));
    }

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

    #[test]
    fn cursors_round_trip_and_links_keep_the_query() {
        assert_eq!(decode_cursor(&encode_cursor("123")), Some("123".into()));
        let query =
            HashMap::from([("fields".to_owned(), "name,status".to_owned()), ("after".to_owned(), "x".to_owned())]);
        let link = page_link("http://h", "/v25.0/1/message_templates", &query, 2, "after", "abc");
        assert_eq!(link, "http://h/v25.0/1/message_templates?fields=name,status&limit=2&after=abc");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
