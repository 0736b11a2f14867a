//! `wagate sandbox` in process: health, reflection, and a first message.

use std::time::Duration;

use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};
use wagate::{
    app::{Sandbox, SandboxOptions},
    pb::{self, message_content::Kind, messaging_service_client::MessagingServiceClient},
};

use crate::support::Bearer;

pub fn options() -> SandboxOptions {
    let any = "127.0.0.1:0".parse().unwrap();
    SandboxOptions {
        grpc_addr: any,
        webhook_addr: any,
        emulator_addr: any,
        verify_token: "vt".into(),
        app_secret: "secret".into(),
        api_key: "sandbox-key".into(),
        status_interval: Duration::from_millis(10),
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap()
}

/// The service names reflection lists.
pub async fn reflected_services(channel: Channel) -> Vec<String> {
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    match answers.next().await.unwrap().unwrap().message_response {
        Some(MessageResponse::ListServicesResponse(list)) => list.service.into_iter().map(|s| s.name).collect(),
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

/// Whether reflection knows the file that defines `symbol`.
async fn reflection_resolves(channel: Channel, symbol: &str) -> bool {
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(symbol.into())),
    };
    let mut answers = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    matches!(
        answers.next().await.unwrap().unwrap().message_response,
        Some(MessageResponse::FileDescriptorResponse(files)) if !files.file_descriptor_proto.is_empty()
    )
}

#[tokio::test]
async fn health_reflection_and_a_first_message_without_credentials() {
    let sandbox = Sandbox::bind(options()).await.unwrap();
    let grpc = sandbox.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(sandbox.run(shutdown.clone()));
    let channel = connect(grpc).await;

    let mut health = HealthClient::new(channel.clone());
    for service in ["", "wagate.v1.MessagingService", "wagate.v1.EventService"] {
        let answer = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(answer.status(), ServingStatus::Serving, "{service:?}");
    }

    let services = reflected_services(channel.clone()).await;
    for name in wagate::grpc::SERVICE_NAMES.iter().chain(&["grpc.health.v1.Health"]) {
        assert!(services.iter().any(|s| s == name), "{name} not in {services:?}");
    }

    // Error details decode in grpcurl and other reflection-driven tools.
    for symbol in ["google.rpc.ErrorInfo", "google.rpc.BadRequest"] {
        assert!(reflection_resolves(channel.clone(), symbol).await, "{symbol}");
    }

    let bearer = Bearer(Some("Bearer sandbox-key".parse().unwrap()));
    let mut messaging = MessagingServiceClient::with_interceptor(channel, bearer);
    let template =
        pb::TemplateMessage { name: "hello_world".into(), language_code: "en_US".into(), ..Default::default() };
    let response = messaging
        .send_message(pb::SendMessageRequest {
            to: "+1 415 555 0123".into(),
            content: Some(pb::MessageContent { kind: Some(Kind::Template(template)) }),
            ..Default::default()
        })
        .await
        .expect("the sandbox sends its hello_world template")
        .into_inner();
    assert!(response.message_id.starts_with("wamid."));

    shutdown.cancel();
    running.await.unwrap().expect("the sandbox stops cleanly");
}
