//! Placeholders of a new template's texts and the examples that go with them.

use std::collections::HashSet;

use crate::{
    grpc::convert::{Checker, is_parameter_name, quoted},
    pb,
    policy::templates::{self, UnclosedPlaceholder},
};

/// The distinct placeholders of `text` in order of first appearance, or what
/// is wrong with the first bad one. The reading is the send check's
/// ([`templates::placeholders`]); this adds what a new template must respect.
pub(super) fn placeholders(text: &str) -> Result<Vec<String>, String> {
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
pub(super) fn text_placeholders(
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
pub(super) fn check_examples(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::template_convert::testing::*;

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
}
