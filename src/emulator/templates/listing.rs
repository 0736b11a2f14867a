//! Templates as `GET` shows them: Meta's field order and `fields=`
//! selection, list filters, cursor paging with `next`/`previous` links that
//! keep the query, and `summary`.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{Result, Template, bad};
use crate::emulator::{
    ids::same_language,
    wire::{Cursors, Paging, QualityScore, TemplateList, TemplateOut},
};

/// Meta's per-WABA template limit for an unverified business.
const TEMPLATE_LIMIT: u64 = 250;

pub(crate) fn requested_fields(query: &HashMap<String, String>) -> Option<HashSet<String>> {
    query.get("fields").map(|f| f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// One template in Meta's field order; `single` is a `GET /{template_id}`,
/// which also shows the quality score by default.
pub(crate) fn render(t: &Template, fields: Option<&HashSet<String>>, single: bool) -> TemplateOut {
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

/// One page of `GET /{waba_id}/message_templates` with filters, cursors and
/// `summary`; `templates` is every stored template, in creation order.
pub(crate) fn page(
    templates: &[Template],
    base_url: &str,
    original_path: &str,
    query: &HashMap<String, String>,
) -> Result<TemplateList> {
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

    let body_text = |t: &Template| {
        t.components
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("BODY"))
            .and_then(|c| c.get("text").and_then(Value::as_str))
            .unwrap_or_default()
            .to_lowercase()
    };
    let matching: Vec<&Template> = templates
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
            let link = |key: &str, cursor: &str| page_link(base_url, original_path, query, limit, key, cursor);
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
                "message_template_count" => json!(templates.len()),
                "message_template_limit" => json!(TEMPLATE_LIMIT),
                "are_translations_complete" => json!(true),
                _ => continue,
            };
            summary.insert(k.to_owned(), v);
        }
        summary
    });
    Ok(TemplateList { data, paging, summary })
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

#[cfg(test)]
mod tests {
    use super::*;
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
