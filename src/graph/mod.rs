//! The outbound Cloud API client.

mod error;

pub use error::{ApiError, Error};
