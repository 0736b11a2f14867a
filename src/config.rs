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

use std::{
    collections::{HashMap, HashSet},
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Format as _, Toml},
    value::Value,
};
use secrecy::SecretString;
use serde::Deserialize;

use crate::bus::BusSettings;

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { grpc_addr: ([0, 0, 0, 0], 50051).into(), tls: None, shutdown_grace_secs: 20 }
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
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            api_version: "v25.0".into(),
            timeout_ms: 30_000,
            connect_timeout_ms: 5_000,
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
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            addr: ([0, 0, 0, 0], 8080).into(),
            path: "/webhook".into(),
            verify_token: None,
            verify_token_env: None,
            verify_token_file: None,
            max_body_bytes: 3 * 1024 * 1024,
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
}

fn default_key_prefix() -> String {
    "wagate:".into()
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

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// MessagingService.
    Messages,
    /// MediaService.
    Media,
    /// TemplateService.
    Templates,
    /// EventService.
    Events,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Messages => "messages",
            Self::Media => "media",
            Self::Templates => "templates",
            Self::Events => "events",
        })
    }
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

/// Where a secret comes from: written inline, an environment variable, or a file.
struct Secret<'a> {
    value: &'a Option<InlineSecret>,
    env: &'a Option<String>,
    file: &'a Option<PathBuf>,
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

// === impl Config ===

impl Config {
    /// Reads `path` and applies the `WAGATE_<SECTION>__<KEY>` overrides among `env_vars`
    /// (pass `std::env::vars()`).
    pub fn load(path: &Path, env_vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        if !path.exists() {
            return Err(ConfigError::Load(format!("{} does not exist", path.display())));
        }
        Self::extract(Figment::from(Toml::file_exact(path)), env_vars)
    }

    /// Parses TOML text, with the same overrides.
    pub fn from_toml(text: &str, env_vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        Self::extract(Figment::from(Toml::string(text)), env_vars)
    }

    fn extract(
        mut figment: Figment,
        env_vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        for (name, value) in env_vars {
            // Only variables with a section separator are overrides: plain
            // `WAGATE_*` variables belong to the command-line flags.
            let Some(key) = name.strip_prefix(ENV_PREFIX).filter(|k| k.contains("__")) else { continue };
            let key = key.to_ascii_lowercase().replace("__", ".");
            // Parsed as figment's Env provider parses values ("5000" is a
            // number), except secrets and URLs, which stay strings.
            let value: Value = if is_secret_key(&key) {
                Value::from(value)
            } else {
                value.parse().unwrap_or_else(|never| match never {})
            };
            figment = figment.merge((key, value));
        }
        figment
            .extract()
            .map_err(|e| ConfigError::Load(e.into_iter().map(describe_load_error).collect::<Vec<_>>().join("; ")))
    }

    /// Checks every value and reads every secret, reporting all problems at once.
    /// `env` looks up environment variables (tests pass a map).
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, ConfigError> {
        let mut problems = Vec::new();
        let mut problem = |key: String, message: String| problems.push(Problem { key, message });

        let graph = &self.graph;
        check_url("graph.base_url", &graph.base_url, &mut problem);
        check_version("graph.api_version", &graph.api_version, &mut problem);
        if graph.timeout_ms == 0 {
            problem("graph.timeout_ms".into(), "must be greater than 0".into());
        }

        let tls = self.server.tls.as_ref().and_then(|tls| {
            let cert = read_file("server.tls.cert_file", &tls.cert_file, &mut problem);
            let key = read_file("server.tls.key_file", &tls.key_file, &mut problem);
            Some(TlsPem { cert: cert?, key: key? })
        });

        let w = &self.webhook;
        if !self.webhook.path.starts_with('/') {
            problem("webhook.path".into(), format!("must start with '/', got {:?}", self.webhook.path));
        }
        let verify_token = read_secret(
            "webhook.verify_token",
            &Secret::of(&w.verify_token, &w.verify_token_env, &w.verify_token_file),
            env,
            &mut problem,
        );

        let mut accounts = Vec::new();
        let mut seen_numbers: HashMap<&str, usize> = HashMap::new();
        if self.accounts.is_empty() {
            problem("accounts".into(), "at least one [[accounts]] entry is required".into());
        }
        for (i, account) in self.accounts.iter().enumerate() {
            let key = |name: &str| format!("accounts[{i}].{name}");
            if !is_graph_id(&account.waba_id) {
                problem(key("waba_id"), format!("must be a numeric Graph id, got {:?}", account.waba_id));
            }
            if account.phone_number_ids.is_empty() {
                problem(key("phone_number_ids"), "list at least one phone number id".into());
            }
            for (j, id) in account.phone_number_ids.iter().enumerate() {
                if !is_graph_id(id) {
                    problem(
                        key(&format!("phone_number_ids[{j}]")),
                        format!("must be a numeric phone number id (not the phone number), got {id:?}"),
                    );
                } else if let Some(other) = seen_numbers.insert(id, i) {
                    problem(key(&format!("phone_number_ids[{j}]")), format!("{id} is also in accounts[{other}]"));
                }
            }
            if let Some(url) = &account.graph_base_url {
                check_url(&key("graph_base_url"), url, &mut problem);
            }
            if let Some(version) = &account.api_version {
                check_version(&key("api_version"), version, &mut problem);
            }
            let token = read_secret(
                &key("access_token"),
                &Secret::of(&account.access_token, &account.access_token_env, &account.access_token_file),
                env,
                &mut problem,
            );
            let secret = read_secret(
                &key("app_secret"),
                &Secret::of(&account.app_secret, &account.app_secret_env, &account.app_secret_file),
                env,
                &mut problem,
            );
            let previous = Secret::of(
                &account.previous_app_secret,
                &account.previous_app_secret_env,
                &account.previous_app_secret_file,
            );
            let previous = if previous.is_set() {
                read_secret(&key("previous_app_secret"), &previous, env, &mut problem)
            } else {
                None
            };
            if let (Some(access_token), Some(app_secret)) = (token, secret) {
                let mut app_secrets = vec![app_secret];
                app_secrets.extend(previous);
                accounts.push(ResolvedAccount {
                    name: account.name.clone(),
                    waba_id: account.waba_id.clone(),
                    phone_number_ids: account.phone_number_ids.clone(),
                    access_token,
                    app_secrets,
                    graph_base_url: account.graph_base_url.clone().unwrap_or_else(|| graph.base_url.clone()),
                    api_version: account.api_version.clone().unwrap_or_else(|| graph.api_version.clone()),
                });
            }
        }

        let all_numbers: Vec<&str> =
            self.accounts.iter().flat_map(|a| a.phone_number_ids.iter()).map(String::as_str).collect();
        let default_phone_number_id = match (&self.default_phone_number_id, all_numbers.as_slice()) {
            (Some(id), _) if !all_numbers.contains(&id.as_str()) => {
                problem("default_phone_number_id".into(), format!("{id} is not in any account's phone_number_ids"));
                None
            }
            (Some(id), _) => Some(id.clone()),
            (None, [only]) => Some((*only).to_owned()),
            (None, []) => None,
            (None, _) => {
                problem(
                    "default_phone_number_id".into(),
                    "required when several phone numbers are configured (requests without phone_number_id use it)"
                        .into(),
                );
                None
            }
        };

        let mut api_keys = Vec::new();
        if self.api_keys.is_empty() {
            problem("api_keys".into(), "at least one [[api_keys]] entry is required".into());
        }
        let mut seen_hashes = HashSet::new();
        let mut seen_names = HashSet::new();
        for (i, k) in self.api_keys.iter().enumerate() {
            let key = |name: &str| format!("api_keys[{i}].{name}");
            let hash = hex::decode(&k.sha256).ok().and_then(|h| <[u8; 32]>::try_from(h).ok());
            match hash {
                None => problem(
                    key("sha256"),
                    "must be the 64-character hex SHA-256 of the key (printf %s \"$KEY\" | sha256sum)".into(),
                ),
                Some(h) if !seen_hashes.insert(h) => problem(key("sha256"), "the same key is configured twice".into()),
                Some(_) => {}
            }
            // The name scopes idempotency keys and consumer groups.
            if k.name.is_empty() || k.name.contains('/') || k.name.chars().any(char::is_control) {
                problem(key("name"), "must be non-empty, without '/' or control characters".into());
            } else if !seen_names.insert(k.name.as_str()) {
                problem(key("name"), format!("{:?} names another key too; names must be unique", k.name));
            }
            if k.scopes.is_empty() {
                problem(key("scopes"), "list at least one of messages, media, templates, events".into());
            }
            if k.phone_number_ids.is_empty() {
                problem(key("phone_number_ids"), "list the phone number ids this key may use, or \"*\" for all".into());
            }
            for (j, id) in k.phone_number_ids.iter().enumerate() {
                if id != "*" && !all_numbers.contains(&id.as_str()) {
                    problem(key(&format!("phone_number_ids[{j}]")), format!("{id} is not in any account"));
                }
            }
            if let Some(sha256) = hash {
                api_keys.push(ResolvedApiKey {
                    name: k.name.clone(),
                    sha256,
                    scopes: k.scopes.iter().copied().collect(),
                    phone_number_ids: if k.phone_number_ids.iter().any(|id| id == "*") {
                        PhoneNumbers::All
                    } else {
                        PhoneNumbers::Only(k.phone_number_ids.iter().cloned().collect())
                    },
                });
            }
        }

        let b = &self.bus;
        if b.history == 0 {
            problem("bus.history".into(), "must be at least 1".into());
        }
        if b.subscriber_buffer == 0 {
            problem("bus.subscriber_buffer".into(), "must be at least 1".into());
        }
        if b.ack_timeout_secs == 0 {
            problem("bus.ack_timeout_secs".into(), "must be at least 1".into());
        }
        let redis = self.redis.as_ref().and_then(|r| {
            let url = read_secret("redis.url", &Secret::of(&r.url, &r.url_env, &r.url_file), env, &mut problem)?;
            Some(RedisSettings { url, key_prefix: r.key_prefix.clone() })
        });

        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Resolved {
            grpc_addr: self.server.grpc_addr,
            tls,
            shutdown_grace: Duration::from_secs(self.server.shutdown_grace_secs),
            graph_timeout: Duration::from_millis(graph.timeout_ms),
            graph_connect_timeout: Duration::from_millis(graph.connect_timeout_ms),
            webhook_addr: self.webhook.addr,
            webhook_path: self.webhook.path.clone(),
            webhook_verify_token: verify_token,
            webhook_max_body_bytes: self.webhook.max_body_bytes,
            default_phone_number_id: default_phone_number_id.unwrap_or_default(),
            accounts,
            api_keys,
            redis,
            bus: BusSettings {
                history: b.history,
                max_age: (b.max_age_secs > 0).then(|| Duration::from_secs(b.max_age_secs)),
                dedup_window: Duration::from_secs(b.dedup_window_secs),
                ack_timeout: Duration::from_secs(b.ack_timeout_secs),
                subscriber_buffer: b.subscriber_buffer,
            },
            enforce_window: self.policy.enforce_window,
            messages_per_second: self.policy.messages_per_second,
            pair_rate_limit: self.policy.pair_rate_limit,
        })
    }
}

impl<'a> Secret<'a> {
    fn of(value: &'a Option<InlineSecret>, env: &'a Option<String>, file: &'a Option<PathBuf>) -> Self {
        Self { value, env, file }
    }

    fn is_set(&self) -> bool {
        self.value.is_some() || self.env.is_some() || self.file.is_some()
    }
}

/// Whether a key holds a secret or a URL (which may carry a password).
fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    ["token", "secret", "url"].iter().any(|word| last == *word || last.ends_with(&format!("_{word}")))
}

/// A load error that names the key and what was expected, never the value
/// found (it may be a secret).
fn describe_load_error(e: figment::Error) -> String {
    use figment::error::{Actual, Kind};
    let found = |actual: &Actual| match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) | Actual::Str(_) => "a string",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        _ => "another kind of value",
    };
    let what = match &e.kind {
        Kind::InvalidType(actual, expected) => format!("invalid type: found {}, expected {expected}", found(actual)),
        Kind::InvalidValue(actual, expected) => format!("invalid value ({}): expected {expected}", found(actual)),
        other => other.to_string(),
    };
    if e.path.is_empty() { what } else { format!("{}: {what}", e.path.join(".")) }
}

fn read_secret(
    key: &str,
    secret: &Secret<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    problem: &mut impl FnMut(String, String),
) -> Option<SecretString> {
    let value = match (secret.value, secret.env, secret.file) {
        (Some(InlineSecret(value)), None, None) => Some(value.clone()),
        (None, Some(var), None) => {
            let value = env(var);
            if value.is_none() {
                problem(format!("{key}_env"), format!("the environment variable {var} is not set"));
            }
            value
        }
        (None, None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim_end_matches(['\r', '\n']).to_owned()),
            Err(e) => {
                problem(format!("{key}_file"), format!("cannot read {}: {e}", path.display()));
                None
            }
        },
        (None, None, None) => {
            problem(key.to_owned(), format!("required: set {key}_env (an environment variable) or {key}_file"));
            None
        }
        _ => {
            problem(key.to_owned(), format!("set only one of {key}, {key}_env and {key}_file"));
            None
        }
    }?;
    if value.trim().is_empty() {
        problem(key.to_owned(), "is empty".into());
        return None;
    }
    Some(SecretString::from(value))
}

fn read_file(key: &str, path: &Path, problem: &mut impl FnMut(String, String)) -> Option<Vec<u8>> {
    std::fs::read(path).map_err(|e| problem(key.to_owned(), format!("cannot read {}: {e}", path.display()))).ok()
}

fn check_url(key: &str, url: &str, problem: &mut impl FnMut(String, String)) {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => problem(key.to_owned(), format!("must be an http(s) URL, got {url:?}")),
    }
}

fn check_version(key: &str, version: &str, problem: &mut impl FnMut(String, String)) {
    let ok = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor));
    if !ok {
        problem(key.to_owned(), format!("must look like v25.0, got {version:?}"));
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_graph_id(s: &str) -> bool {
    is_digits(s) && s.len() <= 32
}

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

/// The phone numbers a key may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneNumbers {
    /// Every configured number.
    All,
    /// Only these.
    Only(HashSet<String>),
}

impl PhoneNumbers {
    /// Whether `id` is allowed.
    pub fn allows(&self, id: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(ids) => ids.contains(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    const KEY_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn valid() -> String {
        format!(
            r#"
            [server]
            grpc_addr = "127.0.0.1:7000"
            [webhook]
            verify_token = "vt"
            [[accounts]]
            name = "main"
            waba_id = "109348720013455"
            phone_number_ids = ["113502948871204"]
            access_token_env = "MAIN_TOKEN"
            app_secret = "s3cret"
            [[api_keys]]
            name = "billing"
            sha256 = "{KEY_HASH}"
            scopes = ["messages", "media"]
            phone_number_ids = ["*"]
            "#
        )
    }

    #[test]
    fn a_valid_file_resolves_with_secrets_from_env_and_a_single_default_number() {
        let config = Config::from_toml(&valid(), []).unwrap();
        let resolved = config.resolve(&|var| (var == "MAIN_TOKEN").then(|| "EAAG-token".into())).unwrap();
        assert_eq!(resolved.grpc_addr, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(resolved.default_phone_number_id, "113502948871204");
        assert_eq!(resolved.accounts[0].access_token.expose_secret(), "EAAG-token");
        assert_eq!(resolved.accounts[0].api_version, "v25.0");
        assert!(resolved.api_keys[0].scopes.contains(&Scope::Media));
        assert!(resolved.api_keys[0].phone_number_ids.allows("anything"));
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = r#"
            default_phone_number_id = "999"
            [graph]
            api_version = "25"
            [[accounts]]
            name = "a"
            waba_id = "waba"
            phone_number_ids = ["+1 555"]
            access_token_env = "UNSET"
            access_token = "also-inline"
            [[api_keys]]
            name = "k"
            sha256 = "abc"
            scopes = []
            phone_number_ids = ["42"]
        "#;
        let err = Config::from_toml(text, []).unwrap().resolve(&no_env).unwrap_err();
        let keys: Vec<String> = err.problems().into_iter().map(|p| p.key).collect();
        for expected in [
            "graph.api_version",
            "webhook.verify_token",
            "accounts[0].waba_id",
            "accounts[0].phone_number_ids[0]",
            "accounts[0].access_token",
            "accounts[0].app_secret",
            "default_phone_number_id",
            "api_keys[0].sha256",
            "api_keys[0].scopes",
            "api_keys[0].phone_number_ids[0]",
        ] {
            assert!(keys.iter().any(|k| k == expected), "{expected} not in {keys:?}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_types_fail_to_load() {
        let err = Config::from_toml("[server]\ngrpc_adr = \"x\"", []).unwrap_err();
        assert!(err.to_string().contains("grpc_adr"), "{err}");
        assert!(Config::from_toml("[server]\ngrpc_addr = 5", []).is_err());
    }

    #[test]
    fn secrets_never_print() {
        let config = Config::from_toml(&valid(), []).unwrap();
        let resolved = config.resolve(&|_| Some("EAAG-token".into())).unwrap();
        let printed = format!("{config:?} {resolved:?}");
        assert!(!printed.contains("s3cret") && !printed.contains("EAAG-token"), "{printed}");
    }

    #[test]
    fn environment_overrides_keys() {
        let env = [
            ("WAGATE_SERVER__GRPC_ADDR", "127.0.0.1:9999"),
            ("WAGATE_GRAPH__API_VERSION", "v26.0"),
            ("WAGATE_GRAPH__TIMEOUT_MS", "1500"),
            ("WAGATE_UNRELATED_FLAG", "ignored"),
            ("HOME", "/root"),
        ];
        let config = Config::from_toml(&valid(), env.map(|(k, v)| (k.to_owned(), v.to_owned()))).unwrap();
        assert_eq!(config.server.grpc_addr, "127.0.0.1:9999".parse().unwrap());
        assert_eq!(config.graph.api_version, "v26.0");
        assert_eq!(config.graph.timeout_ms, 1500);
    }

    #[test]
    fn secret_overrides_stay_strings_and_load_errors_never_print_values() {
        let env = [("WAGATE_WEBHOOK__VERIFY_TOKEN".to_owned(), "987654321".to_owned())];
        let config = Config::from_toml(&valid(), env).unwrap();
        let token = config.webhook.verify_token.as_ref().map(|t| format!("{t:?}"));
        assert_eq!(token.as_deref(), Some("[redacted]"));
        assert!(config.resolve(&|_| Some("t".into())).is_ok());

        let err = Config::from_toml("[graph]\ntimeout_ms = \"s3cret-value\"", []).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("graph.timeout_ms") && !text.contains("s3cret-value"), "{text}");
    }

    #[test]
    fn api_key_names_are_unique_and_without_slashes() {
        let text = valid().replace("name = \"billing\"", "name = \"a/b\"")
            + &format!(
                "[[api_keys]]\nname = \"a/b\"\nsha256 = \"{}\"\nscopes = [\"events\"]\nphone_number_ids = [\"*\"]\n",
                "0".repeat(64)
            );
        let err = Config::from_toml(&text, []).unwrap().resolve(&|_| Some("t".into())).unwrap_err();
        let keys: Vec<String> = err.problems().into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"api_keys[0].name".to_owned()), "{keys:?}");
        assert!(keys.contains(&"api_keys[1].name".to_owned()), "{keys:?}");
    }

    #[test]
    fn secrets_are_read_from_files_without_the_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "EAAG-file-token\n").unwrap();
        let text = valid().replace("access_token_env = \"MAIN_TOKEN\"", &format!("access_token_file = {:?}", path));
        let resolved = Config::from_toml(&text, []).unwrap().resolve(&no_env).unwrap();
        assert_eq!(resolved.accounts[0].access_token.expose_secret(), "EAAG-file-token");
    }
}
