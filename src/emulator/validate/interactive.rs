//! Interactive messages (§2.4): reply buttons, lists, CTA URLs, flows,
//! location requests, products and catalogs, each with its header, body and
//! footer rules.

use std::collections::HashSet;

use serde_json::Value;

use super::{
    content::{MediaOptions, MediaRef, MediaUse, media, url},
    fields::{Object, Result, as_array, as_object, field, key, max_chars, one_of, opt_str, req, req_text},
};
use crate::emulator::errors::GraphError;

const INTERACTIVE_TYPES: &[&str] =
    &["button", "list", "cta_url", "flow", "location_request_message", "product", "product_list", "catalog_message"];

/// Which headers an interactive type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderRule {
    Forbidden,
    TextOnly,
    TextRequired,
    Any,
}

/// An `interactive` object: its type, header, body, footer and action.
pub(super) fn interactive(v: &Value, refs: &mut Vec<MediaRef>) -> Result<()> {
    const P: &str = "interactive";
    let o = as_object(v, P)?;
    let kind = match req(o, P, "type")? {
        Value::String(t) if INTERACTIVE_TYPES.contains(&t.as_str()) => t.as_str(),
        other => return Err(one_of("interactive['type']", INTERACTIVE_TYPES, other)),
    };
    let (header_rule, body_required, body_max) = match kind {
        "button" | "cta_url" | "flow" => (HeaderRule::Any, true, 1024),
        // Meta's list page allows 4096; the emulator accepts it (REFERENCE.md §2.4).
        "list" => (HeaderRule::TextOnly, true, 4096),
        "location_request_message" => (HeaderRule::Forbidden, true, 1024),
        "product" => (HeaderRule::Forbidden, false, 1024),
        "product_list" => (HeaderRule::TextRequired, true, 1024),
        _ => (HeaderRule::TextOnly, true, 1024),
    };

    match (field(o, "header"), header_rule) {
        (None, HeaderRule::TextRequired) => return Err(GraphError::missing_param("interactive['header']")),
        (None, _) => {}
        (Some(_), HeaderRule::Forbidden) => {
            return Err(GraphError::invalid_param(format!(
                "Param interactive['header'] is not supported for {kind} messages."
            )));
        }
        (Some(h), rule) => header(h, rule, refs)?,
    }
    match field(o, "body") {
        Some(b) => {
            let text = req_text(as_object(b, "interactive['body']")?, "interactive['body']", "text")?;
            max_chars(text, body_max, "interactive['body']['text']")?;
        }
        None if body_required => return Err(GraphError::missing_param("interactive['body']")),
        None => {}
    }
    if let Some(f) = field(o, "footer") {
        let text = req_text(as_object(f, "interactive['footer']")?, "interactive['footer']", "text")?;
        max_chars(text, 60, "interactive['footer']['text']")?;
    }

    let action_path = "interactive['action']";
    let action = as_object(req(o, P, "action")?, action_path)?;
    match kind {
        "button" => buttons(action),
        "list" => list(action),
        "cta_url" => {
            named_action(action, "cta_url")?;
            let p = "interactive['action']['parameters']";
            let params = as_object(req(action, action_path, "parameters")?, p)?;
            max_chars(req_text(params, p, "display_text")?, 20, &key(p, "display_text"))?;
            url(req_text(params, p, "url")?, &key(p, "url"))
        }
        "flow" => flow(action),
        "location_request_message" => named_action(action, "send_location"),
        "product" => {
            req_text(action, action_path, "catalog_id")?;
            req_text(action, action_path, "product_retailer_id")?;
            Ok(())
        }
        "product_list" => product_list(action),
        "catalog_message" => {
            named_action(action, "catalog_message")?;
            if let Some(params) = field(action, "parameters") {
                let p = "interactive['action']['parameters']";
                opt_str(as_object(params, p)?, p, "thumbnail_product_retailer_id")?;
            }
            Ok(())
        }
        _ => unreachable!("interactive type was checked against INTERACTIVE_TYPES"),
    }
}

fn header(v: &Value, rule: HeaderRule, refs: &mut Vec<MediaRef>) -> Result<()> {
    const P: &str = "interactive['header']";
    let h = as_object(v, P)?;
    let allowed: &[&str] = if rule == HeaderRule::Any { &["text", "image", "video", "document"] } else { &["text"] };
    let kind = match req(h, P, "type")? {
        Value::String(t) if allowed.contains(&t.as_str()) => t.as_str(),
        other => return Err(one_of("interactive['header']['type']", allowed, other)),
    };
    let used_as = match kind {
        "text" => return max_chars(req_text(h, P, "text")?, 60, "interactive['header']['text']"),
        "image" => MediaUse::Image,
        "video" => MediaUse::Video,
        _ => MediaUse::Document,
    };
    let path = key(P, kind);
    refs.extend(media(req(h, P, kind)?, &path, used_as, MediaOptions::DOCUMENT)?);
    Ok(())
}

fn named_action(action: &Object, name: &str) -> Result<()> {
    match req(action, "interactive['action']", "name")? {
        Value::String(n) if n == name => Ok(()),
        other => Err(one_of("interactive['action']['name']", &[name], other)),
    }
}

fn buttons(action: &Object) -> Result<()> {
    const P: &str = "interactive['action']['buttons']";
    let list = as_array(req(action, "interactive['action']", "buttons")?, P)?;
    if list.is_empty() || list.len() > 3 {
        return Err(GraphError::invalid_value(format!(
            "Param {P} must have between 1 and 3 buttons; got {}.",
            list.len()
        )));
    }
    let mut titles = HashSet::new();
    let mut ids = HashSet::new();
    for (i, b) in list.iter().enumerate() {
        let path = format!("{P}[{i}]");
        let b = as_object(b, &path)?;
        match req(b, &path, "type")? {
            Value::String(t) if t == "reply" => {}
            other => return Err(one_of(&key(&path, "type"), &["reply"], other)),
        }
        let reply_path = key(&path, "reply");
        let reply = as_object(req(b, &path, "reply")?, &reply_path)?;
        let id = req_text(reply, &reply_path, "id")?;
        max_chars(id, 256, &key(&reply_path, "id"))?;
        if id.trim() != id {
            return Err(GraphError::invalid_value(format!(
                "Param {} must not have leading or trailing spaces.",
                key(&reply_path, "id")
            )));
        }
        let title = req_text(reply, &reply_path, "title")?;
        max_chars(title, 20, &key(&reply_path, "title"))?;
        if !titles.insert(title) {
            return Err(GraphError::invalid_value(format!(
                "Button titles must be unique; {path} repeats \"{title}\"."
            )));
        }
        if !ids.insert(id) {
            return Err(GraphError::invalid_value(format!("Button ids must be unique; {path} repeats \"{id}\".")));
        }
    }
    Ok(())
}

fn list(action: &Object) -> Result<()> {
    const A: &str = "interactive['action']";
    max_chars(req_text(action, A, "button")?, 20, "interactive['action']['button']")?;
    let sections_path = key(A, "sections");
    let sections = as_array(req(action, A, "sections")?, &sections_path)?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::invalid_value(format!(
            "Param {sections_path} must have between 1 and 10 sections; got {}.",
            sections.len()
        )));
    }
    let mut rows_total = 0;
    let mut row_ids = HashSet::new();
    for (i, s) in sections.iter().enumerate() {
        let path = format!("{sections_path}[{i}]");
        let s = as_object(s, &path)?;
        match opt_str(s, &path, "title")? {
            Some(title) if !title.is_empty() => max_chars(title, 24, &key(&path, "title"))?,
            _ if sections.len() > 1 => return Err(GraphError::missing_param(&key(&path, "title"))),
            _ => {}
        }
        let rows_path = key(&path, "rows");
        let rows = as_array(req(s, &path, "rows")?, &rows_path)?;
        if rows.is_empty() {
            return Err(GraphError::invalid_value(format!("Param {rows_path} must have at least one row.")));
        }
        for (j, r) in rows.iter().enumerate() {
            let row_path = format!("{rows_path}[{j}]");
            let r = as_object(r, &row_path)?;
            let id = req_text(r, &row_path, "id")?;
            max_chars(id, 200, &key(&row_path, "id"))?;
            if !row_ids.insert(id) {
                return Err(GraphError::invalid_value(format!("Row ids must be unique; {row_path} repeats \"{id}\".")));
            }
            max_chars(req_text(r, &row_path, "title")?, 24, &key(&row_path, "title"))?;
            if let Some(d) = opt_str(r, &row_path, "description")? {
                max_chars(d, 72, &key(&row_path, "description"))?;
            }
        }
        rows_total += rows.len();
    }
    if rows_total > 10 {
        return Err(GraphError::invalid_value(format!("A list can have at most 10 rows in total; got {rows_total}.")));
    }
    Ok(())
}

fn flow(action: &Object) -> Result<()> {
    const P: &str = "interactive['action']['parameters']";
    named_action(action, "flow")?;
    let p = as_object(req(action, "interactive['action']", "parameters")?, P)?;
    match req(p, P, "flow_message_version")? {
        Value::String(v) if v == "3" => {}
        other => return Err(one_of(&key(P, "flow_message_version"), &["3"], other)),
    }
    match (opt_str(p, P, "flow_id")?, opt_str(p, P, "flow_name")?) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_value(format!(
                "Param {P} must contain only one of 'flow_id' or 'flow_name'."
            )));
        }
        (None, None) => {
            return Err(GraphError::missing(format!("The parameter {P}['flow_id'] or {P}['flow_name'] is required.")));
        }
        _ => {}
    }
    opt_str(p, P, "flow_token")?;
    // Meta's OpenAPI advises ≤30; the emulator accepts that (REFERENCE.md §2.4).
    let cta = req_text(p, P, "flow_cta")?;
    max_chars(cta, 30, &key(P, "flow_cta"))?;
    if cta.chars().any(is_emoji) {
        return Err(GraphError::invalid_value(format!("Param {} must not contain emoji.", key(P, "flow_cta"))));
    }
    if let Some(mode) = field(p, "mode") {
        match mode {
            Value::String(m) if m == "draft" || m == "published" => {}
            other => return Err(one_of(&key(P, "mode"), &["draft", "published"], other)),
        }
    }
    let navigate = match field(p, "flow_action") {
        None => true,
        Some(Value::String(a)) if a == "navigate" => true,
        Some(Value::String(a)) if a == "data_exchange" => false,
        Some(other) => return Err(one_of(&key(P, "flow_action"), &["navigate", "data_exchange"], other)),
    };
    if let Some(payload) = field(p, "flow_action_payload") {
        let path = key(P, "flow_action_payload");
        let payload = as_object(payload, &path)?;
        if navigate {
            req_text(payload, &path, "screen")?;
        }
        if let Some(data) = field(payload, "data") {
            let data_path = key(&path, "data");
            if as_object(data, &data_path)?.is_empty() {
                return Err(GraphError::invalid_value(format!("Param {data_path} must not be empty when present.")));
            }
        }
    }
    Ok(())
}

/// A rough emoji test: the pictographic and symbol blocks.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F)
}

fn product_list(action: &Object) -> Result<()> {
    const A: &str = "interactive['action']";
    req_text(action, A, "catalog_id")?;
    let sections_path = key(A, "sections");
    let sections = as_array(req(action, A, "sections")?, &sections_path)?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::invalid_value(format!(
            "Param {sections_path} must have between 1 and 10 sections; got {}.",
            sections.len()
        )));
    }
    let mut total = 0;
    for (i, s) in sections.iter().enumerate() {
        let path = format!("{sections_path}[{i}]");
        let s = as_object(s, &path)?;
        max_chars(req_text(s, &path, "title")?, 24, &key(&path, "title"))?;
        let items_path = key(&path, "product_items");
        let items = as_array(req(s, &path, "product_items")?, &items_path)?;
        if items.is_empty() {
            return Err(GraphError::invalid_value(format!("Param {items_path} must have at least one product.")));
        }
        for (j, item) in items.iter().enumerate() {
            let item_path = format!("{items_path}[{j}]");
            req_text(as_object(item, &item_path)?, &item_path, "product_retailer_id")?;
        }
        total += items.len();
    }
    if total > 30 {
        return Err(GraphError::invalid_value(format!(
            "A product list can have at most 30 products in total; got {total}."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::validate::{
        message_request,
        tests::{code_and_details, msg, send},
    };
    fn buttons(n: usize) -> Value {
        let list: Vec<Value> = (0..n)
            .map(|i| json!({"type":"reply","reply":{"id":format!("id{i}"),"title":format!("Title {i}")}}))
            .collect();
        json!({"type":"button","body":{"text":"pick"},"action":{"buttons":list}})
    }

    #[test]
    fn reply_buttons_are_one_to_three_with_unique_short_titles() {
        assert!(message_request(&msg("interactive", buttons(3))).is_ok());
        let (code, details) = code_and_details(msg("interactive", buttons(4)));
        assert_eq!(code, 131009);
        assert!(details.contains("interactive['action']['buttons']"), "{details}");
        assert_eq!(code_and_details(msg("interactive", buttons(0))).0, 131009);
        let mut dup = buttons(2);
        dup["action"]["buttons"][1]["reply"]["title"] = json!("Title 0");
        assert_eq!(code_and_details(msg("interactive", dup)).0, 131009);
        let mut long = buttons(1);
        long["action"]["buttons"][0]["reply"]["title"] = json!("x".repeat(21));
        let (code, details) = code_and_details(msg("interactive", long));
        assert_eq!(code, 131009);
        assert!(details.contains("interactive['action']['buttons'][0]['reply']['title']"), "{details}");
        let mut spaced = buttons(1);
        spaced["action"]["buttons"][0]["reply"]["id"] = json!(" a");
        assert_eq!(code_and_details(msg("interactive", spaced)).0, 131009);
        let mut no_body = buttons(1);
        no_body.as_object_mut().map(|o| o.remove("body"));
        assert_eq!(code_and_details(msg("interactive", no_body)).0, 131008);
    }

    fn list_message(sections: usize, rows_each: usize, body: &str) -> Value {
        let sections: Vec<Value> = (0..sections)
            .map(|s| {
                let rows: Vec<Value> =
                    (0..rows_each).map(|r| json!({"id":format!("r{s}-{r}"),"title":"Row","description":"d"})).collect();
                json!({"title":format!("S{s}"),"rows":rows})
            })
            .collect();
        json!({"type":"list","header":{"type":"text","text":"h"},"body":{"text":body},
            "action":{"button":"Choose","sections":sections}})
    }

    #[test]
    fn lists_allow_ten_rows_and_a_4096_body() {
        assert!(message_request(&msg("interactive", list_message(2, 5, &"b".repeat(4096)))).is_ok());
        assert_eq!(code_and_details(msg("interactive", list_message(2, 6, "b"))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", list_message(11, 0, "b"))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", list_message(1, 1, &"b".repeat(4097)))).0, 131009);
        let mut media_header = list_message(1, 1, "b");
        media_header["header"] = json!({"type":"image","image":{"link":"https://x.example/a.jpg"}});
        assert_eq!(code_and_details(msg("interactive", media_header)).0, 100);
        let mut untitled = list_message(2, 1, "b");
        untitled["action"]["sections"][1].as_object_mut().map(|o| o.remove("title"));
        assert_eq!(code_and_details(msg("interactive", untitled)).0, 131008);
    }

    #[test]
    fn cta_urls_and_flows_follow_their_limits() {
        let cta = |text: &str| {
            json!({"type":"cta_url","header":{"type":"image","image":{"id":"9"}},"body":{"text":"b"},
                "action":{"name":"cta_url","parameters":{"display_text":text,"url":"https://x.example"}}})
        };
        let s = send(msg("interactive", cta("Open")));
        assert_eq!(s.media.len(), 1);
        assert_eq!(code_and_details(msg("interactive", cta(&"x".repeat(21)))).0, 131009);

        let flow = |cta: &str| {
            json!({"type":"flow","body":{"text":"b"},"action":{"name":"flow","parameters":{
                "flow_message_version":"3","flow_id":"1","flow_cta":cta,"flow_action":"navigate",
                "flow_action_payload":{"screen":"WELCOME","data":{"k":"v"}}}}})
        };
        assert!(message_request(&msg("interactive", flow(&"x".repeat(30)))).is_ok());
        assert_eq!(code_and_details(msg("interactive", flow(&"x".repeat(31)))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", flow("Go 🚀"))).0, 131009);
        let mut both = flow("Go");
        both["action"]["parameters"]["flow_name"] = json!("n");
        assert_eq!(code_and_details(msg("interactive", both)).0, 131009);
        let mut empty_data = flow("Go");
        empty_data["action"]["parameters"]["flow_action_payload"]["data"] = json!({});
        assert_eq!(code_and_details(msg("interactive", empty_data)).0, 131009);
    }

    #[test]
    fn other_interactive_kinds() {
        let loc = json!({"type":"location_request_message","body":{"text":"where?"},"action":{"name":"send_location"}});
        assert!(message_request(&msg("interactive", loc)).is_ok());
        let product = json!({"type":"product","action":{"catalog_id":"1","product_retailer_id":"sku"}});
        assert!(message_request(&msg("interactive", product)).is_ok());
        let with_header = json!({"type":"product","header":{"type":"text","text":"h"},
            "action":{"catalog_id":"1","product_retailer_id":"sku"}});
        assert_eq!(code_and_details(msg("interactive", with_header)).0, 100);
        let items: Vec<Value> = (0..31).map(|i| json!({"product_retailer_id":format!("s{i}")})).collect();
        let plist = json!({"type":"product_list","header":{"type":"text","text":"h"},"body":{"text":"b"},
            "action":{"catalog_id":"1","sections":[{"title":"All","product_items":items}]}});
        assert_eq!(code_and_details(msg("interactive", plist)).0, 131009);
        assert_eq!(code_and_details(msg("interactive", json!({"type":"carousel_x","action":{}}))).0, 100);
    }
}
