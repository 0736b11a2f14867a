//! Rules applied between an RPC and the Graph call.

pub mod idempotency;
pub mod templates;
pub mod window;
