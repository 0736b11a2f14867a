//! Configuration of `wagate serve`: a TOML file, overridden key by key by
//! environment variables named `WAGATE_<SECTION>__<KEY>` (e.g.
//! `WAGATE_SERVER__GRPC_ADDR`, `WAGATE_GRAPH__API_VERSION`).
//!
//! Secrets (access tokens, app secrets, the webhook verify token) are given
//! inline, or better by the name of an environment variable (`*_env`) or the
//! path of a file (`*_file`). They are held as [`SecretString`] from the moment
//! they are read, so no `Debug` or log line can print them.
//!
//! [`Config::resolve`] checks everything at once and reports every problem
//! with its key, so `wagate check-config` can list them all.

//!
//! Layout: the file's sections here, [`resolve`] turns them into a
//! [`Resolved`] (checks and secrets), [`resolved`] holds what the gateway runs on.

mod resolve;
mod resolved;

use std::{fmt, net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use crate::access::Scope;

pub use resolved::GrpcLimits;
pub use resolved::{
    BusSettings, Durability, RedisSettings, Resolved, ResolvedAccount, ResolvedApiKey, ResolvedApp, TlsPem,
    WebhookLimits,
};

/// The environment variable prefix of key overrides.
pub const ENV_PREFIX: &str = "WAGATE_";

/// The configuration file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The gRPC listener.
    #[serde(default)]
    pub server: ServerConfig,
    /// How the Graph API is reached.
    #[serde(default)]
    pub graph: GraphConfig,
    /// The webhook listener Meta posts to.
    #[serde(default)]
    pub webhook: WebhookConfig,
    /// Redis, for the event bus and shared state; in memory (one replica) without it.
    pub redis: Option<RedisConfig>,
    /// Event history, deduplication and subscriptions.
    #[serde(default)]
    pub bus: BusConfig,
    /// Rules applied before calling Meta.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The phone number id used when a request names none. May be omitted
    /// when exactly one phone number is configured.
    pub default_phone_number_id: Option<String>,
    /// The Meta apps whose webhooks are received; accounts name theirs.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// The WhatsApp Business Accounts served.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// The API keys clients authenticate with.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
}

/// `[server]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where the gRPC server listens.
    pub grpc_addr: SocketAddr,
    /// TLS for the gRPC listener; plaintext when absent.
    pub tls: Option<TlsConfig>,
    /// How long in-flight calls may take to finish at shutdown, in seconds.
    pub shutdown_grace_secs: u64,
    /// Connections served at once; past it the listener stops accepting.
    pub max_connections: usize,
    /// Concurrent calls on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
    /// How often an idle connection is pinged, in seconds.
    pub keepalive_interval_secs: u64,
    /// How long a ping may go unanswered before the connection closes, in seconds.
    pub keepalive_timeout_secs: u64,
    /// The deadline of unary calls that carry none, in seconds.
    pub default_unary_deadline_secs: u64,
    /// The largest message a client may send (and the server send), in bytes.
    pub max_message_bytes: usize,
    /// The largest block of request metadata, in bytes.
    pub max_header_list_bytes: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let limits = GrpcLimits::default();
        Self {
            grpc_addr: ([0, 0, 0, 0], 50051).into(),
            tls: None,
            shutdown_grace_secs: 20,
            max_connections: limits.max_connections,
            max_concurrent_streams: limits.max_concurrent_streams,
            keepalive_interval_secs: limits.keepalive_interval.as_secs(),
            keepalive_timeout_secs: limits.keepalive_timeout.as_secs(),
            default_unary_deadline_secs: limits.default_unary_deadline.as_secs(),
            max_message_bytes: limits.max_message_bytes,
            max_header_list_bytes: limits.max_header_list_bytes,
        }
    }
}

/// `[server.tls]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

/// `[graph]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphConfig {
    /// The Graph API base URL (an emulator's address in tests).
    pub base_url: String,
    /// The pinned Graph API version, e.g. `v25.0`.
    pub api_version: String,
    /// The whole-request timeout, in milliseconds.
    pub timeout_ms: u64,
    /// The connect timeout, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Hosts media downloads may send the access token to (https only):
    /// exact names or `*.suffix`. The base URL's own origin is always allowed.
    pub media_hosts: Vec<String>,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            api_version: "v25.0".into(),
            timeout_ms: 30_000,
            connect_timeout_ms: 5_000,
            media_hosts: crate::graph::DEFAULT_MEDIA_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
        }
    }
}

/// `[webhook]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Where the webhook listener listens.
    pub addr: SocketAddr,
    /// The callback path configured at Meta.
    pub path: String,
    /// The verify token configured at Meta, inline.
    pub verify_token: Option<InlineSecret>,
    /// The environment variable holding the verify token.
    pub verify_token_env: Option<String>,
    /// The file holding the verify token.
    pub verify_token_file: Option<PathBuf>,
    /// The largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Body bytes reserved at once across every connection; past it, 503.
    pub max_body_bytes_in_flight: usize,
    /// Speak HTTP/2 as well as HTTP/1.1 (Meta posts HTTP/1.1).
    pub http2: bool,
    /// How long a new connection may take to send its first request head, in seconds.
    pub header_read_timeout_secs: u64,
    /// How long a request may take to send its body, in seconds.
    pub body_read_timeout_secs: u64,
    /// How long a connection may stay open with no request in flight, in seconds.
    pub idle_timeout_secs: u64,
    /// Connections that have sent a request, served at once.
    pub max_connections: usize,
    /// Connections that have not sent a request yet; past it the oldest is closed.
    pub max_pending_connections: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        let limits = WebhookLimits::default();
        Self {
            addr: ([0, 0, 0, 0], 8080).into(),
            path: "/webhook".into(),
            verify_token: None,
            verify_token_env: None,
            verify_token_file: None,
            max_body_bytes: limits.max_body_bytes,
            max_body_bytes_in_flight: limits.max_body_bytes_in_flight,
            http2: limits.http2,
            header_read_timeout_secs: limits.header_read_timeout.as_secs(),
            body_read_timeout_secs: limits.body_read_timeout.as_secs(),
            idle_timeout_secs: limits.idle_timeout.as_secs(),
            max_connections: limits.max_connections,
            max_pending_connections: limits.max_pending_connections,
        }
    }
}

/// `[redis]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// The URL, inline (`redis://host:6379/0`, `rediss://…`, `redis+unix:///path`).
    pub url: Option<InlineSecret>,
    /// The environment variable holding the URL (it may carry a password).
    pub url_env: Option<String>,
    /// The file holding the URL.
    pub url_file: Option<PathBuf>,
    /// The prefix of every key, so several deployments can share one Redis.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// What a webhook's 200 waits for besides Redis' reply: nothing, the
    /// append-only file's fsync, or replicas.
    #[serde(default)]
    pub durability: DurabilityMode,
    /// With `durability = "replicas"`: how many replicas must acknowledge.
    #[serde(default = "default_durability_replicas")]
    pub durability_replicas: u32,
    /// How long a webhook waits for that acknowledgement, in milliseconds.
    #[serde(default = "default_durability_timeout_ms")]
    pub durability_timeout_ms: u64,
}

fn default_key_prefix() -> String {
    "wagate:".into()
}

fn default_durability_replicas() -> u32 {
    1
}

fn default_durability_timeout_ms() -> u64 {
    1000
}

/// `redis.durability`: what a webhook's 200 waits for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurabilityMode {
    /// Redis' reply only: stored in memory, as durable as Redis' own settings.
    #[default]
    None,
    /// The append-only file fsynced on the primary (`WAITAOF`, or
    /// `appendfsync always` on Redis before 7.2).
    Aof,
    /// `durability_replicas` replicas acknowledged the write (`WAIT`).
    Replicas,
}

/// `[bus]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    /// Events kept for replay.
    pub history: usize,
    /// The longest an event is kept, in seconds (Redis); 0 keeps `history` only.
    pub max_age_secs: u64,
    /// How long Meta's redeliveries are recognised and dropped, in seconds.
    pub dedup_window_secs: u64,
    /// How long a consumer group waits for an acknowledgement before redelivering, in seconds.
    pub ack_timeout_secs: u64,
    /// Events that may wait for a slow live subscriber before it is cut off.
    pub subscriber_buffer: usize,
}

impl Default for BusConfig {
    fn default() -> Self {
        let d = BusSettings::default();
        Self {
            history: d.history,
            max_age_secs: d.max_age.map_or(0, |a| a.as_secs()),
            dedup_window_secs: d.dedup_window.as_secs(),
            ack_timeout_secs: d.ack_timeout.as_secs(),
            subscriber_buffer: d.subscriber_buffer,
        }
    }
}

/// `[policy]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Refuse free-form sends outside the contact's 24 h window before calling
    /// Meta (FAILED_PRECONDITION); off leaves it to Meta (a `failed` status).
    pub enforce_window: bool,
    /// Messages per second each phone number may send (Meta's default
    /// throughput is 80); past it, RESOURCE_EXHAUSTED with a retry delay. 0 is no limit.
    pub messages_per_second: u32,
    /// Pace each contact as Meta does (1 message per 6 s, bursts of 45)
    /// instead of failing at Meta with 131056.
    pub pair_rate_limit: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self { enforce_window: true, messages_per_second: 80, pair_rate_limit: true }
    }
}

/// `[[apps]]`: one Meta app. Its secret signs the webhooks of its accounts
/// only, and its verify token answers Meta's handshake on its path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The name accounts refer to it by (`[[accounts]] app = "…"`).
    pub name: String,
    /// Meta's app id, for logs and checks.
    pub app_id: Option<String>,
    /// The app secret, inline (avoid: prefer `_env` or `_file`).
    pub app_secret: Option<InlineSecret>,
    /// The environment variable holding the app secret.
    pub app_secret_env: Option<String>,
    /// The file holding the app secret.
    pub app_secret_file: Option<PathBuf>,
    /// A second app secret, accepted while the first is rotated, inline.
    pub previous_app_secret: Option<InlineSecret>,
    /// The environment variable holding the previous app secret.
    pub previous_app_secret_env: Option<String>,
    /// The file holding the previous app secret.
    pub previous_app_secret_file: Option<PathBuf>,
    /// The verify token set for this app at Meta; `webhook.verify_token` when absent.
    pub verify_token: Option<InlineSecret>,
    /// The environment variable holding the verify token.
    pub verify_token_env: Option<String>,
    /// The file holding the verify token.
    pub verify_token_file: Option<PathBuf>,
    /// The callback path set for this app at Meta; `webhook.path` when absent.
    pub webhook_path: Option<String>,
}

/// `[[accounts]]`: one WhatsApp Business Account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A name for logs.
    pub name: String,
    /// The WABA id (owns templates and phone numbers).
    pub waba_id: String,
    /// The phone number ids this account sends from.
    pub phone_number_ids: Vec<String>,
    /// The `[[apps]]` entry it belongs to; without it, the account's own
    /// `app_secret` and the `[webhook]` verify token and path make its app.
    pub app: Option<String>,
    /// The system-user access token, inline (avoid: prefer `_env` or `_file`).
    pub access_token: Option<InlineSecret>,
    /// The environment variable holding the access token.
    pub access_token_env: Option<String>,
    /// The file holding the access token.
    pub access_token_file: Option<PathBuf>,
    /// The app secret that signs this account's webhooks, inline.
    pub app_secret: Option<InlineSecret>,
    /// The environment variable holding the app secret.
    pub app_secret_env: Option<String>,
    /// The file holding the app secret.
    pub app_secret_file: Option<PathBuf>,
    /// A second app secret, accepted while the first is rotated, inline.
    pub previous_app_secret: Option<InlineSecret>,
    /// The environment variable holding the previous app secret.
    pub previous_app_secret_env: Option<String>,
    /// The file holding the previous app secret.
    pub previous_app_secret_file: Option<PathBuf>,
    /// Overrides `graph.base_url` for this account.
    pub graph_base_url: Option<String>,
    /// Overrides `graph.api_version` for this account.
    pub api_version: Option<String>,
}

/// `[[api_keys]]`: a client credential.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// A name for logs (never the key).
    pub name: String,
    /// The lowercase hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`).
    pub sha256: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// The phone number ids it may use; `"*"` means all.
    pub phone_number_ids: Vec<String>,
}

/// A secret written in the file itself; `Debug` never prints it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct InlineSecret(String);

impl fmt::Debug for InlineSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A problem found in the configuration, with the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key, e.g. `accounts[0].access_token_env`.
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error("{0}")]
    Load(String),
    /// The file parsed, but some values are wrong.
    #[error("{} problem(s) in the configuration:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl ConfigError {
    /// Every problem, one per key.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Self::Load(message) => vec![Problem { key: "(file)".into(), message: message.clone() }],
            Self::Invalid(problems) => problems.clone(),
        }
    }
}
