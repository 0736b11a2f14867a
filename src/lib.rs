//! wagate: a gRPC gateway over the WhatsApp Business Cloud API.
//!
//! # Layout
//!
//! ARCHITECTURE.md is the full map; every module, bottom of the import graph first:
//!
//! - [`pb`]: code generated from `proto/wagate/v1`.
//! - [`access`]: API-key scopes and phone-number sets; [`violation`]: one bad
//!   request field; [`backoff`]: the retry helper; [`accept_errors`]: what
//!   accept loops do out of descriptors; [`shutdown`], [`telemetry`].
//! - [`config`]: the TOML file, its environment overrides, and what it resolves to.
//! - [`graph`]: the outbound Cloud API client, typed request bodies, and
//!   Meta's enum spellings ([`graph::vocab`]).
//! - [`bus`]: the event bus, in memory or on Redis.
//! - [`policy`]: the 24 h window, rate limits, idempotency keys and the
//!   template check, between an RPC and the Graph call.
//! - [`webhook`]: the inbound listener: signature, payload → typed events → bus.
//! - [`error`]: the one place errors become `tonic::Status`; [`accounts`]: the
//!   configured accounts and their numbers.
//! - [`grpc`]: the four services, API-key auth, and proto → Graph conversion.
//! - [`emulator`]: the Cloud API offline, for the sandbox and every test.
//! - [`app`] binds every listener and runs them until the shutdown token is
//!   cancelled; [`cli`] parses the command line.

pub mod accept_errors;
pub mod access;
pub mod accounts;
pub mod app;
pub mod backoff;
pub mod bus;
pub mod cli;
pub mod config;
pub mod emulator;
pub mod error;
pub mod graph;
pub mod grpc;
pub mod pb;
pub mod policy;
pub mod shutdown;
pub mod telemetry;
pub mod violation;
pub mod webhook;

pub use error::{Error, FieldViolation};
