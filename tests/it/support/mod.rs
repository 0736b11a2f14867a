//! `TestGateway::builder().spawn()`: an emulator and a gateway on port 0, the
//! gateway's Graph client aimed at the emulator, and typed clients.

#![allow(dead_code)] // each test module uses a different part of the harness

pub mod redis;

use std::{net::SocketAddr, time::Duration};

use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};
use wagate::{
    access::{PhoneNumbers, Scope},
    app::Gateway,
    bus::{Bus, BusSettings, Filter, Start},
    config::{
        Durability, GrpcLimits, RedisSettings, Resolved, ResolvedAccount, ResolvedApiKey, ResolvedApp, TlsPem,
        WebhookLimits,
    },
    emulator::{Emulator, EmulatorConfig, EmulatorHandle, InboundSpec},
    pb::{self, event_service_client::EventServiceClient, messaging_service_client::MessagingServiceClient},
};

/// The phone number id the emulator serves.
pub const PHONE: &str = "113502948871204";
/// A second number configured on the gateway, which only some keys may use.
pub const OTHER_PHONE: &str = "113502948879999";
/// A key with every scope and every number.
pub const KEY: &str = "test-key-full";
/// A key with the media scope only.
pub const MEDIA_KEY: &str = "test-key-media-only";
/// A key with the messages scope, for OTHER_PHONE only.
pub const OTHER_PHONE_KEY: &str = "test-key-other-phone";
/// The WABA of a second account configured on the gateway.
pub const SECOND_WABA: &str = "209348720013455";
/// The phone number id of the second account.
pub const SECOND_PHONE: &str = "213502948871204";
/// A key with the events scope, for SECOND_PHONE only.
pub const SECOND_ACCOUNT_KEY: &str = "test-key-second-account";
/// The webhook verify token.
pub const VERIFY_TOKEN: &str = "test-verify-token";
/// The recipient used by most tests.
pub const CONTACT: &str = "14155550123";

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct Bearer(pub Option<MetadataValue<Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A messaging client with a key.
pub type Messaging = MessagingServiceClient<InterceptedService<Channel, Bearer>>;
/// An events client with a key.
pub type Events = EventServiceClient<InterceptedService<Channel, Bearer>>;

/// Options of a test gateway.
pub struct Builder {
    emulator: EmulatorConfig,
    tls: Option<TlsPem>,
    graph_timeout: Duration,
    graph_token: Option<String>,
    enforce_window: bool,
    redis: Option<RedisSettings>,
    redis_server: Option<redis::RedisServer>,
    subscriber_buffer: usize,
    messages_per_second: u32,
    pair_rate_limit: bool,
    webhook_limits: WebhookLimits,
    apps: Vec<ResolvedApp>,
    grpc_limits: GrpcLimits,
}

/// A running emulator and gateway; both stop when it is dropped.
pub struct TestGateway {
    /// The gateway's gRPC address.
    pub grpc_addr: SocketAddr,
    /// The emulator's address.
    pub emulator_addr: SocketAddr,
    /// The gateway's webhook address (the emulator posts there).
    pub webhook_addr: SocketAddr,
    /// The gateway's event bus.
    pub bus: Bus,
    /// Control of the emulator.
    pub emulator: EmulatorHandle,
    shutdown: CancellationToken,
    _redis: Option<redis::RedisServer>,
}

/// Where the bus and the windows live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In the gateway process.
    Memory,
    /// In a real redis-server.
    Redis,
}

/// Runs each named `async fn(Backend)` of the enclosing module as two tests,
/// `memory::<name>` and `redis::<name>`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::support::Backend::Memory).await
            })*
        }
        mod redis {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::support::Backend::Redis).await
            })*
        }
    };
}

impl TestGateway {
    pub fn builder() -> Builder {
        Builder {
            emulator: EmulatorConfig {
                status_interval: Duration::from_millis(10),
                template_review_delay: Duration::from_millis(10),
                ..EmulatorConfig::default()
            },
            tls: None,
            graph_timeout: Duration::from_secs(5),
            graph_token: None,
            // Most tests check what reaches Meta; the window has its own tests.
            enforce_window: false,
            redis: None,
            redis_server: None,
            subscriber_buffer: BusSettings::default().subscriber_buffer,
            // Unlimited: the emulator's own 130429 has its test.
            messages_per_second: 0,
            pair_rate_limit: false,
            webhook_limits: WebhookLimits { max_body_bytes: 1 << 20, ..WebhookLimits::default() },
            apps: Vec::new(),
            grpc_limits: GrpcLimits::default(),
        }
    }

    /// A gateway on `backend` (Redis: a server of its own).
    pub async fn on(backend: Backend) -> Self {
        Self::builder().backend(backend).spawn().await
    }

    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// A plaintext channel to the gateway.
    pub async fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.grpc_addr)).unwrap().connect().await.unwrap()
    }

    /// A plaintext channel that connects on first use.
    pub fn channel_lazy(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.grpc_addr)).unwrap().connect_lazy()
    }

    /// A messaging client presenting `key` (or no key).
    pub async fn messaging_with(&self, key: Option<&str>) -> Messaging {
        let bearer = Bearer(key.map(|k| format!("Bearer {k}").parse().unwrap()));
        MessagingServiceClient::with_interceptor(self.channel().await, bearer)
    }

    /// A messaging client with the full key.
    pub async fn messaging(&self) -> Messaging {
        self.messaging_with(Some(KEY)).await
    }

    /// An events client with the full key.
    pub async fn events(&self) -> Events {
        EventServiceClient::with_interceptor(self.channel().await, bearer(KEY))
    }

    /// Starts the gateway's (and the emulator's) shutdown.
    pub fn start_shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Posts a webhook body signed with the app secret (or `signature`).
    pub async fn post_webhook(&self, body: &[u8], signature: Option<&str>) -> reqwest::Response {
        let signature = signature.map_or_else(|| sign(&EmulatorConfig::default().app_secret, body), str::to_owned);
        reqwest::Client::new()
            .post(format!("http://{}/webhook", self.webhook_addr))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// The JSON bodies the emulator accepted, oldest first.
    pub fn sent_bodies(&self) -> Vec<Value> {
        self.emulator.sent().into_iter().map(|m| m.body).collect()
    }

    /// The one body the emulator accepted since the last call; fails on zero or several.
    pub fn take_only_sent(&self) -> Value {
        let mut bodies = self.sent_bodies();
        self.emulator.clear_sent();
        assert_eq!(bodies.len(), 1, "expected exactly one request at the emulator, got {bodies:#?}");
        bodies.remove(0)
    }

    /// Has `from` write `text` to the business (a signed webhook reaches the
    /// gateway); returns the inbound wamid.
    pub async fn inbound_text(&self, from: &str, text: &str) -> String {
        let spec = InboundSpec {
            phone_number_id: None,
            from: from.to_owned(),
            profile_name: Some("Ana".to_owned()),
            message: serde_json::json!({"type": "text", "text": {"body": text}}),
        };
        self.emulator.inject_inbound(spec).await.unwrap()
    }

    /// Seeds an approved template in the emulator.
    pub fn add_template(&self, name: &str, language: &str, category: &str, components: Value) {
        self.emulator.add_template(name, language, category, components).unwrap();
    }

    /// Uploads bytes straight to the emulator (as Meta's upload endpoint) and returns the media id.
    pub async fn upload_to_emulator(&self, mime: &str, filename: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()).mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.to_owned())
            .part("file", part);
        let answer: Value = reqwest::Client::new()
            .post(format!("http://{}/v25.0/{PHONE}/media", self.emulator_addr))
            .bearer_auth(EmulatorConfig::default().access_token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["id"].as_str().unwrap_or_else(|| panic!("upload failed: {answer}")).to_owned()
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Builder {
    pub fn tls(mut self, pem: TlsPem) -> Self {
        self.tls = Some(pem);
        self
    }

    pub fn graph_timeout(mut self, timeout: Duration) -> Self {
        self.graph_timeout = timeout;
        self
    }

    /// Makes the gateway present this token to the emulator instead of the right one.
    pub fn graph_token(mut self, token: &str) -> Self {
        self.graph_token = Some(token.to_owned());
        self
    }

    /// The gateway's per-number throughput limit (0 is none).
    pub fn messages_per_second(mut self, limit: u32) -> Self {
        self.messages_per_second = limit;
        self
    }

    /// Paces each contact at Meta's pair rate.
    pub fn pair_rate_limit(mut self, on: bool) -> Self {
        self.pair_rate_limit = on;
        self
    }

    /// How many live events may wait for a slow subscriber.
    pub fn subscriber_buffer(mut self, events: usize) -> Self {
        self.subscriber_buffer = events;
        self
    }

    /// Runs the bus and windows on `backend`; Redis starts a server owned by the gateway.
    pub fn backend(mut self, backend: Backend) -> Self {
        if backend == Backend::Redis {
            let server = redis::RedisServer::start();
            self = self.redis(&server.url(), "it:");
            self.redis_server = Some(server);
        }
        self
    }

    /// What every webhook publish waits for (after [`Builder::redis`]).
    pub fn redis_durability(mut self, durability: Durability) -> Self {
        self.redis.as_mut().expect("redis(…) first").durability = durability;
        self
    }

    /// Uses Redis at `url` with the key prefix `prefix` for the bus and the windows.
    pub fn redis(mut self, url: &str, prefix: &str) -> Self {
        self.redis = Some(RedisSettings {
            url: SecretString::from(url.to_owned()),
            key_prefix: prefix.to_owned(),
            durability: Durability::None,
        });
        self
    }

    pub fn enforce_window(mut self, on: bool) -> Self {
        self.enforce_window = on;
        self
    }

    pub fn throughput(mut self, per_second: u32) -> Self {
        self.emulator.throughput_per_second = per_second;
        self
    }

    pub fn webhook_limits(mut self, limits: WebhookLimits) -> Self {
        self.webhook_limits = limits;
        self
    }

    /// The gRPC listener's limits.
    pub fn grpc_limits(mut self, limits: GrpcLimits) -> Self {
        self.grpc_limits = limits;
        self
    }

    /// Where the emulator says media can be downloaded from.
    pub fn emulator_media_base_url(mut self, url: &str) -> Self {
        self.emulator.public_base_url = Some(url.to_owned());
        self
    }

    /// Meta apps owning the accounts (by default each account is its own).
    pub fn apps(mut self, apps: Vec<ResolvedApp>) -> Self {
        self.apps = apps;
        self
    }

    pub async fn spawn(self) -> TestGateway {
        self.try_spawn().await.unwrap()
    }

    /// [`Builder::spawn`], or why the gateway refused to start.
    pub async fn try_spawn(self) -> Result<TestGateway, wagate::app::AppError> {
        let emulator = Emulator::bind("127.0.0.1:0".parse().unwrap(), self.emulator.clone()).await.unwrap();
        let emulator_addr = emulator.local_addr();
        let handle = emulator.handle();
        let token = self.graph_token.unwrap_or_else(|| self.emulator.access_token.clone());
        let account = |name: &str, waba_id: &str, phones: &[&str]| ResolvedAccount {
            name: name.into(),
            waba_id: waba_id.into(),
            phone_number_ids: phones.iter().map(|p| (*p).to_owned()).collect(),
            access_token: SecretString::from(token.clone()),
            app_secrets: vec![SecretString::from(self.emulator.app_secret.clone())],
            graph_base_url: format!("http://{emulator_addr}"),
            api_version: "v25.0".into(),
        };
        let key = |key: &str, scopes: &[Scope], phones: PhoneNumbers| ResolvedApiKey {
            name: key.to_owned(),
            sha256: Sha256::digest(key.as_bytes()).into(),
            scopes: scopes.iter().copied().collect(),
            phone_number_ids: phones,
        };
        let config = Resolved {
            grpc_addr: "127.0.0.1:0".parse().unwrap(),
            tls: self.tls,
            shutdown_grace: Duration::from_secs(2),
            grpc_limits: self.grpc_limits,
            graph_timeout: self.graph_timeout,
            graph_connect_timeout: Duration::from_secs(2),
            graph_media_hosts: Vec::new(),
            webhook_addr: "127.0.0.1:0".parse().unwrap(),
            webhook_path: "/webhook".into(),
            webhook_verify_token: Some(SecretString::from(VERIFY_TOKEN)),
            webhook_limits: self.webhook_limits,
            default_phone_number_id: PHONE.into(),
            apps: self.apps,
            accounts: vec![
                account("test", &self.emulator.waba_id, &[PHONE, OTHER_PHONE]),
                account("second", SECOND_WABA, &[SECOND_PHONE]),
            ],
            api_keys: vec![
                key(KEY, &[Scope::Messages, Scope::Media, Scope::Templates, Scope::Events], PhoneNumbers::All),
                key(MEDIA_KEY, &[Scope::Media], PhoneNumbers::All),
                key(OTHER_PHONE_KEY, &[Scope::Messages], PhoneNumbers::Only([OTHER_PHONE.to_owned()].into())),
                key(SECOND_ACCOUNT_KEY, &[Scope::Events], PhoneNumbers::Only([SECOND_PHONE.to_owned()].into())),
            ],
            redis: self.redis,
            bus: BusSettings {
                ack_timeout: Duration::from_secs(3),
                subscriber_buffer: self.subscriber_buffer,
                ..BusSettings::default()
            },
            enforce_window: self.enforce_window,
            messages_per_second: self.messages_per_second,
            pair_rate_limit: self.pair_rate_limit,
        };
        let gateway = Gateway::bind(config).await?;
        let grpc_addr = gateway.grpc_addr();
        let webhook_addr = gateway.webhook_addr();
        let bus = gateway.bus();
        handle.set_webhook_url(Some(format!("http://{webhook_addr}/webhook")));
        let shutdown = CancellationToken::new();
        tokio::spawn(emulator.run(shutdown.clone()));
        tokio::spawn(gateway.run(shutdown.clone()));
        Ok(TestGateway {
            grpc_addr,
            emulator_addr,
            webhook_addr,
            bus,
            emulator: handle,
            shutdown,
            _redis: self.redis_server,
        })
    }
}

/// A free-form text message to CONTACT.
pub fn text(body: &str) -> wagate::pb::SendMessageRequest {
    use wagate::pb;
    let text = pb::Text { body: body.into(), preview_url: false };
    pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent { kind: Some(pb::message_content::Kind::Text(text)) }),
        ..Default::default()
    }
}

/// `authorization: Bearer <key>`.
pub fn bearer(key: &str) -> Bearer {
    Bearer(Some(format!("Bearer {key}").parse().unwrap()))
}

/// The `X-Hub-Signature-256` value Meta would send for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Reads a webhook fixture's raw bytes from tests/fixtures/webhooks.
pub fn webhook_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A self-signed certificate for `localhost`.
pub fn self_signed() -> (TlsPem, Vec<u8>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = cert.cert.pem().into_bytes();
    let pem = TlsPem { cert: cert_pem.clone(), key: cert.signing_key.serialize_pem().into_bytes() };
    (pem, cert_pem)
}

/// Reads a fixture from tests/fixtures/cloud-api.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/cloud-api/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The ErrorInfo of a status.
pub fn error_info(status: &Status) -> tonic_types::ErrorInfo {
    use tonic_types::StatusExt as _;
    status.get_details_error_info().unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"))
}

/// Every event stored so far, oldest first (waits briefly for none to be missed).
pub async fn stored(gateway: &TestGateway) -> Vec<pb::Event> {
    let newest = gateway.bus.publish(vec![]).await.unwrap();
    assert!(newest.is_empty());
    let mut sub = gateway.bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    let mut events = Vec::new();
    // The log is read in order; a marker published last bounds the read.
    let marker = pb::Event { id: format!("marker-{}", rand_id()), ..Default::default() };
    gateway.bus.publish(vec![marker.clone()]).await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), sub.next()).await.unwrap().unwrap().unwrap();
        if event.id == marker.id {
            return events;
        }
        // Markers of earlier calls are not events under test.
        if !event.id.starts_with("marker-") {
            events.push(event);
        }
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
