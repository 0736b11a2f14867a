//! The violation collector every conversion walks with.

use std::collections::HashMap;

use super::syntax::{is_http_url, quoted};
use crate::error::FieldViolation;

/// Collects violations under a field-path prefix; `at` and `item` descend.
pub(in crate::grpc) struct Checker<'v> {
    prefix: String,
    violations: &'v mut Vec<FieldViolation>,
}

impl<'v> Checker<'v> {
    /// A checker at the root of a request, appending to `violations`.
    pub(in crate::grpc) fn root(violations: &'v mut Vec<FieldViolation>) -> Self {
        Self { prefix: String::new(), violations }
    }

    /// The full path of `field` (which may itself be dotted); `""` is this node.
    fn path(&self, field: &str) -> String {
        match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        }
    }

    /// A checker for the sub-message `field`.
    pub(in crate::grpc) fn at(&mut self, field: &str) -> Checker<'_> {
        Checker { prefix: self.path(field), violations: &mut *self.violations }
    }

    /// A checker for element `index` of the repeated `field` (`""`: this node).
    pub(in crate::grpc) fn item(&mut self, field: &str, index: usize) -> Checker<'_> {
        Checker { prefix: format!("{}[{index}]", self.path(field)), violations: &mut *self.violations }
    }

    /// Records a violation of `field` (`""`: this node).
    pub(in crate::grpc) fn fail(&mut self, field: &str, description: impl Into<String>) {
        let field = self.path(field);
        self.violations.push(FieldViolation::new(field, description));
    }

    /// Flags an empty required string; returns whether it was set.
    pub(in crate::grpc) fn required(&mut self, field: &str, value: &str) -> bool {
        if value.is_empty() {
            self.fail(field, "is required");
        }
        !value.is_empty()
    }

    /// Checks a string's length in characters (Meta counts characters, not bytes);
    /// `min == 0` makes it optional.
    pub(in crate::grpc) fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n == 0 && min > 0 {
            self.fail(field, format!("is required ({min} to {max} characters)"));
        } else if n < min {
            self.fail(field, format!("must be {min} to {max} characters, got {n}"));
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters, got {n}"));
        }
    }

    /// Checks how many elements a repeated field has.
    pub(in crate::grpc) fn count(&mut self, field: &str, n: usize, min: usize, max: usize, noun: &str) {
        if n < min {
            self.fail(field, format!("needs at least {min} {noun}(s), got {n}"));
        } else if n > max {
            self.fail(field, format!("must hold at most {max} {noun}(s), got {n}"));
        }
    }

    /// Checks that a required string is an absolute http(s) URL.
    pub(in crate::grpc) fn http_url(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.fail(field, "is required: an http(s) URL");
        } else if !is_http_url(value) {
            self.fail(field, format!("must be an absolute http(s) URL, got {}", quoted(value)));
        }
    }

    /// Flags a value that repeats an earlier one; `seen` maps values to where they were first seen.
    pub(super) fn unique<'a>(&mut self, field: &str, value: &'a str, at: String, seen: &mut HashMap<&'a str, String>) {
        if value.is_empty() {
            return;
        }
        match seen.get(value) {
            Some(first) => self.fail(field, format!("must be unique, {first} has the same value")),
            None => {
                seen.insert(value, at);
            }
        }
    }
}
