//! Rules applied between an RPC and the Graph call.

mod error;
pub mod idempotency;
pub mod rate_limit;
pub mod templates;
pub mod window;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use error::PolicyError;

/// One connection (reconnecting by itself) for the shared state kept in
/// Redis: windows and idempotency keys. It fails fast while Redis is down,
/// so a webhook answers 503 (Meta redelivers) rather than hanging.
pub async fn connect_redis(url: &str) -> Result<ConnectionManager, PolicyError> {
    let client = redis::Client::open(url).map_err(PolicyError::from)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2);
    client.get_connection_manager_with_config(config).await.map_err(PolicyError::from)
}
