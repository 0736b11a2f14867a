//! Typed reads of a JSON object that fail the way Meta does: 131008 for a
//! missing parameter, 131009 for a value past a limit, 100 for a value of the
//! wrong kind, each naming the parameter by its path
//! (`interactive['action']['buttons'][3]`).

use serde_json::{Map, Value};

use crate::emulator::errors::GraphError;

/// A JSON object of a request body.
pub(super) type Object = Map<String, Value>;
/// A validation result: the Graph error to answer with.
pub(super) type Result<T> = std::result::Result<T, GraphError>;

/// `parent['key']`, or `key` at the top level.
pub(super) fn key(parent: &str, k: &str) -> String {
    if parent.is_empty() { k.to_owned() } else { format!("{parent}['{k}']") }
}

/// A present, non-null field.
pub(super) fn field<'a>(o: &'a Object, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

pub(super) fn req<'a>(o: &'a Object, parent: &str, k: &str) -> Result<&'a Value> {
    field(o, k).ok_or_else(|| GraphError::missing_param(&key(parent, k)))
}

/// A required, non-blank string.
pub(super) fn req_text<'a>(o: &'a Object, parent: &str, k: &str) -> Result<&'a str> {
    match req(o, parent, k)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        Value::String(_) => Err(GraphError::missing_param(&key(parent, k))),
        _ => Err(GraphError::invalid_param(format!("Param {} must be a string.", key(parent, k)))),
    }
}

pub(super) fn opt_str<'a>(o: &'a Object, parent: &str, k: &str) -> Result<Option<&'a str>> {
    match field(o, k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GraphError::invalid_param(format!("Param {} must be a string.", key(parent, k)))),
    }
}

pub(super) fn opt_bool(o: &Object, parent: &str, k: &str) -> Result<Option<bool>> {
    match field(o, k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(GraphError::invalid_param(format!("Param {} must be a boolean.", key(parent, k)))),
    }
}

pub(super) fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Object> {
    v.as_object().ok_or_else(|| GraphError::invalid_param(format!("Param {path} must be a JSON object.")))
}

pub(super) fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| GraphError::invalid_param(format!("Param {path} must be an array.")))
}

pub(super) fn max_chars(s: &str, max: usize, path: &str) -> Result<()> {
    let n = s.chars().count();
    if n > max {
        return Err(GraphError::invalid_value(format!("Param {path} must be at most {max} characters long; got {n}.")));
    }
    Ok(())
}

/// 100 for a value outside an enumeration, in Graph's wording.
pub(super) fn one_of(path: &str, allowed: &[&str], got: &Value) -> GraphError {
    let allowed: Vec<String> = allowed.iter().map(|a| a.to_ascii_uppercase()).collect();
    GraphError::invalid_param(format!("Param {path} must be one of {{{}}} - got {got}.", allowed.join(", ")))
}
