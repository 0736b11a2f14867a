//! Inputs that reach a Graph path or a URL: ids are Graph ids before any
//! request is made, and a media download sends the token only to allowed hosts.

use tonic::Code;
use wagate::{
    emulator::{Fault, FaultKind},
    pb::{self, media_service_client::MediaServiceClient},
};

use crate::support::{KEY, TestGateway, bearer};

async fn media_client(
    gateway: &TestGateway,
) -> MediaServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, crate::support::Bearer>,
> {
    MediaServiceClient::with_interceptor(gateway.channel().await, bearer(KEY))
}

#[tokio::test]
async fn ids_that_are_not_graph_ids_never_reach_graph() {
    let gateway = TestGateway::spawn().await;
    let mut media = media_client(&gateway).await;
    let media_id = gateway.upload_to_emulator("image/jpeg", "a.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]).await;
    // A one-shot fault on any path: whichever request reaches the emulator
    // first consumes it.
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::GraphError {
            http_status: 400,
            code: 100,
            subcode: None,
            message: "first request".into(),
            details: String::new(),
        },
        path_contains: None,
    });
    for id in ["..", ".", "../me", "a/b", "1?fields=x", "1%2F2", "me", " 1"] {
        let request = pb::GetMediaRequest { media_id: id.into(), phone_number_id: String::new() };
        let status = media.get_media(request).await.expect_err(id);
        assert_eq!(status.code(), Code::InvalidArgument, "{id:?}: {status:?}");
        let request = pb::DownloadMediaRequest { media_id: id.into(), phone_number_id: String::new() };
        assert_eq!(media.download_media(request).await.expect_err(id).code(), Code::InvalidArgument);
    }
    // The fault is still there: the first request to reach the emulator is this one.
    let status = media.get_media(pb::GetMediaRequest { media_id, phone_number_id: String::new() }).await;
    let status = status.expect_err("the one-shot fault was consumed by a refused id");
    assert!(status.message().contains("first request"), "{status:?}");
}

#[tokio::test]
async fn a_media_url_off_the_allow_list_is_refused_before_the_token_is_sent() {
    // A listener standing in for a stranger's host: it counts connections.
    let stranger = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stranger_addr = stranger.local_addr().unwrap();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = stranger.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let gateway = TestGateway::builder().emulator_media_base_url(&format!("http://{stranger_addr}")).spawn().await;
    let media_id = gateway.upload_to_emulator("image/jpeg", "a.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]).await;
    let mut media = media_client(&gateway).await;
    let request = pb::DownloadMediaRequest { media_id, phone_number_id: String::new() };
    let status = match media.download_media(request).await {
        Err(status) => status,
        Ok(stream) => {
            let mut stream = stream.into_inner();
            loop {
                match stream.message().await {
                    Err(status) => break status,
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("the download succeeded from a host off the allow-list"),
                }
            }
        }
    };
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("graph.media_hosts"), "{status:?}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "something connected to the stranger");
}
