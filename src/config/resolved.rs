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

/// The webhook listener's limits: what a stranger's connection may hold
/// before any signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookLimits {
    /// Speak HTTP/2 as well as HTTP/1.1 (Meta posts HTTP/1.1).
    pub http2: bool,
    /// How long a new connection may take to send its first request head.
    pub header_read_timeout: Duration,
    /// How long a request may take to send its body.
    pub body_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight.
    pub idle_timeout: Duration,
    /// Connections that have sent a request, served at once.
    pub max_connections: usize,
    /// Connections that have not sent a request yet; past it the oldest is closed.
    pub max_pending_connections: usize,
    /// The largest accepted body.
    pub max_body_bytes: usize,
    /// Body bytes reserved at once across every connection; past it, 503.
    pub max_body_bytes_in_flight: usize,
}

impl Default for WebhookLimits {
    fn default() -> Self {
        Self {
            http2: false,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_pending_connections: 1024,
            max_body_bytes: 3 * 1024 * 1024,
            max_body_bytes_in_flight: 64 * 1024 * 1024,
        }
    }
}

/// The gRPC listener's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcLimits {
    /// Connections served at once; past it the listener stops accepting.
    pub max_connections: usize,
    /// Concurrent streams (calls) on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
    /// How often an idle connection is pinged.
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// The deadline of unary calls that carry none.
    pub default_unary_deadline: Duration,
    /// The largest message a client may send, and the server send.
    pub max_message_bytes: usize,
    /// The largest block of request headers (metadata).
    pub max_header_list_bytes: u32,
}

impl Default for GrpcLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_concurrent_streams: 1024,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            default_unary_deadline: Duration::from_secs(30),
            max_message_bytes: 4 * 1024 * 1024,
            max_header_list_bytes: 16 * 1024,
        }
    }
}

/// A checked configuration with its secrets read: what the gateway runs on.
#[derive(Debug)]
pub struct Resolved {
    /// Where the gRPC server listens.
    pub grpc_addr: SocketAddr,
    /// TLS for the gRPC listener.
    pub tls: Option<TlsPem>,
    /// What connections and calls on the gRPC listener may hold.
    pub grpc_limits: GrpcLimits,
    /// How long in-flight calls may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// The whole-request timeout of Graph calls.
    pub graph_timeout: Duration,
    /// The connect timeout of Graph calls.
    pub graph_connect_timeout: Duration,
    /// Hosts media downloads may send the token to (see `graph::MediaHosts`).
    pub graph_media_hosts: Vec<String>,
    /// Where the webhook listener listens.
    pub webhook_addr: SocketAddr,
    /// The webhook callback path.
    pub webhook_path: String,
    /// The webhook verify token.
    pub webhook_verify_token: Option<SecretString>,
    /// What one connection or request of the webhook listener may hold.
    pub webhook_limits: WebhookLimits,
    /// The phone number id used when a request names none.
    pub default_phone_number_id: String,
    /// The Meta apps of `[[apps]]`. Accounts in none of them form an app
    /// of their own (see [`Resolved::webhook_apps`]).
    pub apps: Vec<ResolvedApp>,
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

/// A Meta app: the secrets that sign its webhooks, its verify token and path,
/// and the accounts it owns.
#[derive(Debug, Clone)]
pub struct ResolvedApp {
    /// A name for logs.
    pub name: String,
    /// The app secrets (current first).
    pub app_secrets: Vec<SecretString>,
    /// The verify token of the GET handshake.
    pub verify_token: Option<SecretString>,
    /// The callback path.
    pub webhook_path: String,
    /// The WhatsApp Business Accounts it owns.
    pub waba_ids: Vec<String>,
}

impl Resolved {
    /// Every app whose webhooks are received: those of `[[apps]]`, then one
    /// per account that belongs to none, made of the account's own secrets
    /// and the `[webhook]` verify token and path.
    pub fn webhook_apps(&self) -> Vec<ResolvedApp> {
        let mut apps = self.apps.clone();
        let explicit = apps.len();
        for account in &self.accounts {
            if self.apps.iter().any(|app| app.waba_ids.contains(&account.waba_id)) {
                continue;
            }
            // Accounts configured with the same secret are of one app.
            let same_app = apps[explicit..].iter_mut().find(|app| same_secret(&app.app_secrets, &account.app_secrets));
            match same_app {
                Some(app) => app.waba_ids.push(account.waba_id.clone()),
                None => apps.push(ResolvedApp {
                    name: format!("account {}", account.name),
                    app_secrets: account.app_secrets.clone(),
                    verify_token: self.webhook_verify_token.clone(),
                    webhook_path: self.webhook_path.clone(),
                    waba_ids: vec![account.waba_id.clone()],
                }),
            }
        }
        apps
    }
}

fn same_secret(a: &[SecretString], b: &[SecretString]) -> bool {
    use secrecy::ExposeSecret as _;
    matches!((a.first(), b.first()), (Some(a), Some(b)) if a.expose_secret() == b.expose_secret())
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
