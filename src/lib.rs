//! wagate: a gRPC gateway over the WhatsApp Business Cloud API.
//!
//! # Layout
//!
//! - Outbound: a gRPC call enters [`grpc`] (auth, validation and the proto →
//!   Graph JSON conversion in [`grpc::convert`]), goes out through the pooled
//!   [`graph::Client`], and any failure leaves through [`error`], the one place
//!   errors become `tonic::Status`.
//! - The Cloud API [`emulator`] speaks the same HTTP as Meta (messages, media,
//!   templates, signed status webhooks, an admin API) so that the gateway and
//!   every client can be tested offline.
//! - [`config`] reads the TOML file and its environment overrides; [`cli`]
//!   parses the command line; [`app`] binds every listener before serving and
//!   runs them until one shutdown token is cancelled ([`shutdown`]).
//! - [`pb`] holds the code generated from `proto/wagate/v1`.

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
