//! Assembling the process: every listener is bound before anything serves (so
//! callers know the real addresses, port 0 included), then everything runs on
//! one task tracker until one cancellation token is cancelled, and in-flight
//! work gets a grace period to finish.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    sync::{Arc, atomic::AtomicU64},
    time::Duration,
};

use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    access::{PhoneNumbers, Scope},
    accounts::Accounts,
    bus::{Bus, BusSettings, RedisBus},
    config::{Durability, GrpcLimits, Resolved, ResolvedAccount, ResolvedApiKey, WebhookLimits},
    emulator::{Emulator, EmulatorConfig, EmulatorHandle},
    grpc::{self, GrpcSettings, Shared},
    policy::{
        self,
        idempotency::{DEFAULT_RETENTION, Idempotency},
        rate_limit::{Rate, RateLimits},
        window::{RedisWindows, Windows},
    },
    webhook::{apps::WebhookApps, budget::BodyBudget, handler::WebhookState, listener::Listener},
};

/// Why the process could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Grpc(#[from] grpc::ServeError),
    /// The emulator failed.
    #[error("emulator: {0}")]
    Emulator(io::Error),
    /// The webhook listener failed.
    #[error("webhook listener: {0}")]
    Webhook(io::Error),
    /// Redis could not be reached at start.
    #[error("redis: {0}")]
    Redis(String),
}

/// Logs once at startup what protects events already answered 200 to Meta:
/// a warning when a Redis crash would lose them.
fn report_durability(bus: &RedisBus, durability: &Durability) {
    match bus.persistence() {
        Ok(persistence) => match persistence.warning(durability) {
            Some(warning) => tracing::warn!("{warning}"),
            None => tracing::info!("{}", persistence.summary(durability)),
        },
        Err(error) => tracing::warn!(
            %error,
            "could not read Redis' persistence (INFO refused?): whether events answered 200 to Meta survive \
             a Redis crash is unknown; see redis.durability"
        ),
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr).await.map_err(|source| AppError::Bind { addr, source })
}

/// The gateway: the gRPC server and the webhook listener over the configured
/// accounts, sharing one event bus.
pub struct Gateway {
    grpc: TcpListener,
    grpc_addr: SocketAddr,
    webhook: Listener,
    webhook_state: Arc<WebhookState>,
    shared: Shared,
    settings: GrpcSettings,
    grace: Duration,
    background: CancellationToken,
}

// === impl Gateway ===

impl Gateway {
    /// Binds the gRPC and webhook listeners of `config`, builds the Graph
    /// clients and the event bus.
    pub async fn bind(config: Resolved) -> Result<Self, AppError> {
        let grpc = bind(config.grpc_addr).await?;
        let grpc_addr = grpc.local_addr().map_err(|source| AppError::Bind { addr: config.grpc_addr, source })?;
        let webhook = Listener::bind(config.webhook_addr)
            .await
            .map_err(|source| AppError::Bind { addr: config.webhook_addr, source })?;
        // Background tasks of the stores (Redis pub/sub) stop with the gateway.
        let background = CancellationToken::new();
        let rate = config.messages_per_second;
        let (bus, windows, idempotency, rate_limit) = match &config.redis {
            None => (
                Bus::memory(config.bus.clone()),
                Windows::memory(),
                Idempotency::memory(DEFAULT_RETENTION),
                RateLimits::memory(Rate::per_second(rate), config.pair_rate_limit),
            ),
            Some(redis) => {
                let url = redis.url.expose_secret();
                let prefix = &redis.key_prefix;
                let bus =
                    RedisBus::connect_durable(url, prefix, config.bus.clone(), redis.durability, background.clone())
                        .await
                        .map_err(|e| AppError::Redis(e.to_string()))?;
                report_durability(&bus, &redis.durability);
                let state = policy::connect_redis(url).await.map_err(|e| AppError::Redis(e.to_string()))?;
                let windows = Windows::Redis(RedisWindows::new(state.clone(), prefix));
                let idempotency = Idempotency::redis(state.clone(), prefix, DEFAULT_RETENTION);
                (
                    Bus::Redis(Arc::new(bus)),
                    windows,
                    idempotency,
                    RateLimits::redis(Rate::per_second(rate), config.pair_rate_limit, state, prefix),
                )
            }
        };
        let windows = Arc::new(windows);
        let webhook_state = Arc::new(WebhookState {
            apps: WebhookApps::new(config.webhook_apps(), &config.accounts),
            foreign_entries: AtomicU64::new(0),
            budget: BodyBudget::new(config.webhook_limits.max_body_bytes_in_flight),
            limits: config.webhook_limits.clone(),
            bus: bus.clone(),
            windows: windows.clone(),
        });
        Ok(Self {
            grpc,
            grpc_addr,
            webhook,
            webhook_state,
            shared: Shared::new(
                Accounts::from_config(&config),
                bus,
                windows,
                idempotency,
                rate_limit,
                config.enforce_window,
            ),
            settings: GrpcSettings {
                api_keys: Arc::from(config.api_keys),
                tls: config.tls,
                limits: config.grpc_limits,
            },
            grace: config.shutdown_grace,
            background,
        })
    }

    /// The bound gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The bound webhook address.
    pub fn webhook_addr(&self) -> SocketAddr {
        self.webhook.local_addr()
    }

    /// The event bus (tests publish and subscribe on it directly).
    pub fn bus(&self) -> Bus {
        self.shared.bus.clone()
    }

    /// Serves until `shutdown` is cancelled, then drains.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), AppError> {
        let runner = Runner::new(shutdown, self.grace);
        runner.spawn("template-cache", {
            let (cache, bus, shutdown) = (self.shared.templates.clone(), self.shared.bus.clone(), runner.token());
            async move {
                cache.run_invalidator(bus, shutdown).await;
                Ok(())
            }
        });
        runner.spawn("webhook", {
            let shutdown = runner.token();
            async move { self.webhook.run(self.webhook_state, shutdown).await.map_err(AppError::Webhook) }
        });
        runner.spawn("grpc", {
            let shutdown = runner.token();
            async move { grpc::serve(self.grpc, self.shared, self.settings, shutdown).await.map_err(AppError::from) }
        });
        let result = runner.wait().await;
        self.background.cancel();
        result
    }
}

/// Options of `wagate sandbox`.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Where the gRPC server listens.
    pub grpc_addr: SocketAddr,
    /// Where the webhook listener listens.
    pub webhook_addr: SocketAddr,
    /// Where the emulator listens.
    pub emulator_addr: SocketAddr,
    /// The webhook verify token.
    pub verify_token: String,
    /// The app secret shared by the emulator and the webhook listener.
    pub app_secret: String,
    /// The API key clients use.
    pub api_key: String,
    /// Delay between a message's statuses.
    pub status_interval: Duration,
}

/// The sandbox: the gateway wired to an in-process Cloud API emulator.
pub struct Sandbox {
    gateway: Gateway,
    emulator: Emulator,
    options: SandboxOptions,
}

// === impl Sandbox ===

impl Sandbox {
    /// Binds the emulator and the gateway, the gateway's Graph client aimed at the emulator.
    pub async fn bind(options: SandboxOptions) -> Result<Self, AppError> {
        let emulator_config = EmulatorConfig {
            app_secret: options.app_secret.clone(),
            status_interval: options.status_interval,
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::bind(options.emulator_addr, emulator_config.clone())
            .await
            .map_err(|source| AppError::Bind { addr: options.emulator_addr, source })?;
        let config = Resolved {
            grpc_addr: options.grpc_addr,
            tls: None,
            shutdown_grace: Duration::from_secs(5),
            grpc_limits: GrpcLimits::default(),
            graph_timeout: Duration::from_secs(10),
            graph_connect_timeout: Duration::from_secs(2),
            graph_media_hosts: Vec::new(),
            webhook_addr: options.webhook_addr,
            webhook_path: "/webhook".into(),
            webhook_verify_token: Some(SecretString::from(options.verify_token.clone())),
            webhook_limits: WebhookLimits::default(),
            default_phone_number_id: emulator_config.phone_number_id.clone(),
            apps: Vec::new(),
            accounts: vec![ResolvedAccount {
                name: "sandbox".into(),
                waba_id: emulator_config.waba_id.clone(),
                phone_number_ids: vec![emulator_config.phone_number_id.clone()],
                access_token: SecretString::from(emulator_config.access_token.clone()),
                app_secrets: vec![SecretString::from(options.app_secret.clone())],
                graph_base_url: format!("http://{}", emulator.local_addr()),
                api_version: "v25.0".into(),
            }],
            api_keys: vec![ResolvedApiKey {
                name: "sandbox".into(),
                sha256: Sha256::digest(options.api_key.as_bytes()).into(),
                scopes: [Scope::Messages, Scope::Media, Scope::Templates, Scope::Events].into(),
                phone_number_ids: PhoneNumbers::All,
            }],
            redis: None,
            bus: BusSettings::default(),
            enforce_window: true,
            messages_per_second: 80,
            pair_rate_limit: true,
        };
        let gateway = Gateway::bind(config).await?;
        let handle = emulator.handle();
        handle.set_webhook_url(Some(format!("http://{}/webhook", gateway.webhook_addr())));
        // Meta gives every new number this template; so does the sandbox.
        let seeded = handle.add_template(
            "hello_world",
            "en_US",
            "UTILITY",
            serde_json::json!([
                {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
                {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}
            ]),
        );
        if let Err(e) = seeded {
            tracing::warn!(error = %e, "could not seed the hello_world template");
        }
        Ok(Self { gateway, emulator, options })
    }

    /// The bound gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.gateway.grpc_addr()
    }

    /// The bound emulator address.
    pub fn emulator_addr(&self) -> SocketAddr {
        self.emulator.local_addr()
    }

    /// Control of the emulator (inject messages and faults, list what was sent).
    pub fn emulator(&self) -> EmulatorHandle {
        self.emulator.handle()
    }

    /// What to print at start: every address, the credentials and a command to try.
    pub fn banner(&self) -> String {
        let o = &self.options;
        let grpc = self.grpc_addr();
        format!(
            "wagate sandbox is running (no credentials, no Redis)\n\
             \n  gRPC            {grpc}   (API key: {key})\
             \n  webhook         http://{webhook}/webhook   (verify token: {vt}, app secret: {secret})\
             \n  Cloud API       http://{emu}   (emulator; admin API under /_admin)\
             \n  phone number id {phone}\
             \n\nTry:\n  grpcurl -plaintext -H 'authorization: Bearer {key}' \\\n    \
             -d '{{\"to\": \"+14155550123\", \"content\": {{\"template\": {{\"name\": \"hello_world\", \"language_code\": \"en_US\"}}}}}}' \\\n    \
             {grpc} wagate.v1.MessagingService/SendMessage\n",
            key = o.api_key,
            webhook = self.gateway.webhook_addr(),
            vt = o.verify_token,
            secret = o.app_secret,
            emu = self.emulator_addr(),
            phone = EmulatorConfig::default().phone_number_id,
        )
    }

    /// Serves until `shutdown` is cancelled, then drains.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), AppError> {
        let runner = Runner::new(shutdown, self.gateway.grace);
        runner.spawn("emulator", {
            let shutdown = runner.token();
            async move { self.emulator.run(shutdown).await.map_err(AppError::Emulator) }
        });
        runner.spawn("gateway", {
            let shutdown = runner.token();
            async move { self.gateway.run(shutdown).await }
        });
        runner.wait().await
    }
}

/// Runs the emulator alone until `shutdown` is cancelled.
pub async fn run_emulator(
    addr: SocketAddr,
    config: EmulatorConfig,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let emulator = Emulator::bind(addr, config).await.map_err(|source| AppError::Bind { addr, source })?;
    tracing::info!(addr = %emulator.local_addr(), "Cloud API emulator listening");
    emulator.run(shutdown).await.map_err(AppError::Emulator)
}

/// Tasks that stop together: the first failure or the shutdown token cancels
/// all of them, then they get `grace` to finish.
struct Runner {
    tracker: TaskTracker,
    token: CancellationToken,
    grace: Duration,
    errors: Arc<std::sync::Mutex<Vec<AppError>>>,
}

impl Runner {
    fn new(shutdown: CancellationToken, grace: Duration) -> Self {
        Self { tracker: TaskTracker::new(), token: shutdown.child_token(), grace, errors: Arc::default() }
    }

    fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    fn spawn(&self, name: &'static str, task: impl Future<Output = Result<(), AppError>> + Send + 'static) {
        let token = self.token.clone();
        let errors = self.errors.clone();
        self.tracker.spawn(async move {
            match task.await {
                Ok(()) => tracing::debug!(task = name, "stopped"),
                Err(e) => {
                    tracing::error!(task = name, error = %e, "stopped with an error; shutting down");
                    errors.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                }
            }
            // One task ending means the process is going down.
            token.cancel();
        });
    }

    async fn wait(self) -> Result<(), AppError> {
        self.tracker.close();
        self.token.cancelled().await;
        if tokio::time::timeout(self.grace, self.tracker.wait()).await.is_err() {
            tracing::warn!(grace = ?self.grace, "in-flight work did not finish within the grace period");
        }
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        match errors.drain(..).next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
