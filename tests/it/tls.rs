//! The gRPC listener with TLS from configured PEM files.

use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use wagate::pb::{self, message_content::Kind, messaging_service_client::MessagingServiceClient};

use crate::support::{Bearer, CONTACT, KEY, TestGateway, self_signed};

#[tokio::test]
async fn a_tls_connection_works_and_plaintext_is_refused() {
    let (pem, ca) = self_signed();
    let gateway = TestGateway::builder().tls(pem).spawn().await;
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)).domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://localhost:{}", gateway.grpc_addr.port()))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("TLS handshake with the configured certificate");
    let bearer = Bearer(Some(format!("Bearer {KEY}").parse().unwrap()));
    let mut client = MessagingServiceClient::with_interceptor(channel, bearer.clone());
    let request = pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent {
            kind: Some(Kind::Text(pb::Text { body: "over TLS".into(), preview_url: false })),
        }),
        ..Default::default()
    };
    let response = client.send_message(request.clone()).await.unwrap().into_inner();
    assert!(response.message_id.starts_with("wamid."));

    let mut plaintext = MessagingServiceClient::with_interceptor(gateway.channel_lazy(), bearer);
    assert!(plaintext.send_message(request).await.is_err(), "a plaintext call to a TLS listener must fail");
}
