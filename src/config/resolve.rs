//! Checking the configuration and reading its secrets: [`Config::resolve`]
//! reports every problem at once, each with its key.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    time::Duration,
};

use super::*;
use crate::access::PhoneNumbers;
use figment::{
    Figment,
    providers::{Format as _, Toml},
    value::Value,
};
use secrecy::SecretString;

/// Where a secret comes from: written inline, an environment variable, or a file.
struct Secret<'a> {
    value: &'a Option<InlineSecret>,
    env: &'a Option<String>,
    file: &'a Option<PathBuf>,
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
        for (i, host) in graph.media_hosts.iter().enumerate() {
            let name = host.strip_prefix("*.").unwrap_or(host);
            let valid = !name.is_empty()
                && name
                    .split('.')
                    .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if !valid {
                problem(
                    format!("graph.media_hosts[{i}]"),
                    format!("must be a host name or *.suffix (no scheme, port or path), got {host:?}"),
                );
            }
        }
        if graph.timeout_ms == 0 {
            problem("graph.timeout_ms".into(), "must be greater than 0".into());
        }

        let tls = self.server.tls.as_ref().and_then(|tls| {
            let cert = read_file("server.tls.cert_file", &tls.cert_file, &mut problem);
            let key = read_file("server.tls.key_file", &tls.key_file, &mut problem);
            let pem = TlsPem { cert: cert?, key: key? };
            check_tls(&pem, &mut problem);
            Some(pem)
        });

        let sv = &self.server;
        for (name, value) in [
            ("max_connections", sv.max_connections as u64),
            ("max_concurrent_streams", u64::from(sv.max_concurrent_streams)),
            ("keepalive_interval_secs", sv.keepalive_interval_secs),
            ("keepalive_timeout_secs", sv.keepalive_timeout_secs),
            ("default_unary_deadline_secs", sv.default_unary_deadline_secs),
            ("max_message_bytes", sv.max_message_bytes as u64),
            ("max_header_list_bytes", u64::from(sv.max_header_list_bytes)),
        ] {
            if value == 0 {
                problem(format!("server.{name}"), "must be greater than 0".into());
            }
        }
        let w = &self.webhook;
        if !self.webhook.path.starts_with('/') {
            problem("webhook.path".into(), format!("must start with '/', got {:?}", self.webhook.path));
        }
        for (name, value) in [
            ("header_read_timeout_secs", w.header_read_timeout_secs),
            ("body_read_timeout_secs", w.body_read_timeout_secs),
            ("idle_timeout_secs", w.idle_timeout_secs),
            ("max_connections", w.max_connections as u64),
            ("max_pending_connections", w.max_pending_connections as u64),
            ("max_body_bytes", w.max_body_bytes as u64),
        ] {
            if value == 0 {
                problem(format!("webhook.{name}"), "must be greater than 0".into());
            }
        }
        if w.max_body_bytes_in_flight < w.max_body_bytes {
            problem(
                "webhook.max_body_bytes_in_flight".into(),
                format!(
                    "must be at least webhook.max_body_bytes ({}), or no body of that size could be read",
                    w.max_body_bytes
                ),
            );
        }
        let global_verify_token = Secret::of(&w.verify_token, &w.verify_token_env, &w.verify_token_file);
        let verify_token = if global_verify_token.is_set() {
            read_secret("webhook.verify_token", &global_verify_token, env, &mut problem)
        } else {
            None
        };
        let mut apps = resolve_apps(&self.apps, &w.path, verify_token.as_ref(), env, &mut problem);
        // The [webhook] token serves accounts without an app, and apps without a token of their own.
        let needs_global_token = self.accounts.iter().any(|a| a.app.is_none())
            || self
                .apps
                .iter()
                .any(|a| !Secret::of(&a.verify_token, &a.verify_token_env, &a.verify_token_file).is_set());
        if needs_global_token && !global_verify_token.is_set() {
            problem(
                "webhook.verify_token".into(),
                "required (set webhook.verify_token_env or webhook.verify_token_file), unless every account \
                 belongs to an [[apps]] entry with a verify token of its own"
                    .into(),
            );
        }

        let mut accounts = Vec::new();
        let mut seen_numbers: HashMap<&str, usize> = HashMap::new();
        let mut seen_wabas: HashMap<&str, usize> = HashMap::new();
        if self.accounts.is_empty() {
            problem("accounts".into(), "at least one [[accounts]] entry is required".into());
        }
        for (i, account) in self.accounts.iter().enumerate() {
            let key = |name: &str| format!("accounts[{i}].{name}");
            if !is_graph_id(&account.waba_id) {
                problem(key("waba_id"), format!("must be a numeric Graph id, got {:?}", account.waba_id));
            } else if let Some(other) = seen_wabas.insert(&account.waba_id, i) {
                // Webhooks are judged by WABA: one WABA must have one owner.
                problem(key("waba_id"), format!("{} is also accounts[{other}]'s", account.waba_id));
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
            let own_secret = Secret::of(&account.app_secret, &account.app_secret_env, &account.app_secret_file);
            let own_previous = Secret::of(
                &account.previous_app_secret,
                &account.previous_app_secret_env,
                &account.previous_app_secret_file,
            );
            let secrets = match &account.app {
                Some(name) => {
                    if own_secret.is_set() || own_previous.is_set() {
                        problem(
                            key("app_secret"),
                            format!(
                                "the account belongs to app {name:?}, whose secrets sign its webhooks: remove the account's own"
                            ),
                        );
                    }
                    match apps.iter_mut().find(|app| &app.name == name) {
                        Some(app) => {
                            app.waba_ids.push(account.waba_id.clone());
                            Some(app.app_secrets.clone())
                        }
                        None => {
                            problem(key("app"), format!("no [[apps]] entry is named {name:?}"));
                            None
                        }
                    }
                }
                None => {
                    let current = read_secret(&key("app_secret"), &own_secret, env, &mut problem);
                    let previous = if own_previous.is_set() {
                        read_secret(&key("previous_app_secret"), &own_previous, env, &mut problem)
                    } else {
                        None
                    };
                    current.map(|current| std::iter::once(current).chain(previous).collect::<Vec<_>>())
                }
            };
            if let (Some(access_token), Some(app_secrets)) = (token, secrets) {
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
            let durability = resolve_durability(r, &mut problem);
            Some(RedisSettings { url, key_prefix: r.key_prefix.clone(), durability })
        });

        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Resolved {
            grpc_addr: self.server.grpc_addr,
            tls,
            shutdown_grace: Duration::from_secs(self.server.shutdown_grace_secs),
            grpc_limits: GrpcLimits {
                max_connections: sv.max_connections,
                max_concurrent_streams: sv.max_concurrent_streams,
                keepalive_interval: Duration::from_secs(sv.keepalive_interval_secs),
                keepalive_timeout: Duration::from_secs(sv.keepalive_timeout_secs),
                default_unary_deadline: Duration::from_secs(sv.default_unary_deadline_secs),
                max_message_bytes: sv.max_message_bytes,
                max_header_list_bytes: sv.max_header_list_bytes,
            },
            graph_timeout: Duration::from_millis(graph.timeout_ms),
            graph_connect_timeout: Duration::from_millis(graph.connect_timeout_ms),
            graph_media_hosts: graph.media_hosts.clone(),
            webhook_addr: self.webhook.addr,
            webhook_path: self.webhook.path.clone(),
            webhook_verify_token: verify_token,
            apps,
            webhook_limits: WebhookLimits {
                http2: w.http2,
                header_read_timeout: Duration::from_secs(w.header_read_timeout_secs),
                body_read_timeout: Duration::from_secs(w.body_read_timeout_secs),
                idle_timeout: Duration::from_secs(w.idle_timeout_secs),
                max_connections: w.max_connections,
                max_pending_connections: w.max_pending_connections,
                max_body_bytes: w.max_body_bytes,
                max_body_bytes_in_flight: w.max_body_bytes_in_flight,
            },
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

/// The most a webhook may wait for durability: Meta gives up on a webhook
/// after a few seconds and redelivers it.
const MAX_DURABILITY_TIMEOUT_MS: u64 = 10_000;

/// The most replicas `WAIT` may be asked for.
const MAX_DURABILITY_REPLICAS: u32 = 64;

/// `redis.durability*`, checked.
fn resolve_durability(r: &RedisConfig, problem: &mut impl FnMut(String, String)) -> Durability {
    if r.durability == DurabilityMode::None {
        return Durability::None;
    }
    if !(1..=MAX_DURABILITY_TIMEOUT_MS).contains(&r.durability_timeout_ms) {
        problem(
            "redis.durability_timeout_ms".into(),
            format!("must be from 1 to {MAX_DURABILITY_TIMEOUT_MS} (Meta redelivers a webhook not answered in time)"),
        );
    }
    let timeout = Duration::from_millis(r.durability_timeout_ms.clamp(1, MAX_DURABILITY_TIMEOUT_MS));
    match r.durability {
        DurabilityMode::None => Durability::None,
        DurabilityMode::Aof => Durability::Aof { timeout },
        DurabilityMode::Replicas => {
            if !(1..=MAX_DURABILITY_REPLICAS).contains(&r.durability_replicas) {
                problem("redis.durability_replicas".into(), format!("must be from 1 to {MAX_DURABILITY_REPLICAS}"));
            }
            Durability::Replicas { count: r.durability_replicas.clamp(1, MAX_DURABILITY_REPLICAS), timeout }
        }
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

/// The `[[apps]]` entries, each with its secrets, its verify token (the
/// `[webhook]` one when it has none) and its path; their accounts are added
/// as the accounts are read.
fn resolve_apps(
    apps: &[AppConfig],
    default_path: &str,
    default_token: Option<&SecretString>,
    env: &dyn Fn(&str) -> Option<String>,
    problem: &mut impl FnMut(String, String),
) -> Vec<ResolvedApp> {
    let mut resolved: Vec<ResolvedApp> = Vec::new();
    let mut names = HashSet::new();
    for (i, app) in apps.iter().enumerate() {
        let key = |name: &str| format!("apps[{i}].{name}");
        if app.name.is_empty() || app.name.chars().any(char::is_control) {
            problem(key("name"), "must be a non-empty name without control characters".into());
        } else if !names.insert(app.name.as_str()) {
            problem(key("name"), format!("another [[apps]] entry is named {:?}", app.name));
        }
        if let Some(id) = &app.app_id
            && !is_graph_id(id)
        {
            problem(key("app_id"), format!("must be a numeric Graph id, got {id:?}"));
        }
        let path = app.webhook_path.clone().unwrap_or_else(|| default_path.to_owned());
        if !path.starts_with('/') {
            problem(key("webhook_path"), format!("must start with '/', got {path:?}"));
        }
        let secret = read_secret(
            &key("app_secret"),
            &Secret::of(&app.app_secret, &app.app_secret_env, &app.app_secret_file),
            env,
            problem,
        );
        let previous =
            Secret::of(&app.previous_app_secret, &app.previous_app_secret_env, &app.previous_app_secret_file);
        let previous =
            if previous.is_set() { read_secret(&key("previous_app_secret"), &previous, env, problem) } else { None };
        let token = Secret::of(&app.verify_token, &app.verify_token_env, &app.verify_token_file);
        let verify_token = if token.is_set() {
            read_secret(&key("verify_token"), &token, env, problem)
        } else {
            default_token.cloned()
        };
        if let Some(secret) = &secret {
            use secrecy::ExposeSecret as _;
            let shared = resolved.iter().find(|other| other.app_secrets[0].expose_secret() == secret.expose_secret());
            if let Some(other) = shared {
                // A POST is judged by the app whose secret signed it: two apps
                // with one secret could not be told apart.
                problem(key("app_secret"), format!("is also the secret of app {:?}", other.name));
            }
        }
        if let Some(secret) = secret {
            resolved.push(ResolvedApp {
                name: app.name.clone(),
                app_secrets: std::iter::once(secret).chain(previous).collect(),
                verify_token,
                webhook_path: path,
                waba_ids: Vec::new(),
            });
        }
    }
    resolved
}

/// The certificate chain and the private key parse, and the key is the
/// leaf certificate's: otherwise the listener would fail at its first handshake.
fn check_tls(pem: &TlsPem, problem: &mut impl FnMut(String, String)) {
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&pem.cert).collect();
    let certs = match certs {
        Ok(certs) if !certs.is_empty() => Some(certs),
        Ok(_) => {
            problem("server.tls.cert_file".into(), "holds no PEM certificate".into());
            None
        }
        Err(e) => {
            problem("server.tls.cert_file".into(), format!("is not a PEM certificate chain: {e}"));
            None
        }
    };
    let key = match PrivateKeyDer::from_pem_slice(&pem.key) {
        Ok(key) => match rustls::crypto::ring::sign::any_supported_type(&key) {
            Ok(key) => Some(key),
            Err(e) => {
                problem("server.tls.key_file".into(), format!("is not a usable private key: {e}"));
                None
            }
        },
        Err(e) => {
            problem("server.tls.key_file".into(), format!("is not a PEM private key: {e}"));
            None
        }
    };
    if let (Some(certs), Some(key)) = (certs, key)
        && let Err(e) = rustls::sign::CertifiedKey::new(certs, key).keys_match()
    {
        problem(
            "server.tls.key_file".into(),
            format!("does not belong to the first certificate of server.tls.cert_file: {e}"),
        );
    }
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

    fn two_apps(extra: &str) -> String {
        format!(
            r#"
            default_phone_number_id = "11"
            [[apps]]
            name = "a"
            app_id = "100"
            app_secret = "secret-a"
            verify_token = "token-a"
            [[apps]]
            name = "b"
            app_secret = "secret-b"
            previous_app_secret = "secret-b-old"
            verify_token = "token-b"
            webhook_path = "/hooks/b"
            [[accounts]]
            name = "one"
            app = "a"
            waba_id = "10"
            phone_number_ids = ["11"]
            access_token = "t1"
            [[accounts]]
            name = "two"
            app = "b"
            waba_id = "20"
            phone_number_ids = ["21"]
            access_token = "t2"
            {extra}
            [[api_keys]]
            name = "billing"
            sha256 = "{KEY_HASH}"
            scopes = ["messages"]
            phone_number_ids = ["*"]
            "#
        )
    }

    #[test]
    fn tls_files_must_parse_and_the_key_must_match_the_certificate() {
        let problems_of = |pem: &TlsPem| {
            let mut keys = Vec::new();
            check_tls(pem, &mut |key, _| keys.push(key));
            keys
        };
        let one = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let pem = |cert: &rcgen::CertifiedKey<rcgen::KeyPair>, key: &rcgen::CertifiedKey<rcgen::KeyPair>| TlsPem {
            cert: cert.cert.pem().into_bytes(),
            key: key.signing_key.serialize_pem().into_bytes(),
        };
        assert!(problems_of(&pem(&one, &one)).is_empty());
        assert_eq!(problems_of(&pem(&one, &other)), ["server.tls.key_file"]);
        let garbage =
            TlsPem { cert: b"not a certificate".to_vec(), key: b"-----BEGIN PRIVATE KEY-----\nzz\n".to_vec() };
        assert_eq!(problems_of(&garbage), ["server.tls.cert_file", "server.tls.key_file"]);
    }

    #[test]
    fn apps_own_their_accounts_with_their_own_token_and_path() {
        let resolved = Config::from_toml(&two_apps(""), []).unwrap().resolve(&no_env).unwrap();
        let apps = resolved.webhook_apps();
        assert_eq!(apps.len(), 2, "no global token is needed when every app has its own");
        let (a, b) = (&apps[0], &apps[1]);
        assert_eq!((a.webhook_path.as_str(), a.waba_ids.as_slice()), ("/webhook", &["10".to_owned()][..]));
        assert_eq!((b.webhook_path.as_str(), b.waba_ids.as_slice()), ("/hooks/b", &["20".to_owned()][..]));
        assert_eq!(b.app_secrets.len(), 2);
        assert_eq!(b.verify_token.as_ref().unwrap().expose_secret(), "token-b");
        // The accounts sign Graph calls with their app's secret.
        assert_eq!(resolved.accounts[1].app_secrets[0].expose_secret(), "secret-b");
    }

    #[test]
    fn app_mistakes_are_reported_with_their_keys() {
        let extra = r#"
            [[accounts]]
            name = "three"
            app = "nope"
            app_secret = "own"
            waba_id = "30"
            phone_number_ids = ["31"]
            access_token = "t3"
            [[apps]]
            name = "a"
            app_id = "not-a-number"
            app_secret = ""
            webhook_path = "hooks"
            [[accounts]]
            name = "four"
            app = "b"
            waba_id = "20"
            phone_number_ids = ["41"]
            access_token = "t4"
            [[apps]]
            name = "c"
            app_secret = "secret-b"
            verify_token = "token-c"
            "#;
        let problems = Config::from_toml(&two_apps(extra), []).unwrap().resolve(&no_env).unwrap_err().problems();
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "accounts[2].app",
            "accounts[2].app_secret",
            "apps[2].name",
            "apps[2].app_id",
            "apps[2].app_secret",
            "apps[2].webhook_path",
            "webhook.verify_token",
            "accounts[3].waba_id",
            "apps[3].app_secret",
        ] {
            assert!(keys.contains(&key), "no problem for {key}: {problems:?}");
        }
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

    #[test]
    fn redis_durability_resolves_with_its_defaults_and_refuses_out_of_range_values() {
        let with = |extra: &str| valid() + "[redis]\nurl = \"redis://localhost:6380\"\n" + extra;
        let resolve = |text: String| Config::from_toml(&text, []).unwrap().resolve(&|_| Some("t".into()));
        let durability = |text: String| resolve(text).unwrap().redis.unwrap().durability;

        assert_eq!(durability(with("")), Durability::None);
        assert_eq!(durability(with("durability = \"aof\"")), Durability::Aof { timeout: Duration::from_secs(1) });
        assert_eq!(
            durability(with("durability = \"replicas\"\ndurability_replicas = 2\ndurability_timeout_ms = 250")),
            Durability::Replicas { count: 2, timeout: Duration::from_millis(250) }
        );

        let err =
            resolve(with("durability = \"replicas\"\ndurability_replicas = 0\ndurability_timeout_ms = 0")).unwrap_err();
        let keys: Vec<String> = err.problems().into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"redis.durability_replicas".to_owned()), "{keys:?}");
        assert!(keys.contains(&"redis.durability_timeout_ms".to_owned()), "{keys:?}");
        assert!(Config::from_toml(&with("durability = \"fsync\""), []).is_err());
    }
}
