//! An edit of a stored template (§4.4): which fields may change, and how
//! often an APPROVED template may be edited.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    Result, Strictness, Template, bad,
    components::normalize_components,
    create::{ttl, upper_enum},
};

/// Applies an edit to `t` and sends it back to review (PENDING, next review
/// generation).
pub(crate) fn apply_edit(t: &mut Template, body: &Value) -> Result<()> {
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
