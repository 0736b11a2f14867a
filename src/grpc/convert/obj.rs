//! A small builder for Graph JSON objects.

use serde_json::{Map, Value};

/// A small builder for JSON objects that leaves unset optional fields out.
pub(in crate::grpc) struct Obj(Map<String, Value>);

impl Obj {
    pub(in crate::grpc) fn new() -> Self {
        Self(Map::new())
    }

    pub(in crate::grpc) fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `key` only when `value` is not empty (proto3 has no unset strings).
    pub(in crate::grpc) fn non_empty(self, key: &str, value: &str) -> Self {
        if value.is_empty() { self } else { self.set(key, value) }
    }

    /// Sets `key: true` only when `on` (the Graph default is false).
    pub(in crate::grpc) fn flag(self, key: &str, on: bool) -> Self {
        if on { self.set(key, true) } else { self }
    }

    pub(in crate::grpc) fn maybe(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    pub(in crate::grpc) fn build(self) -> Value {
        Value::Object(self.0)
    }
}

impl From<Obj> for Value {
    fn from(obj: Obj) -> Self {
        obj.build()
    }
}
