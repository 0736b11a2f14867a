//! The template endpoints (REFERENCE.md §4): create, edit, get, list and
//! delete, the emulated review, and the admin changes of category, quality
//! and status.
//!
//! Guarantees: a create or an edit posts a `PENDING` status update, then its
//! review posts `APPROVED` or `REJECTED`; every review or admin change posts
//! the webhook Meta would send; a review scheduled before an edit never
//! overrides the edit's own review; a deleted APPROVED name stays blocked for
//! 30 days.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::Uri;
use serde_json::{Value, json};

use crate::emulator::{
    errors::GraphError,
    extract::{Id, JsonBody, OriginalPath, query_map},
    ids::{same_language, unix_now},
    state::Shared,
    templates::{
        Result, Strictness, bad,
        create::validate_new,
        edit::apply_edit,
        listing::{page, render, requested_fields},
        review::{id_number, in_review, status_update, verdict},
    },
    webhooks::Item,
    wire::{self, TemplateCreated},
};

/// How long a deleted APPROVED name+language stays blocked.
const DELETED_NAME_BLOCK: Duration = Duration::from_secs(30 * 24 * 3600);

/// `GET /{waba_id}/message_templates`, for the emulated business account only.
pub(crate) async fn list_templates(
    State(shared): State<Arc<Shared>>,
    Id(id): Id,
    path: OriginalPath,
    uri: Uri,
) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("get", &id).into_response();
    }
    list(&shared, &path.0, &query_map(&uri)).unwrap_or_else(IntoResponse::into_response)
}

/// `POST /{waba_id}/message_templates`, for the emulated business account only.
pub(crate) async fn create_template(
    State(shared): State<Arc<Shared>>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("post", &id).into_response();
    }
    create(&shared, &body).unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /{waba_id}/message_templates`, for the emulated business account only.
pub(crate) async fn delete_templates(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("delete", &id).into_response();
    }
    delete(&shared, &query_map(&uri)).unwrap_or_else(IntoResponse::into_response)
}

/// Schedules the review of template `id` at its current review generation.
fn schedule_review(shared: &Arc<Shared>, id: String, review: u64) {
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

/// `POST /{waba_id}/message_templates`.
fn create(shared: &Arc<Shared>, body: &Value) -> Result<Response> {
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

/// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]` (§4.5).
fn delete(shared: &Shared, query: &HashMap<String, String>) -> Result<Response> {
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

/// `GET /{waba_id}/message_templates` with filters, cursors and `summary`.
fn list(shared: &Shared, original_path: &str, query: &HashMap<String, String>) -> Result<Response> {
    let inner = shared.lock();
    page(&inner.templates, &shared.base_url, original_path, query).map(|list| wire::ok(&list))
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
