//! A create request (§4.1): name, language, category, parameter format,
//! time-to-live and the components, checked and normalized.

use serde_json::{Map, Value};

use super::{NewTemplate, Result, Strictness, bad, components::normalize_components};

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
pub(super) fn upper_enum(m: &Map<String, Value>, k: &str, allowed: &[&str]) -> Result<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.to_ascii_uppercase().as_str()) => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(other) => Err(bad(format!("Param {k} must be one of {{{}}} - got {other}.", allowed.join(", ")))),
    }
}

/// `message_send_ttl_seconds` within the category's range (-1 = 30 days).
pub(super) fn ttl(m: &Map<String, Value>, category: &str) -> Result<Option<i64>> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::{samples, templates::tests::create_body};
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
    fn every_template_create_sample_is_accepted() {
        for (name, body) in samples::load("template-create-").into_iter().filter(|(n, _)| n.ends_with("-request.json"))
        {
            let t = validate_new(&body, Strictness::Create).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(t.category, body["category"].as_str().unwrap_or_default().to_ascii_uppercase(), "{name}");
        }
    }
}
