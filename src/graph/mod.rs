//! The outbound Cloud API client: one pooled `reqwest::Client` shared by every
//! account, each account with its own token, base URL (an emulator's in tests)
//! and pinned API version.
//!
//! Sends are never retried here: the Cloud API has no idempotency key, so a
//! retried POST after a timeout could deliver twice (REFERENCE.md §1.4).
//! Media transfers stream both ways ([`Client::upload_media`],
//! [`Client::download_media`]); template lists page with Graph's cursors
//! ([`Client::list_templates`]).

mod error;
mod media;
mod media_hosts;
pub mod messages;
mod serde_util;
pub mod templates;
pub mod vocab;

use std::{fmt, time::Duration};

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

pub use error::{ApiError, Error};
pub use media::{
    MediaDownload, MediaInfo, MediaKind, TRANSFER_TIMEOUT, UploadBody, UploadClosed, UploadSender, human_size,
    mime_essence, parse_sha256, upload_channel,
};
pub use media_hosts::{DEFAULT_MEDIA_HOSTS, MediaHosts};
pub use messages::{SendContact, SendResult, SentMessage};
pub use templates::{GraphTemplate, TemplateCreated, TemplatePage, TemplateQuery};

/// A Graph API client for one account.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    api_version: String,
    token: SecretString,
    media_hosts: MediaHosts,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Builds the one HTTP client (connection pool) that every account shares.
pub fn http_pool(timeout: Duration, connect_timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
        // Graph calls never redirect; media downloads follow redirects
        // themselves, checking each hop before the token goes there.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client with rustls and static settings always builds")
}

// === impl Client ===

impl Client {
    /// A client that calls `{base_url}/{api_version}/…` with `token`.
    pub fn new(http: reqwest::Client, base_url: &str, api_version: &str, token: SecretString) -> Self {
        Self {
            http,
            media_hosts: MediaHosts::meta(base_url),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_version: api_version.to_owned(),
            token,
        }
    }

    /// The same client, downloading media only from `patterns` (exact hosts
    /// or `*.suffix`) and the Graph base URL's origin.
    pub fn with_media_hosts(mut self, patterns: &[String]) -> Self {
        self.media_hosts = MediaHosts::new(patterns, &self.base_url);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.base_url, self.api_version, path.trim_start_matches('/'))
    }

    async fn post_json<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, Error> {
        let request = self.http.post(self.url(path)).bearer_auth(self.token.expose_secret()).json(body);
        decode(request.send().await).await
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, Error> {
        let request = self.http.get(self.url(path)).bearer_auth(self.token.expose_secret()).query(query);
        decode(request.send().await).await
    }

    async fn delete_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, Error> {
        let request = self.http.delete(self.url(path)).bearer_auth(self.token.expose_secret()).query(query);
        decode(request.send().await).await
    }
}

/// `{"success": true}`, Graph's answer to edits and deletes.
#[derive(Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

impl Success {
    fn check(self, what: &str) -> Result<(), Error> {
        if self.success { Ok(()) } else { Err(Error::Decode(format!("{what} answered success: false"))) }
    }
}

/// Reads a Graph answer: the typed body on success, the error envelope otherwise.
async fn decode<T: DeserializeOwned>(sent: Result<reqwest::Response, reqwest::Error>) -> Result<T, Error> {
    let response = sent.map_err(transport)?;
    let status = response.status();
    let body = match response.bytes().await {
        Ok(body) => body,
        // Meta answered success and the body was lost: the call took effect.
        Err(e) if status.is_success() => return Err(Error::Interrupted(without_url(&e))),
        Err(e) => return Err(transport(e)),
    };
    if !status.is_success() {
        return Err(Error::from_response(status.as_u16(), &body));
    }
    serde_json::from_slice(&body).map_err(|e| Error::Decode(e.to_string()))
}

/// Classifies a failed call: only a failure to connect (or to build the
/// request) proves that Meta never saw it.
fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else if e.is_connect() || e.is_builder() {
        Error::Transport(without_url(&e))
    } else {
        Error::Interrupted(without_url(&e))
    }
}

/// The error's text without its URL: query strings may carry tokens.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), url.path());
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
