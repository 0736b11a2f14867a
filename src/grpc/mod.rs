//! The tonic services, thin: decode → authenticate → validate → policy →
//! Graph → encode. Each service is wrapped in its own [`auth::Authenticator`]
//! (the scope it needs); health and reflection need no key.

pub mod auth;
pub mod convert;
mod deadline;
mod events;
mod incoming;
mod media;
mod messaging;
pub mod template_convert;
mod templates;

use std::{sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    service::interceptor::InterceptedService,
    transport::{Identity, Server, ServerTlsConfig},
};
use tonic_health::ServingStatus;

use crate::{
    access::Scope,
    accounts::Accounts,
    bus::Bus,
    config::{GrpcLimits, ResolvedApiKey, TlsPem},
    pb::{
        self, event_service_server::EventServiceServer, media_service_server::MediaServiceServer,
        messaging_service_server::MessagingServiceServer, template_service_server::TemplateServiceServer,
    },
    policy::{idempotency::Idempotency, rate_limit::RateLimits, templates::TemplateCache, window::Windows},
};

pub use events::{EventStream, Events};
pub use media::{DOWNLOAD_CHUNK, DownloadStream, Media};
pub use messaging::Messaging;
pub use templates::Templates;

/// The fully qualified names of the four services, as health and reflection report them.
pub const SERVICE_NAMES: [&str; 4] =
    ["wagate.v1.MessagingService", "wagate.v1.MediaService", "wagate.v1.TemplateService", "wagate.v1.EventService"];

/// State shared by every service.
#[derive(Clone)]
pub struct Shared {
    /// The accounts, by phone number id.
    pub accounts: Accounts,
    /// Idempotency keys of sends.
    pub idempotency: Idempotency,
    /// The event bus.
    pub bus: Bus,
    /// The contacts' 24 h windows.
    pub windows: Arc<Windows>,
    /// Refuse free-form sends outside the window before calling Meta.
    pub enforce_window: bool,
    /// The per-number and per-pair pacing.
    pub rate_limit: Arc<RateLimits>,
    /// The approved templates, to check template sends before calling Meta.
    pub templates: Arc<TemplateCache>,
}

impl Shared {
    /// Shared state over the stores, with an empty template cache (which
    /// stores nothing until its invalidator runs: see
    /// [`TemplateCache::run_invalidator`]).
    pub fn new(
        accounts: Accounts,
        bus: Bus,
        windows: Arc<Windows>,
        idempotency: Idempotency,
        rate_limit: RateLimits,
        enforce_window: bool,
    ) -> Self {
        Self {
            accounts,
            idempotency,
            bus,
            windows,
            enforce_window,
            rate_limit: Arc::new(rate_limit),
            templates: Arc::new(TemplateCache::default()),
        }
    }
}

/// What the gRPC server needs besides its listener.
pub struct GrpcSettings {
    /// The API keys.
    pub api_keys: Arc<[ResolvedApiKey]>,
    /// TLS, or plaintext.
    pub tls: Option<TlsPem>,
    /// Connections, streams, keepalive, deadlines and message sizes.
    pub limits: GrpcLimits,
}

/// Serves the four services, health and reflection on `listener` until
/// `shutdown` is cancelled, then lets in-flight calls finish.
pub async fn serve(
    listener: TcpListener,
    shared: Shared,
    settings: GrpcSettings,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let keys = settings.api_keys;
    let auth = |scope| auth::Authenticator::new(keys.clone(), scope);

    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICE_NAMES {
        health.set_service_status(name, ServingStatus::Serving).await;
    }
    tokio::spawn(watch_health(health, shared.bus.clone(), shutdown.clone()));

    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // google.rpc.ErrorInfo / BadRequest, so tools decode error details.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    // grpcurl and most tooling speak v1; older tools still ask v1alpha.
    let reflection_v1 = reflection().build_v1().map_err(ServeError::Reflection)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(ServeError::Reflection)?;

    let limits = settings.limits;
    let mut server = Server::builder()
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        .max_concurrent_streams(limits.max_concurrent_streams)
        .http2_max_header_list_size(limits.max_header_list_bytes);
    if let Some(tls) = settings.tls {
        server = server.tls_config(ServerTlsConfig::new().identity(Identity::from_pem(tls.cert, tls.key)))?;
    }
    let mut server = server.layer(deadline::DefaultDeadlineLayer { deadline: limits.default_unary_deadline });
    let incoming = incoming::incoming(listener, limits.max_connections);
    let size = limits.max_message_bytes;
    server
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(InterceptedService::new(
            MessagingServiceServer::new(Messaging::new(shared.clone()))
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
            auth(Scope::Messages),
        ))
        .add_service(InterceptedService::new(
            MediaServiceServer::new(Media::new(shared.clone(), shutdown.clone()))
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
            auth(Scope::Media),
        ))
        .add_service(InterceptedService::new(
            TemplateServiceServer::new(Templates::new(shared.clone()))
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
            auth(Scope::Templates),
        ))
        .add_service(InterceptedService::new(
            EventServiceServer::new(events::Events::new(shared, shutdown.clone()))
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
            auth(Scope::Events),
        ))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await?;
    Ok(())
}

/// How often the event store is checked for health.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

/// Reports the services NOT_SERVING while the event store is unreachable
/// (load balancers then route around this replica) and from the start of
/// shutdown on.
async fn watch_health(health: tonic_health::server::HealthReporter, bus: Bus, shutdown: CancellationToken) {
    let set_all = |status: ServingStatus| {
        let health = health.clone();
        async move {
            health.set_service_status("", status).await;
            for name in SERVICE_NAMES {
                health.set_service_status(name, status).await;
            }
        }
    };
    let mut serving = true;
    let mut interval = tokio::time::interval(HEALTH_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        let up = match bus.ping().await {
            Ok(()) => true,
            Err(e) => {
                if serving {
                    tracing::error!(error = %e, "event store unreachable: reporting NOT_SERVING");
                }
                false
            }
        };
        if up != serving {
            serving = up;
            set_all(if up { ServingStatus::Serving } else { ServingStatus::NotServing }).await;
            if up {
                tracing::info!("event store reachable again: reporting SERVING");
            }
        }
    }
    set_all(ServingStatus::NotServing).await;
}

/// Why the gRPC server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed (TLS setup, accept loop).
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
    /// The compiled-in descriptor set could not be served (a build bug).
    #[error("reflection: {0}")]
    Reflection(tonic_reflection::server::Error),
}
