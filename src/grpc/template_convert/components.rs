//! A new template's components: header, body, footer and buttons, and the
//! rules of their category (authentication templates are written by Meta).

use serde_json::Value;

use super::{
    buttons::buttons,
    placeholders::{check_examples, text_placeholders},
};
use crate::{
    grpc::convert::{Checker, Obj},
    pb::{self, template_component::Kind as ComponentKind},
};

const HEADER_TEXT_MAX: usize = 60;
const BODY_TEXT_MAX: usize = 1024;
const FOOTER_TEXT_MAX: usize = 60;
const CODE_EXPIRATION_MAX: u32 = 90;

pub(super) fn components(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::template_convert::testing::*;

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
}
