//! The checked configuration, secrets read: what the gateway runs on.

use std::{collections::HashSet, fmt, net::SocketAddr, time::Duration};

use secrecy::SecretString;

use crate::access::{PhoneNumbers, Scope};

/// PEM files for the gRPC listener.
#[derive(Clone)]
pub struct TlsPem {
    /// Certificate chain.
    pub cert: Vec<u8>,
    /// Private key.
    pub key: Vec<u8>,
}

impl fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsPem { .. }")
    }
}

/// A checked configuration with its secrets read: what the gateway runs on.
#[derive(Debug)]
pub struct Resolved {
    /// Where the gRPC server listens.
    pub grpc_addr: SocketAddr,
    /// TLS for the gRPC listener.
    pub tls: Option<TlsPem>,
    /// How long in-flight calls may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// The whole-request timeout of Graph calls.
    pub graph_timeout: Duration,
    /// The connect timeout of Graph calls.
    pub graph_connect_timeout: Duration,
    /// Where the webhook listener listens.
    pub webhook_addr: SocketAddr,
    /// The webhook callback path.
    pub webhook_path: String,
    /// The webhook verify token.
    pub webhook_verify_token: Option<SecretString>,
    /// The largest accepted webhook body.
    pub webhook_max_body_bytes: usize,
    /// The phone number id used when a request names none.
    pub default_phone_number_id: String,
    /// The accounts.
    pub accounts: Vec<ResolvedAccount>,
    /// The API keys.
    pub api_keys: Vec<ResolvedApiKey>,
    /// Redis, when configured.
    pub redis: Option<RedisSettings>,
    /// Bus tuning.
    pub bus: BusSettings,
    /// Refuse free-form sends outside the 24 h window before calling Meta.
    pub enforce_window: bool,
    /// Messages per second each phone number may send; 0 is no limit.
    pub messages_per_second: u32,
    /// Pace each contact at Meta's pair rate.
    pub pair_rate_limit: bool,
}

/// Redis with its URL read.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// The URL (may carry a password).
    pub url: SecretString,
    /// The key prefix.
    pub key_prefix: String,
    /// What a webhook's 200 waits for.
    pub durability: Durability,
}

/// What every webhook publish waits for before the POST is answered 200
/// (`redis.durability`). Redis answers a write once it is in memory; these
/// make the answer wait until the write survives a Redis crash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Redis' reply only.
    #[default]
    None,
    /// The primary's append-only file fsynced, within `timeout`.
    Aof {
        /// How long to wait.
        timeout: Duration,
    },
    /// `count` replicas acknowledged the write, within `timeout`.
    Replicas {
        /// How many replicas.
        count: u32,
        /// How long to wait.
        timeout: Duration,
    },
}

/// An account with its secrets read.
#[derive(Debug)]
pub struct ResolvedAccount {
    /// A name for logs.
    pub name: String,
    /// The WABA id.
    pub waba_id: String,
    /// Its phone number ids.
    pub phone_number_ids: Vec<String>,
    /// The access token.
    pub access_token: SecretString,
    /// The app secrets that may sign its webhooks (current first).
    pub app_secrets: Vec<SecretString>,
    /// The Graph base URL.
    pub graph_base_url: String,
    /// The Graph API version.
    pub api_version: String,
}

/// An API key, by hash.
#[derive(Debug, Clone)]
pub struct ResolvedApiKey {
    /// A name for logs.
    pub name: String,
    /// The SHA-256 of the key.
    pub sha256: [u8; 32],
    /// What it may do.
    pub scopes: HashSet<Scope>,
    /// Which phone numbers it may use.
    pub phone_number_ids: PhoneNumbers,
}

/// Tuning shared by both backends.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// How many events are retained for replay (Redis: `MAXLEN ~`).
    pub history: usize,
    /// How long events are retained at most (Redis: `MINID`); `None` keeps `history` only.
    pub max_age: Option<Duration>,
    /// How long a delivered event id is remembered to drop Meta's redeliveries.
    pub dedup_window: Duration,
    /// How long a consumer group waits for an acknowledgement before redelivering.
    pub ack_timeout: Duration,
    /// How many events may wait for a slow subscriber before it is cut off.
    pub subscriber_buffer: usize,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            history: 100_000,
            max_age: Some(Duration::from_secs(7 * 24 * 3600)),
            dedup_window: Duration::from_secs(7 * 24 * 3600),
            ack_timeout: Duration::from_secs(30),
            subscriber_buffer: 1024,
        }
    }
}
