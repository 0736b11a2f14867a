//! The integration tests: one binary, real servers on ephemeral ports (the
//! gateway, the Cloud API emulator), real gRPC clients.

#![allow(unreachable_pub)] // `pub` here only shares helpers between test modules

mod accounts_bound;
mod auth;
mod bus_redis;
mod cli;
mod durability;
mod emulator;
mod errors;
mod events;
mod grpc_limits;
mod idempotency;
mod inputs;
mod layering;
mod media;
mod messaging;
mod replicas;
mod sandbox;
mod serve;
mod support;
mod templates;
mod tls;
mod validation;
mod webhook;
mod webhook_limits;
