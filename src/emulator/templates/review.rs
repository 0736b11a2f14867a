//! The emulated review and the template webhooks: the verdict on a PENDING
//! template and the `message_template_status_update` items Meta posts.

use serde_json::{Map, Value, json};

use super::{Template, placeholders::adjacent_variables};
use crate::emulator::{ids::unix_now, webhooks::Item};

/// Why the emulated review rejects a template, if it does: names starting
/// with `reject_`, and adjacent variables (Meta's INVALID_FORMAT).
pub(crate) fn verdict(t: &Template) -> Option<(String, String)> {
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

/// `message_template_id` as a JSON number, as Meta sends it.
pub(crate) fn id_number(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), Value::from)
}

/// A `message_template_status_update` webhook item.
pub(crate) fn status_update<const N: usize>(
    t: &Template,
    event: &str,
    reason: &str,
    extra: [(&str, Value); N],
) -> Item {
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

/// The `PENDING` status update Meta posts when a template enters review
/// (created, or edited back into review).
pub(crate) fn in_review(t: &Template) -> Item {
    status_update(t, "PENDING", "NONE", [("message_template_category", json!(t.category))])
}
