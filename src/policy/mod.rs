//! Rules applied between an RPC and the Graph call.

pub mod idempotency;
pub mod window;
