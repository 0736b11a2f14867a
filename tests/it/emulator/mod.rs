//! The Cloud API emulator end to end, through its public API only: bound on
//! 127.0.0.1:0, driven over HTTP with reqwest, its webhooks received by a
//! small axum sink on another port. Tests wait on channels with timeouts,
//! never on sleeps.
//!
//! `harness` starts an emulator with its sink; `messages` covers sends,
//! statuses and webhook delivery; `gate` auth, unknown paths and injected
//! faults; `templates` and `media` their endpoints; `admin` the admin API.

mod admin;
mod gate;
mod harness;
mod media;
mod messages;
mod templates;
