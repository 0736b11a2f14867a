//! Talking to Redis: the two connections of a bus (commands through one
//! multiplexed [`ConnectionManager`], announcements through pub/sub), their
//! timeouts, one retry after a dropped connection, and the conversions at
//! this boundary (errors, durations).

use std::time::Duration;

use redis::{
    Client, RedisError,
    aio::{ConnectionManager, ConnectionManagerConfig, PubSub},
};
use tokio::time::timeout;

use crate::bus::BusError;

/// The retry delays of the bus's background tasks (subscription readers,
/// the pub/sub listener) while Redis fails.
pub(super) fn backoff() -> crate::backoff::Backoff {
    crate::backoff::Backoff::new(Duration::from_millis(50), Duration::from_secs(2))
}

/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one command may take. Generous: a large publish batch is one script.
pub(super) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Connects the command connection: a [`ConnectionManager`], which
/// reconnects by itself.
pub(super) async fn command_connection(client: &Client) -> Result<ConnectionManager, RedisError> {
    client.get_connection_manager_with_config(manager_config(RESPONSE_TIMEOUT)).await
}

/// Connects the connection that waits for durability (`WAIT`, `WAITAOF`
/// block it for up to `wait`): apart from the command connection, which
/// must never block.
pub(super) async fn wait_connection(client: &Client, wait: Duration) -> Result<ConnectionManager, RedisError> {
    client.get_connection_manager_with_config(manager_config(RESPONSE_TIMEOUT + wait)).await
}

fn manager_config(response_timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout))
        // Few, short reconnect attempts per command: while Redis is down a
        // publish should fail fast (the webhook answers 503 and Meta
        // redelivers) rather than hold the request; the next command
        // starts another round.
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(1))
}

/// Connects a pub/sub connection and subscribes to `channel`.
pub(super) async fn open_pubsub(client: &Client, channel: &str) -> Result<PubSub, RedisError> {
    let connect = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub)
    };
    timeout(CONNECT_TIMEOUT, connect).await.unwrap_or_else(|_| {
        Err(RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "subscribing timed out")))
    })
}

/// Runs `$op` once more when its first attempt found the connection dropped:
/// the [`ConnectionManager`] only notices a dead connection (say, Redis
/// restarted) when a command fails on it, and the retry awaits the
/// reconnection it started. Retrying a publish is safe: if the first attempt
/// did run, the retry drops its events as redeliveries.
macro_rules! retry_dropped {
    ($op:expr) => {
        match $op {
            Err(error) if error.is_connection_dropped() => $op,
            other => other,
        }
    };
}
pub(super) use retry_dropped;

/// `duration` in whole milliseconds, as Redis takes it (saturating).
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A Redis failure, as the bus reports it.
pub(super) fn unavailable(error: RedisError) -> BusError {
    BusError::Unavailable(format!("redis: {error}"))
}
