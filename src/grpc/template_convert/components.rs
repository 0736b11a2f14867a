//! A new template's components: header, body, footer and buttons, and the
//! rules of their category (authentication templates are written by Meta).

use super::{
    buttons::buttons,
    placeholders::{check_examples, text_placeholders},
};
use crate::{
    graph::templates::{
        BodyExample, BodySpec, ComponentSpec, FooterSpec, HeaderHandles, HeaderSpec, HeaderTextExample, NamedExample,
    },
    grpc::convert::Checker,
    pb::{self, template_component::Kind as ComponentKind},
};

const HEADER_TEXT_MAX: usize = 60;
const BODY_TEXT_MAX: usize = 1024;
const FOOTER_TEXT_MAX: usize = 60;
const CODE_EXPIRATION_MAX: u32 = 90;

/// The components, at most one of each kind, with a body; `None` (reported)
/// when one could not be built.
pub(super) fn components<'a>(
    c: &mut Checker<'_>,
    list: &'a [pb::TemplateComponent],
    category: Option<pb::TemplateCategory>,
    format: Option<pb::TemplateParameterFormat>,
) -> Option<Vec<ComponentSpec<'a>>> {
    let auth = category == Some(pb::TemplateCategory::Authentication);
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, component) in list.iter().enumerate() {
        let mut c = c.item("components", i);
        let (name, spec) = match &component.kind {
            None => {
                c.fail("", "needs a kind: header, body, footer or buttons");
                out.push(None);
                continue;
            }
            Some(ComponentKind::Header(h)) => {
                ("header", header(&mut c.at("header"), h, auth, format).map(ComponentSpec::Header))
            }
            Some(ComponentKind::Body(b)) => {
                ("body", Some(ComponentSpec::Body(body(&mut c.at("body"), b, auth, format))))
            }
            Some(ComponentKind::Footer(f)) => {
                ("footer", Some(ComponentSpec::Footer(footer(&mut c.at("footer"), f, auth))))
            }
            Some(ComponentKind::Buttons(b)) => {
                ("buttons", buttons(&mut c.at("buttons"), b, auth).map(|buttons| ComponentSpec::Buttons { buttons }))
            }
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            c.fail(name, format!("a template has at most one {name}; components[{first}] is one too"));
        } else {
            seen.push((name, i));
        }
        out.push(spec);
    }
    let has = |name: &str| seen.iter().any(|(n, _)| *n == name);
    if !has("body") {
        c.fail("components", "needs a body");
    }
    if auth && !has("buttons") {
        c.fail("components", "authentication templates need buttons with one otp button");
    }
    out.into_iter().collect()
}

/// The header; `None` (reported) when its format is unset or unknown.
fn header<'a>(
    c: &mut Checker<'_>,
    h: &'a pb::HeaderComponent,
    auth: bool,
    format: Option<pb::TemplateParameterFormat>,
) -> Option<HeaderSpec<'a>> {
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
    match kind? {
        F::Text => {
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
            let example = (!vars.is_empty()).then(|| {
                if named {
                    HeaderTextExample::Named(named_examples(&h.named_examples))
                } else {
                    HeaderTextExample::Positional(&h.examples)
                }
            });
            Some(HeaderSpec::Text { text: &h.text, example })
        }
        media @ (F::Image | F::Video | F::Document) => {
            no_text(c, h);
            c.count("example_handles", h.example_handles.len(), 1, usize::MAX, "upload handle");
            for (i, handle) in h.example_handles.iter().enumerate() {
                if handle.is_empty() {
                    c.item("example_handles", i).fail("", "must not be empty");
                }
            }
            let example = HeaderHandles { header_handle: &h.example_handles };
            Some(match media {
                F::Image => HeaderSpec::Image { example },
                F::Video => HeaderSpec::Video { example },
                _ => HeaderSpec::Document { example },
            })
        }
        F::Location => {
            no_text(c, h);
            if !h.example_handles.is_empty() {
                c.fail("example_handles", "must be empty for a LOCATION header");
            }
            Some(HeaderSpec::Location)
        }
        F::Unspecified => None,
    }
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

fn named_examples(examples: &[pb::NamedExample]) -> Vec<NamedExample<'_>> {
    examples.iter().map(|e| NamedExample { param_name: &e.param_name, example: &e.example }).collect()
}

fn body<'a>(
    c: &mut Checker<'_>,
    b: &'a pb::BodyComponent,
    auth: bool,
    format: Option<pb::TemplateParameterFormat>,
) -> BodySpec<'a> {
    if auth {
        // Meta writes the text of authentication templates itself.
        if !b.text.is_empty() {
            c.fail("text", "must be empty: Meta writes the text of authentication templates");
        }
        if !b.examples.is_empty() || !b.named_examples.is_empty() {
            c.fail("examples", "must be empty for authentication templates");
        }
        return BodySpec { text: None, add_security_recommendation: b.add_security_recommendation, example: None };
    }
    if b.add_security_recommendation {
        c.fail("add_security_recommendation", "is only for authentication templates");
    }
    c.length("text", &b.text, 1, BODY_TEXT_MAX);
    let vars = text_placeholders(c, "text", &b.text, format);
    let named = format == Some(pb::TemplateParameterFormat::Named);
    check_examples(c, &vars, named, &b.examples, &b.named_examples);
    let example = (!vars.is_empty()).then(|| {
        if named {
            BodyExample::Named(named_examples(&b.named_examples))
        } else {
            // One inner array: the examples of one rendering.
            BodyExample::Positional([&b.examples])
        }
    });
    BodySpec { text: Some(&b.text), add_security_recommendation: false, example }
}

fn footer<'a>(c: &mut Checker<'_>, f: &'a pb::FooterComponent, auth: bool) -> FooterSpec<'a> {
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
        return FooterSpec { text: None, code_expiration_minutes: Some(f.code_expiration_minutes) };
    }
    c.length("text", &f.text, 1, FOOTER_TEXT_MAX);
    if f.text.contains("{{") {
        c.fail("text", "must not hold placeholders");
    }
    if f.code_expiration_minutes != 0 {
        c.fail("code_expiration_minutes", "is only for authentication templates");
    }
    FooterSpec { text: Some(&f.text), code_expiration_minutes: None }
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
