//! The tonic services.

pub mod convert;
