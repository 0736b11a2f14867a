//! The inbound webhook: Meta's POSTs turned into typed events.

pub mod events;
mod payload;

pub mod apps;
pub mod budget;
pub mod handler;
pub mod listener;
pub mod verify;
