//! Message templates: proto ⇄ Graph JSON, as pure functions.
//!
//! Create and edit requests are validated and converted in one walk, like
//! sends in [`super::convert`] (whose checker and JSON builder this reuses):
//! every rule of REFERENCE.md §4.1 that can be checked without Meta is
//! checked, each violation is reported under its proto field path
//! (`components[1].body.examples`), and a body is returned only when there is
//! none. Templates read from Graph become [`pb::Template`]s; components or
//! buttons the contract does not model keep their place with no kind, so
//! button indexes stay those Meta uses.

use std::collections::HashSet;

use serde_json::Value;

use super::convert::{Checker, Obj, is_http_url, is_parameter_name, quoted};
use crate::{
    error::FieldViolation,
    graph::{
        GraphTemplate,
        vocab::{
            parameter_format_from_graph, parameter_format_to_graph, quality_score_from_graph,
            template_category_from_graph, template_category_to_graph, template_status_from_graph,
        },
    },
    pb::{self, template_button::Kind as ButtonKind, template_component::Kind as ComponentKind},
    policy::templates::{self, UnclosedPlaceholder},
};

// === limits (REFERENCE.md §4.1, §4.4) ===

const NAME_MAX: usize = 512;
const HEADER_TEXT_MAX: usize = 60;
const BODY_TEXT_MAX: usize = 1024;
const FOOTER_TEXT_MAX: usize = 60;
const BUTTONS_MAX: usize = 10;
const BUTTON_TEXT_MAX: usize = 25;
const URL_MAX: usize = 2000;
const PHONE_MAX: usize = 20;
const COPY_CODE_MAX: usize = 15;
const CODE_EXPIRATION_MAX: u32 = 90;
/// How many buttons of each type a template may have.
const BUTTON_COUNTS: [(&str, usize); 5] =
    [("QUICK_REPLY", 10), ("URL", 2), ("PHONE_NUMBER", 1), ("COPY_CODE", 1), ("OTP", 1)];

// === create and edit ===

/// The Graph JSON body of `POST /{waba_id}/message_templates`.
///
/// # Errors
///
/// Every violation found, with its proto field path.
pub fn create_body(req: &pb::CreateTemplateRequest) -> Result<Value, Vec<FieldViolation>> {
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

    let mut body = Obj::new().set("name", req.name.as_str()).set("language", req.language.as_str());
    body = body.set("category", category.and_then(template_category_to_graph).unwrap_or_default());
    if req.parameter_format != 0 {
        body = body.set("parameter_format", parameter_format_to_graph(format));
    }
    let body = body
        .flag("allow_category_change", req.allow_category_change)
        .maybe("message_send_ttl_seconds", ttl)
        .set("components", components)
        .build();
    if violations.is_empty() { Ok(body) } else { Err(violations) }
}

/// The Graph JSON body of an edit (`POST /{template_id}`): what the request
/// changes, validated against the template's `current` category and
/// parameter format when it does not change them.
///
/// # Errors
///
/// Every violation found, with its proto field path; an edit that changes
/// nothing is one.
pub fn update_body(req: &pb::UpdateTemplateRequest, current: &GraphTemplate) -> Result<Value, Vec<FieldViolation>> {
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
    let mut body = Obj::new();
    if !req.components.is_empty() {
        let components = components(&mut c, &req.components, effective, Some(format));
        body = body.set("components", components);
    }
    if let Some(category) = category.and_then(template_category_to_graph) {
        body = body.set("category", category);
    }
    if let Some(ttl) = ttl(&mut c, req.message_send_ttl_seconds, effective) {
        body = body.set("message_send_ttl_seconds", ttl);
    }
    let body = body.build();
    if violations.is_empty() { Ok(body) } else { Err(violations) }
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

// === placeholders ===

/// The distinct placeholders of `text` in order of first appearance, or what
/// is wrong with the first bad one. The reading is the send check's
/// ([`templates::placeholders`]); this adds what a new template must respect.
fn placeholders(text: &str) -> Result<Vec<String>, String> {
    for name in templates::scan_placeholders(text) {
        let name = name.map_err(|UnclosedPlaceholder| "opens a placeholder with {{ that is never closed")?;
        let positional = !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit());
        if positional && name.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(format!("{{{{{name}}}}} is not a placeholder: positions start at {{{{1}}}}"));
        }
        if !positional && !is_parameter_name(name) {
            return Err(format!(
                "{{{{{name}}}}} is not a placeholder: use {{{{1}}}}, {{{{2}}}}… or lowercase names such as {{{{first_name}}}}"
            ));
        }
    }
    Ok(templates::placeholders(text))
}

/// Checks a text's placeholders against the format; returns them.
fn text_placeholders(
    c: &mut Checker<'_>,
    field: &str,
    text: &str,
    format: Option<pb::TemplateParameterFormat>,
) -> Vec<String> {
    let vars = match placeholders(text) {
        Ok(vars) => vars,
        Err(e) => {
            c.fail(field, e);
            return Vec::new();
        }
    };
    let named = vars.iter().filter(|v| !v.bytes().all(|b| b.is_ascii_digit())).count();
    match format {
        _ if named > 0 && named < vars.len() => c.fail(field, "mixes named and positional placeholders"),
        Some(pb::TemplateParameterFormat::Named) if named < vars.len() => {
            c.fail(field, "has positional placeholders, but parameter_format is NAMED: use {{lowercase_names}}");
        }
        Some(pb::TemplateParameterFormat::Positional) if named > 0 => {
            c.fail(field, "has named placeholders: set parameter_format NAMED, or use {{1}}, {{2}}…");
        }
        _ if named == 0 => {
            let mut numbers: Vec<u32> = vars.iter().filter_map(|v| v.parse().ok()).collect();
            numbers.sort_unstable();
            if numbers.iter().zip(1..).any(|(n, want)| *n != want) {
                c.fail(field, "must number its placeholders in sequence from {{1}}, without gaps");
            }
        }
        _ => {}
    }
    vars
}

/// Checks examples against placeholders: one positional example each, or a
/// named example for every name.
fn check_examples(
    c: &mut Checker<'_>,
    vars: &[String],
    named: bool,
    examples: &[String],
    named_examples: &[pb::NamedExample],
) {
    if vars.is_empty() {
        if !examples.is_empty() || !named_examples.is_empty() {
            c.fail("examples", "must be empty: the text has no placeholders");
        }
        return;
    }
    if named {
        if !examples.is_empty() {
            c.fail("examples", "must be empty for NAMED placeholders: use named_examples");
        }
        let given: HashSet<&str> = named_examples.iter().map(|e| e.param_name.as_str()).collect();
        for (i, e) in named_examples.iter().enumerate() {
            let mut c = c.item("named_examples", i);
            if !vars.contains(&e.param_name) {
                c.fail("param_name", format!("{} is not a placeholder of the text", quoted(&e.param_name)));
            }
            c.required("example", &e.example);
        }
        let missing: Vec<&str> = vars.iter().map(String::as_str).filter(|v| !given.contains(v)).collect();
        if !missing.is_empty() {
            c.fail("named_examples", format!("needs an example for {}", missing.join(", ")));
        }
        return;
    }
    if !named_examples.is_empty() {
        c.fail("named_examples", "must be empty for positional placeholders: use examples");
    }
    if examples.len() != vars.len() {
        c.fail(
            "examples",
            format!(
                "needs one example per placeholder, in order: {} placeholder(s), got {}",
                vars.len(),
                examples.len()
            ),
        );
    }
    for (i, e) in examples.iter().enumerate() {
        if e.is_empty() {
            c.item("examples", i).fail("", "must not be empty");
        }
    }
}

// === components ===

fn components(
    c: &mut Checker<'_>,
    list: &[pb::TemplateComponent],
    category: Option<pb::TemplateCategory>,
    format: Option<pb::TemplateParameterFormat>,
) -> Vec<Value> {
    let auth = category == Some(pb::TemplateCategory::Authentication);
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, component) in list.iter().enumerate() {
        let mut c = c.item("components", i);
        let (name, value) = match &component.kind {
            None => {
                c.fail("", "needs a kind: header, body, footer or buttons");
                continue;
            }
            Some(ComponentKind::Header(h)) => ("header", header(&mut c.at("header"), h, auth, format)),
            Some(ComponentKind::Body(b)) => ("body", body(&mut c.at("body"), b, auth, format)),
            Some(ComponentKind::Footer(f)) => ("footer", footer(&mut c.at("footer"), f, auth)),
            Some(ComponentKind::Buttons(b)) => ("buttons", buttons(&mut c.at("buttons"), b, auth)),
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            c.fail(name, format!("a template has at most one {name}; components[{first}] is one too"));
        } else {
            seen.push((name, i));
        }
        out.push(value);
    }
    let has = |name: &str| seen.iter().any(|(n, _)| *n == name);
    if !has("body") {
        c.fail("components", "needs a body");
    }
    if auth && !has("buttons") {
        c.fail("components", "authentication templates need buttons with one otp button");
    }
    out
}

fn header(
    c: &mut Checker<'_>,
    h: &pb::HeaderComponent,
    auth: bool,
    format: Option<pb::TemplateParameterFormat>,
) -> Value {
    use pb::HeaderFormat as F;
    if auth {
        c.fail("", "authentication templates have no header");
    }
    let kind = match F::try_from(h.format) {
        Ok(F::Unspecified) => {
            c.fail("format", "is required: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION");
            None
        }
        Ok(kind) => Some(kind),
        Err(_) => {
            c.fail("format", format!("has the unknown value {}", h.format));
            None
        }
    };
    let mut out = Obj::new().set("type", "HEADER");
    match kind {
        Some(F::Text) => {
            c.length("text", &h.text, 1, HEADER_TEXT_MAX);
            let vars = text_placeholders(c, "text", &h.text, format);
            if vars.len() > 1 {
                c.fail("text", format!("may hold at most one placeholder, got {}", vars.len()));
            }
            let named = format == Some(pb::TemplateParameterFormat::Named);
            check_examples(c, &vars, named, &h.examples, &h.named_examples);
            if !h.example_handles.is_empty() {
                c.fail("example_handles", "must be empty for a TEXT header");
            }
            out = out.set("format", "TEXT").set("text", h.text.as_str());
            if !vars.is_empty() {
                let example = if named {
                    Obj::new().set("header_text_named_params", named_examples(&h.named_examples))
                } else {
                    Obj::new().set("header_text", h.examples.clone())
                };
                out = out.set("example", example);
            }
        }
        Some(media @ (F::Image | F::Video | F::Document)) => {
            no_text(c, h);
            c.count("example_handles", h.example_handles.len(), 1, usize::MAX, "upload handle");
            for (i, handle) in h.example_handles.iter().enumerate() {
                if handle.is_empty() {
                    c.item("example_handles", i).fail("", "must not be empty");
                }
            }
            let name = media.as_str_name().trim_start_matches("HEADER_FORMAT_");
            out = out.set("format", name).set("example", Obj::new().set("header_handle", h.example_handles.clone()));
        }
        Some(F::Location) => {
            no_text(c, h);
            if !h.example_handles.is_empty() {
                c.fail("example_handles", "must be empty for a LOCATION header");
            }
            out = out.set("format", "LOCATION");
        }
        Some(F::Unspecified) | None => {}
    }
    out.build()
}

/// Media and location headers carry no text or text examples.
fn no_text(c: &mut Checker<'_>, h: &pb::HeaderComponent) {
    if !h.text.is_empty() {
        c.fail("text", "must be empty: only TEXT headers have text");
    }
    if !h.examples.is_empty() || !h.named_examples.is_empty() {
        c.fail("examples", "must be empty: only TEXT headers have text examples");
    }
}

fn named_examples(examples: &[pb::NamedExample]) -> Vec<Value> {
    examples
        .iter()
        .map(|e| Obj::new().set("param_name", e.param_name.as_str()).set("example", e.example.as_str()).build())
        .collect()
}

fn body(c: &mut Checker<'_>, b: &pb::BodyComponent, auth: bool, format: Option<pb::TemplateParameterFormat>) -> Value {
    let out = Obj::new().set("type", "BODY");
    if auth {
        // Meta writes the text of authentication templates itself.
        if !b.text.is_empty() {
            c.fail("text", "must be empty: Meta writes the text of authentication templates");
        }
        if !b.examples.is_empty() || !b.named_examples.is_empty() {
            c.fail("examples", "must be empty for authentication templates");
        }
        return out.flag("add_security_recommendation", b.add_security_recommendation).build();
    }
    if b.add_security_recommendation {
        c.fail("add_security_recommendation", "is only for authentication templates");
    }
    c.length("text", &b.text, 1, BODY_TEXT_MAX);
    let vars = text_placeholders(c, "text", &b.text, format);
    let named = format == Some(pb::TemplateParameterFormat::Named);
    check_examples(c, &vars, named, &b.examples, &b.named_examples);
    let out = out.set("text", b.text.as_str());
    if vars.is_empty() {
        return out.build();
    }
    let example = if named {
        Obj::new().set("body_text_named_params", named_examples(&b.named_examples))
    } else {
        // One inner array: the examples of one rendering.
        Obj::new().set("body_text", vec![b.examples.clone()])
    };
    out.set("example", example).build()
}

fn footer(c: &mut Checker<'_>, f: &pb::FooterComponent, auth: bool) -> Value {
    let out = Obj::new().set("type", "FOOTER");
    if auth {
        if !f.text.is_empty() {
            c.fail("text", "must be empty: authentication footers show the code's expiry (code_expiration_minutes)");
        }
        if !(1..=CODE_EXPIRATION_MAX).contains(&f.code_expiration_minutes) {
            c.fail(
                "code_expiration_minutes",
                format!("must be 1 to {CODE_EXPIRATION_MAX}, got {}", f.code_expiration_minutes),
            );
        }
        return out.set("code_expiration_minutes", f.code_expiration_minutes).build();
    }
    c.length("text", &f.text, 1, FOOTER_TEXT_MAX);
    if f.text.contains("{{") {
        c.fail("text", "must not hold placeholders");
    }
    if f.code_expiration_minutes != 0 {
        c.fail("code_expiration_minutes", "is only for authentication templates");
    }
    out.set("text", f.text.as_str()).build()
}

fn buttons(c: &mut Checker<'_>, b: &pb::ButtonsComponent, auth: bool) -> Value {
    c.count("buttons", b.buttons.len(), 1, BUTTONS_MAX, "button");
    let mut kinds: Vec<&'static str> = Vec::with_capacity(b.buttons.len());
    let mut out = Vec::with_capacity(b.buttons.len());
    for (i, button) in b.buttons.iter().enumerate() {
        let mut c = c.item("buttons", i);
        let Some(kind) = &button.kind else {
            c.fail("", "needs a kind: quick_reply, url, phone_number, copy_code, otp or flow");
            continue;
        };
        let (name, value) = one_button(&mut c, kind);
        if auth != (name == "OTP") {
            c.fail(
                "",
                if auth {
                    "authentication templates take one otp button and nothing else"
                } else {
                    "otp buttons are only for authentication templates"
                },
            );
        }
        kinds.push(name);
        out.push(value);
    }
    for (kind, max) in BUTTON_COUNTS {
        let n = kinds.iter().filter(|k| **k == kind).count();
        if n > max {
            c.fail("buttons", format!("may hold at most {max} {kind} button(s), got {n}"));
        }
    }
    // Quick replies are grouped together, not interleaved with other types.
    let first = kinds.iter().position(|k| *k == "QUICK_REPLY");
    let last = kinds.iter().rposition(|k| *k == "QUICK_REPLY");
    if let (Some(first), Some(last)) = (first, last)
        && kinds[first..=last].iter().any(|k| *k != "QUICK_REPLY")
    {
        c.fail("buttons", "must keep quick_reply buttons together, not between other buttons");
    }
    Obj::new().set("type", "BUTTONS").set("buttons", out).build()
}

fn one_button(c: &mut Checker<'_>, kind: &ButtonKind) -> (&'static str, Value) {
    match kind {
        ButtonKind::QuickReply(b) => {
            let mut c = c.at("quick_reply");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            ("QUICK_REPLY", Obj::new().set("type", "QUICK_REPLY").set("text", b.text.as_str()).build())
        }
        ButtonKind::Url(b) => {
            let mut c = c.at("url");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            c.http_url("url", &b.url);
            c.length("url", &b.url, 0, URL_MAX);
            let vars = placeholders(&b.url).unwrap_or_else(|e| {
                c.fail("url", e);
                Vec::new()
            });
            let dynamic = !vars.is_empty();
            if dynamic && (vars != ["1"] || !b.url.trim_end().ends_with("}}") || b.url.matches("{{").count() > 1) {
                c.fail("url", "may hold one placeholder, {{1}}, at its end");
            }
            if dynamic && c.required("example", &b.example) && !is_http_url(&b.example) {
                c.fail("example", format!("must be a full example URL, got {}", quoted(&b.example)));
            }
            if !dynamic && !b.example.is_empty() {
                c.fail("example", "must be empty: the URL has no placeholder");
            }
            let out = Obj::new().set("type", "URL").set("text", b.text.as_str()).set("url", b.url.as_str());
            let out = if dynamic { out.set("example", vec![b.example.clone()]) } else { out };
            ("URL", out.build())
        }
        ButtonKind::PhoneNumber(b) => {
            let mut c = c.at("phone_number");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            c.length("phone_number", &b.phone_number, 1, PHONE_MAX);
            let out = Obj::new()
                .set("type", "PHONE_NUMBER")
                .set("text", b.text.as_str())
                .set("phone_number", b.phone_number.as_str());
            ("PHONE_NUMBER", out.build())
        }
        ButtonKind::CopyCode(b) => {
            c.at("copy_code").length("example", &b.example, 1, COPY_CODE_MAX);
            ("COPY_CODE", Obj::new().set("type", "COPY_CODE").set("example", b.example.as_str()).build())
        }
        ButtonKind::Otp(b) => ("OTP", otp_button(&mut c.at("otp"), b)),
        ButtonKind::Flow(b) => {
            let mut c = c.at("flow");
            c.length("text", &b.text, 1, BUTTON_TEXT_MAX);
            match (b.flow_id.is_empty(), b.flow_name.is_empty()) {
                (true, true) => c.fail("flow_id", "is required: set flow_id or flow_name"),
                (false, false) => c.fail("flow_name", "must be empty when flow_id is set: name the flow one way"),
                _ => {}
            }
            if !matches!(b.flow_action.as_str(), "" | "navigate" | "data_exchange") {
                c.fail("flow_action", format!("must be navigate or data_exchange, got {}", quoted(&b.flow_action)));
            }
            if !b.navigate_screen.is_empty() && b.flow_action == "data_exchange" {
                c.fail("navigate_screen", "is only for the navigate action");
            }
            let out = Obj::new()
                .set("type", "FLOW")
                .set("text", b.text.as_str())
                .non_empty("flow_id", &b.flow_id)
                .non_empty("flow_name", &b.flow_name)
                .non_empty("flow_action", &b.flow_action)
                .non_empty("navigate_screen", &b.navigate_screen);
            ("FLOW", out.build())
        }
    }
}

fn otp_button(c: &mut Checker<'_>, b: &pb::OtpButton) -> Value {
    use pb::OtpType as T;
    let otp_type = match T::try_from(b.otp_type) {
        Ok(T::Unspecified) => {
            c.fail("otp_type", "is required: COPY_CODE, ONE_TAP or ZERO_TAP");
            None
        }
        Ok(t) => Some(t),
        Err(_) => {
            c.fail("otp_type", format!("has the unknown value {}", b.otp_type));
            None
        }
    };
    c.length("text", &b.text, 0, BUTTON_TEXT_MAX);
    c.length("autofill_text", &b.autofill_text, 0, BUTTON_TEXT_MAX);
    let tap = matches!(otp_type, Some(T::OneTap | T::ZeroTap));
    if tap {
        c.count("supported_apps", b.supported_apps.len(), 1, usize::MAX, "app");
    }
    let mut apps = Vec::with_capacity(b.supported_apps.len());
    for (i, app) in b.supported_apps.iter().enumerate() {
        let mut c = c.item("supported_apps", i);
        c.required("package_name", &app.package_name);
        c.required("signature_hash", &app.signature_hash);
        apps.push(
            Obj::new()
                .set("package_name", app.package_name.as_str())
                .set("signature_hash", app.signature_hash.as_str())
                .build(),
        );
    }
    let name = otp_type.map_or("", |t| t.as_str_name().trim_start_matches("OTP_TYPE_"));
    Obj::new()
        .set("type", "OTP")
        .set("otp_type", name)
        .non_empty("text", &b.text)
        .non_empty("autofill_text", &b.autofill_text)
        .maybe("supported_apps", (!apps.is_empty()).then_some(apps))
        .build()
}

// === Graph → proto ===

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
    use serde_json::json;

    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            serde_json::from_str::<Value>(include_str!(concat!("../../tests/fixtures/cloud-api/", $name, ".json")))
                .expect(concat!($name, " is JSON"))
        };
    }

    fn component(kind: ComponentKind) -> pb::TemplateComponent {
        pb::TemplateComponent { kind: Some(kind) }
    }

    fn button(kind: ButtonKind) -> pb::TemplateButton {
        pb::TemplateButton { kind: Some(kind) }
    }

    fn named(name: &str, example: &str) -> pb::NamedExample {
        pb::NamedExample { param_name: name.into(), example: example.into() }
    }

    fn order_shipped() -> pb::CreateTemplateRequest {
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

    fn reservation() -> pb::CreateTemplateRequest {
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

    fn login_code() -> pb::CreateTemplateRequest {
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
                component(ComponentKind::Footer(pb::FooterComponent {
                    text: String::new(),
                    code_expiration_minutes: 10,
                })),
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

    fn violations(req: &pb::CreateTemplateRequest) -> Vec<FieldViolation> {
        create_body(req).expect_err("violations")
    }

    fn violation(req: &pb::CreateTemplateRequest, field: &str) -> String {
        let all = violations(req);
        all.iter()
            .find(|v| v.field == field)
            .unwrap_or_else(|| panic!("no violation at {field}: {all:?}"))
            .description
            .clone()
    }

    #[test]
    fn placeholder_names_are_checked_on_the_shared_reading() {
        assert_eq!(placeholders("{{2}} {{1}} {{ 2 }}"), Ok(vec!["2".to_owned(), "1".to_owned()]));
        assert_eq!(placeholders("Hi {{first_name}}"), Ok(vec!["first_name".to_owned()]));
        assert!(placeholders("Hi {{Bad}} and {{1").unwrap_err().contains("{{Bad}} is not a placeholder"));
        assert!(placeholders("Hi {{1}} and {{2").unwrap_err().contains("never closed"));
        assert!(placeholders("Hi {{}}").unwrap_err().contains("{{}} is not a placeholder"));
        assert!(placeholders("Hi {{0}}").unwrap_err().contains("positions start at {{1}}"));
    }

    #[test]
    fn create_bodies_match_the_samples() {
        assert_eq!(create_body(&order_shipped()).unwrap(), fixture!("template-create-request"));
        assert_eq!(create_body(&reservation()).unwrap(), fixture!("template-create-named-request"));
        assert_eq!(create_body(&login_code()).unwrap(), fixture!("template-create-authentication-request"));
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
    fn placeholders_and_examples_are_checked() {
        let body = |text: &str, examples: &[&str]| {
            let mut req = order_shipped();
            req.components[1] = component(ComponentKind::Body(pb::BodyComponent {
                text: text.into(),
                examples: examples.iter().map(|e| (*e).to_owned()).collect(),
                ..Default::default()
            }));
            req
        };
        assert!(violation(&body("Hi {{1}} and {{3}}", &["a", "b"]), "components[1].body.text").contains("sequence"));
        assert!(violation(&body("Hi {{1}}", &[]), "components[1].body.examples").contains("1 placeholder(s), got 0"));
        assert!(violation(&body("Hi {{name}}", &["a"]), "components[1].body.text").contains("NAMED"));
        assert!(violation(&body("Hi {{1}", &[]), "components[1].body.text").contains("never closed"));
        assert!(violation(&body("Hi {{Bad Name}}", &["a"]), "components[1].body.text").contains("not a placeholder"));
        assert!(violation(&body("Hi", &["x"]), "components[1].body.examples").contains("no placeholders"));
        assert!(violation(&body(&"x".repeat(1025), &[]), "components[1].body.text").contains("1024"));

        let mut named = reservation();
        if let Some(ComponentKind::Body(b)) = &mut named.components[1].kind {
            b.named_examples.pop();
        }
        assert!(violation(&named, "components[1].body.named_examples").contains("visit_date"));
    }

    #[test]
    fn components_are_checked() {
        let mut req = order_shipped();
        req.components.remove(1);
        assert!(violation(&req, "components").contains("needs a body"));
        let mut req = order_shipped();
        req.components.push(req.components[2].clone());
        assert!(violation(&req, "components[4].footer").contains("at most one footer"));
        let mut req = order_shipped();
        if let Some(ComponentKind::Header(h)) = &mut req.components[0].kind {
            h.example_handles.clear();
        }
        assert!(violation(&req, "components[0].header.example_handles").contains("upload handle"));
        let mut req = order_shipped();
        if let Some(ComponentKind::Footer(f)) = &mut req.components[2].kind {
            f.text = "x".repeat(61);
        }
        assert!(violation(&req, "components[2].footer.text").contains("60"));
    }

    #[test]
    fn buttons_are_checked() {
        let with_buttons = |buttons: Vec<pb::TemplateButton>| {
            let mut req = order_shipped();
            req.components[3] = component(ComponentKind::Buttons(pb::ButtonsComponent { buttons }));
            req
        };
        let qr = |t: &str| button(ButtonKind::QuickReply(pb::QuickReplyButton { text: t.into() }));
        let call = button(ButtonKind::PhoneNumber(pb::PhoneNumberButton {
            text: "Call".into(),
            phone_number: "+15551234".into(),
        }));
        let req = with_buttons(vec![qr("a"), call.clone(), qr("b")]);
        assert!(violation(&req, "components[3].buttons.buttons").contains("together"));
        let req = with_buttons(vec![qr(&"x".repeat(26))]);
        assert!(violation(&req, "components[3].buttons.buttons[0].quick_reply.text").contains("25"));
        let url = |url: &str, example: &str| {
            button(ButtonKind::Url(pb::UrlButton { text: "Go".into(), url: url.into(), example: example.into() }))
        };
        let req = with_buttons(vec![url("https://x.example/{{1}}/a", "https://x.example/1/a")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.url").contains("at its end"));
        let req = with_buttons(vec![url("https://x.example/{{1}}", "")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.example").contains("required"));
        let req = with_buttons(vec![url("ftp://x", "")]);
        assert!(violation(&req, "components[3].buttons.buttons[0].url.url").contains("http"));
        let req = with_buttons(vec![call.clone(), call]);
        assert!(violation(&req, "components[3].buttons.buttons").contains("at most 1 PHONE_NUMBER"));
        let otp = button(ButtonKind::Otp(pb::OtpButton { otp_type: 1, ..Default::default() }));
        let req = with_buttons(vec![otp]);
        assert!(violation(&req, "components[3].buttons.buttons[0]").contains("only for authentication"));
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
        let current: GraphTemplate = serde_json::from_value(fixture!("template-get-response")).unwrap();
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
        assert_eq!(update_body(&req, &current).unwrap(), fixture!("template-edit-request"));
        let ttl_only = pb::UpdateTemplateRequest {
            template_id: current.id.clone(),
            message_send_ttl_seconds: 3600,
            ..Default::default()
        };
        assert_eq!(update_body(&ttl_only, &current).unwrap(), json!({"message_send_ttl_seconds": 3600}));
        let nothing = pb::UpdateTemplateRequest { template_id: current.id.clone(), ..Default::default() };
        let violations = update_body(&nothing, &current).unwrap_err();
        assert!(violations[0].description.contains("changes nothing"), "{violations:?}");
    }

    #[test]
    fn graph_templates_become_protos_and_back() {
        let graph: GraphTemplate = serde_json::from_value(fixture!("template-get-response")).unwrap();
        let t = template_from_graph(&graph, "109348720013455");
        assert_eq!(t.status(), pb::TemplateStatus::Approved);
        assert_eq!(t.category(), pb::TemplateCategory::Utility);
        assert_eq!(t.quality_score(), pb::QualityScore::Green);
        assert_eq!(t.parameter_format(), pb::TemplateParameterFormat::Positional);
        assert_eq!(t.waba_id, "109348720013455");
        // What Graph returns can be sent back as a create.
        let mut sample = fixture!("template-create-request");
        sample["components"][0]["example"]["header_handle"] = graph.components[0]["example"]["header_handle"].clone();
        let again = pb::CreateTemplateRequest {
            name: t.name.clone(),
            language: t.language.clone(),
            category: t.category,
            parameter_format: t.parameter_format,
            components: t.components.clone(),
            ..Default::default()
        };
        assert_eq!(create_body(&again).unwrap(), sample);
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
