//! Why a rule refused a send, or could not decide. [`crate::error`] maps each
//! case to its gRPC code and details; the policy layer knows nothing of gRPC.

use std::time::Duration;

use super::rate_limit::Limit;
use crate::{
    graph,
    violation::{FieldViolation, describe},
};

/// A refusal or failure of a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A request field breaks a rule; nothing was sent.
    #[error("invalid request: {}", describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// The request is valid but a rule forbids it now; `reason` names the rule.
    #[error("{message}")]
    Refused {
        /// A stable UPPER_SNAKE reason, e.g. `TEMPLATE_NOT_APPROVED`.
        reason: &'static str,
        /// What to do about it.
        message: String,
    },
    /// The thing the request names (a template) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The same request is still in flight; retry after it finishes.
    #[error("{0}")]
    InFlight(String),
    /// Over a pacing limit (the number's throughput, or the pair rate to one
    /// contact); retry after the delay.
    #[error("over the {limit:?} limit of phone number {phone_number_id}; retry in {retry_after:?}")]
    RateLimited {
        /// Which limit.
        limit: Limit,
        /// The sending number.
        phone_number_id: String,
        /// When a retry can succeed.
        retry_after: Duration,
    },
    /// The store a rule keeps its state in (Redis) is unreachable.
    #[error("the gateway's policy store is unavailable: {0}")]
    Unavailable(String),
    /// Asking Meta what a rule needs (a template's definition) failed.
    #[error(transparent)]
    Graph(#[from] graph::Error),
}

impl PolicyError {
    /// A request refused for one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }
}

impl From<redis::RedisError> for PolicyError {
    fn from(error: redis::RedisError) -> Self {
        Self::Unavailable(format!("redis: {error}"))
    }
}
