//! MediaService end to end against the emulator: a multi-megabyte upload
//! through the client stream comes back byte for byte through the download
//! stream; limits, bad types, unknown ids and tampered downloads get their
//! codes; a contact's inbound image downloads by the id its event carries;
//! a key reaches only its own numbers' media; transfers end at shutdown.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use tokio_stream::{Stream, StreamExt as _};
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status, service::interceptor::InterceptedService, transport::Channel};
use wagate::{
    access::{PhoneNumbers, Scope},
    app::{Gateway, Sandbox},
    bus::BusSettings,
    config::{Resolved, ResolvedAccount, ResolvedApiKey},
    emulator::{Emulator, EmulatorConfig, EmulatorHandle, InboundSpec},
    pb::{
        self, download_media_response, event::Kind, inbound_message::Content, media_service_client::MediaServiceClient,
        subscribe_events_request::Start, upload_media_request::Part,
    },
};

use crate::support::{Bearer, CONTACT, KEY, PHONE, TestGateway, bearer};

/// The failure bound of every wait.
const WAIT: Duration = Duration::from_secs(30);
const CHUNK: usize = 64 * 1024;
const MB: usize = 1024 * 1024;

type Client = MediaServiceClient<InterceptedService<Channel, Bearer>>;

async fn client(gateway: &TestGateway) -> Client {
    MediaServiceClient::with_interceptor(gateway.channel().await, bearer(KEY))
}

/// Deterministic bytes that do not compress or repeat (xorshift64).
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn metadata(mime_type: &str, filename: &str) -> pb::UploadMediaRequest {
    pb::UploadMediaRequest {
        part: Some(Part::Metadata(pb::UploadMediaMetadata {
            phone_number_id: PHONE.into(),
            mime_type: mime_type.into(),
            filename: filename.into(),
            kind: pb::MediaKind::Unspecified.into(),
        })),
    }
}

fn chunk(bytes: &[u8]) -> pb::UploadMediaRequest {
    pb::UploadMediaRequest { part: Some(Part::Chunk(bytes.to_vec())) }
}

/// The metadata, then `data` in 64 KiB chunks.
fn upload_stream(mime_type: &str, filename: &str, data: &[u8]) -> impl Stream<Item = pb::UploadMediaRequest> + use<> {
    let mut messages = vec![metadata(mime_type, filename)];
    messages.extend(data.chunks(CHUNK).map(chunk));
    tokio_stream::iter(messages)
}

async fn upload(client: &mut Client, mime_type: &str, data: &[u8]) -> Result<pb::UploadMediaResponse, Status> {
    let call = client.upload_media(upload_stream(mime_type, "file.bin", data));
    tokio::time::timeout(WAIT, call).await.expect("the upload did not finish in time").map(|r| r.into_inner())
}

/// The download's description, its bytes, and how it ended.
struct Downloaded {
    media: pb::Media,
    bytes: Vec<u8>,
    largest_chunk: usize,
    end: Result<(), Status>,
}

async fn download(client: &mut Client, media_id: &str) -> Result<Downloaded, Status> {
    let request = pb::DownloadMediaRequest { media_id: media_id.into(), phone_number_id: String::new() };
    let mut stream = tokio::time::timeout(WAIT, client.download_media(request)).await.expect("no answer")?.into_inner();
    let mut media = None;
    let mut bytes = Vec::new();
    let mut largest_chunk = 0;
    let end = loop {
        match tokio::time::timeout(WAIT, stream.next()).await.expect("the download stalled") {
            None => break Ok(()),
            Some(Err(status)) => break Err(status),
            Some(Ok(message)) => match message.part {
                Some(download_media_response::Part::Media(m)) => {
                    assert!(media.is_none() && bytes.is_empty(), "the description comes once, first");
                    media = Some(m);
                }
                Some(download_media_response::Part::Chunk(c)) => {
                    assert!(media.is_some(), "a chunk before the description");
                    largest_chunk = largest_chunk.max(c.len());
                    bytes.extend_from_slice(&c);
                }
                None => panic!("an empty download message"),
            },
        }
    };
    Ok(Downloaded { media: media.expect("no description"), bytes, largest_chunk, end })
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

// === a gateway configured by the test ===

/// One account of a [`Custom`] gateway: its WABA and phone numbers, all
/// served by the one emulator with its token.
pub struct CustomAccount<'a> {
    pub waba_id: &'a str,
    pub phone_number_ids: &'a [&'a str],
}

/// An emulator and a gateway whose accounts, keys and default number the test
/// chooses (the support harness has one fixed set), each with its own
/// shutdown token. Both stop when it is dropped. The template tests use it too.
pub struct Custom {
    pub grpc_addr: SocketAddr,
    pub emulator_addr: SocketAddr,
    pub emulator: EmulatorHandle,
    /// Cancels the gateway alone; the emulator keeps serving.
    pub gateway_shutdown: CancellationToken,
    emulator_shutdown: CancellationToken,
}

impl Drop for Custom {
    fn drop(&mut self) {
        self.gateway_shutdown.cancel();
        self.emulator_shutdown.cancel();
    }
}

/// A key named `key` (its hash configured) with `scopes` and `phones`.
pub fn api_key(key: &str, scopes: &[Scope], phones: PhoneNumbers) -> ResolvedApiKey {
    ResolvedApiKey {
        name: key.to_owned(),
        sha256: Sha256::digest(key.as_bytes()).into(),
        scopes: scopes.iter().copied().collect(),
        phone_number_ids: phones,
    }
}

impl Custom {
    pub async fn spawn(default_phone: &str, accounts: &[CustomAccount<'_>], api_keys: Vec<ResolvedApiKey>) -> Self {
        let emulator_config = EmulatorConfig { template_review_delay: Duration::from_millis(10), ..Default::default() };
        let emulator = Emulator::bind("127.0.0.1:0".parse().unwrap(), emulator_config.clone()).await.unwrap();
        let emulator_addr = emulator.local_addr();
        let accounts = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| ResolvedAccount {
                name: format!("account-{i}"),
                waba_id: a.waba_id.to_owned(),
                phone_number_ids: a.phone_number_ids.iter().map(|p| (*p).to_owned()).collect(),
                access_token: SecretString::from(emulator_config.access_token.clone()),
                app_secrets: vec![SecretString::from(emulator_config.app_secret.clone())],
                graph_base_url: format!("http://{emulator_addr}"),
                api_version: "v25.0".into(),
            })
            .collect();
        let config = Resolved {
            grpc_addr: "127.0.0.1:0".parse().unwrap(),
            tls: None,
            shutdown_grace: Duration::from_secs(30),
            grpc_limits: wagate::config::GrpcLimits::default(),
            graph_timeout: Duration::from_secs(5),
            graph_connect_timeout: Duration::from_secs(2),
            graph_media_hosts: Vec::new(),
            webhook_addr: "127.0.0.1:0".parse().unwrap(),
            webhook_path: "/webhook".into(),
            webhook_verify_token: None,
            webhook_limits: wagate::config::WebhookLimits { max_body_bytes: 1 << 20, ..Default::default() },
            default_phone_number_id: default_phone.to_owned(),
            apps: Vec::new(),
            accounts,
            api_keys,
            redis: None,
            bus: BusSettings::default(),
            enforce_window: false,
            messages_per_second: 0,
            pair_rate_limit: false,
        };
        let gateway = Gateway::bind(config).await.unwrap();
        let grpc_addr = gateway.grpc_addr();
        let handle = emulator.handle();
        let (gateway_shutdown, emulator_shutdown) = (CancellationToken::new(), CancellationToken::new());
        tokio::spawn(emulator.run(emulator_shutdown.clone()));
        tokio::spawn(gateway.run(gateway_shutdown.clone()));
        Custom { grpc_addr, emulator_addr, emulator: handle, gateway_shutdown, emulator_shutdown }
    }

    /// A gateway over the emulator's one number and WABA, with the full key.
    async fn plain() -> Self {
        let account = CustomAccount { waba_id: &EmulatorConfig::default().waba_id, phone_number_ids: &[PHONE] };
        let all = [Scope::Messages, Scope::Media, Scope::Templates, Scope::Events];
        Self::spawn(PHONE, &[account], vec![api_key(KEY, &all, PhoneNumbers::All)]).await
    }

    pub async fn channel(&self) -> Channel {
        tonic::transport::Endpoint::from_shared(format!("http://{}", self.grpc_addr)).unwrap().connect().await.unwrap()
    }

    async fn media(&self, key: &str) -> Client {
        MediaServiceClient::with_interceptor(self.channel().await, bearer(key))
    }

    /// Uploads bytes straight to the emulator as `PHONE` (as Meta's upload
    /// endpoint) and returns the media id.
    async fn upload_to_emulator(&self, mime: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("file.bin").mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.to_owned())
            .part("file", part);
        let answer: serde_json::Value = reqwest::Client::new()
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

#[tokio::test]
async fn a_multi_megabyte_upload_downloads_byte_for_byte() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let data = bytes(6 * MB + 12_345, 7);
    let sha = sha256_hex(&data);

    let uploaded = upload(&mut client, "application/pdf", &data).await.expect("upload");
    assert_eq!((uploaded.size_bytes, uploaded.sha256.as_str()), (data.len() as u64, sha.as_str()));
    assert!(!uploaded.media_id.is_empty());

    let described = client
        .get_media(pb::GetMediaRequest { media_id: uploaded.media_id.clone(), phone_number_id: PHONE.into() })
        .await
        .expect("get")
        .into_inner()
        .media
        .expect("media");
    assert_eq!(
        (described.id.as_str(), described.mime_type.as_str(), described.sha256.as_str(), described.file_size),
        (uploaded.media_id.as_str(), "application/pdf", sha.as_str(), data.len() as u64)
    );
    assert!(described.url.starts_with("http://"), "{}", described.url);

    let downloaded = download(&mut client, &uploaded.media_id).await.expect("download");
    downloaded.end.expect("a clean end");
    assert_eq!(downloaded.media.sha256, sha);
    assert_eq!(downloaded.bytes.len(), data.len());
    assert!(downloaded.bytes == data, "the downloaded bytes differ from the uploaded ones");
    assert_eq!(sha256_hex(&downloaded.bytes), sha);
    assert!(downloaded.largest_chunk <= CHUNK, "a chunk of {} bytes", downloaded.largest_chunk);
}

#[tokio::test]
async fn a_wrong_mime_type_is_refused_at_the_first_message() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    // The stream never ends: only a check of the first message can answer.
    let never_ending = tokio_stream::iter([metadata("image/gif", "a.gif")]).chain(tokio_stream::pending());
    let status = tokio::time::timeout(WAIT, client.upload_media(never_ending))
        .await
        .expect("the first message alone should be refused")
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("metadata.mime_type"), "{}", status.message());
    assert!(status.message().contains("image/jpeg"), "the message lists what Meta accepts: {}", status.message());

    let status = upload(&mut client, "", b"x").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(gateway.emulator.media_count(), 0);
}

#[tokio::test]
async fn an_oversize_upload_is_stopped_as_soon_as_it_passes_the_limit() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    // An endless image: the gateway must stop it after 5 MB, not wait for its end.
    let produced = Arc::new(AtomicUsize::new(0));
    let endless = {
        let produced = produced.clone();
        let block = bytes(CHUNK, 3);
        tokio_stream::iter([metadata("image/jpeg", "huge.jpg")]).chain(tokio_stream::iter(std::iter::repeat_with(
            move || {
                produced.fetch_add(1, Ordering::Relaxed);
                chunk(&block)
            },
        )))
    };
    let status = tokio::time::timeout(WAIT, client.upload_media(endless))
        .await
        .expect("the upload was not stopped")
        .unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("5 MB"), "the message names the limit: {}", status.message());
    assert_eq!(crate::support::error_info(&status).reason, "MEDIA_TOO_LARGE");
    // 5 MB is 80 chunks; the client may have queued a few more (transport buffers).
    let produced = produced.load(Ordering::Relaxed);
    assert!((81..=81 + 64).contains(&produced), "the client produced {produced} chunks");

    // Nothing of it was stored: the aborted request never completed.
    let small = upload(&mut client, "image/png", &bytes(1000, 5)).await.expect("a small upload");
    assert!(!small.media_id.is_empty());
    assert_eq!(gateway.emulator.media_count(), 1, "only the small upload is stored");
}

/// A WebP file of `len` bytes whose first chunk is `fourcc` with `flags`.
fn webp(fourcc: &[u8; 4], flags: u8, len: usize) -> Vec<u8> {
    let mut out = b"RIFF\x00\x00\x00\x00WEBP".to_vec();
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&[10, 0, 0, 0, flags, 0, 0, 0]);
    out.extend(bytes(len - out.len(), 9));
    out
}

#[tokio::test]
async fn stickers_take_the_static_or_animated_limit_and_kinds_must_fit() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let animated = |len| webp(b"VP8X", 0x02 | 0x10, len);
    let sticker = upload(&mut client, "image/webp", &animated(450 * 1024)).await.expect("animated, within 500 KB");
    assert_eq!(sticker.size_bytes, 450 * 1024);
    let status = upload(&mut client, "image/webp", &animated(501 * 1024)).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange);
    assert!(status.message().contains("500 KB"), "{}", status.message());

    // Static stickers (a simple VP8 or VP8L file, or VP8X without the
    // animation flag) stop at 100 KB.
    for (name, data) in [
        ("VP8", webp(b"VP8 ", 0, 150 * 1024)),
        ("VP8L", webp(b"VP8L", 0, 101 * 1024)),
        ("VP8X", webp(b"VP8X", 0x10, 150 * 1024)),
    ] {
        let status = upload(&mut client, "image/webp", &data).await.expect_err(name);
        assert_eq!(status.code(), Code::OutOfRange, "{name}: {status:?}");
        assert!(status.message().contains("100 KB limit of static sticker media"), "{name}: {}", status.message());
    }
    let small = upload(&mut client, "image/webp", &webp(b"VP8 ", 0, 90 * 1024)).await.expect("static, within 100 KB");
    assert_eq!(small.size_bytes, 90 * 1024);
    // The header may arrive split across chunks.
    let data = webp(b"VP8 ", 0, 150 * 1024);
    let split = [metadata("image/webp", "s.webp"), chunk(&data[..7]), chunk(&data[7..18]), chunk(&data[18..])];
    let status = client.upload_media(tokio_stream::iter(split)).await.unwrap_err();
    assert!(status.message().contains("100 KB"), "{}", status.message());
    assert_eq!(gateway.emulator.media_count(), 2, "only the two stickers within their limits are stored");

    let mut wrong_kind = metadata("image/jpeg", "a.jpg");
    if let Some(Part::Metadata(m)) = &mut wrong_kind.part {
        m.kind = pb::MediaKind::Video.into();
    }
    let status = client.upload_media(tokio_stream::iter([wrong_kind, chunk(b"x")])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("metadata.kind"), "{}", status.message());
}

#[tokio::test]
async fn malformed_upload_streams_are_invalid() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let cases: Vec<(&str, Vec<pb::UploadMediaRequest>, &str)> = vec![
        ("empty upload", vec![metadata("text/plain", "a.txt")], "empty"),
        ("chunk first", vec![chunk(b"x"), metadata("text/plain", "a.txt")], "metadata"),
        ("no messages", vec![], "metadata"),
        (
            "second metadata",
            vec![metadata("text/plain", "a.txt"), chunk(b"x"), metadata("text/plain", "b.txt")],
            "second one",
        ),
    ];
    for (name, messages, needle) in cases {
        let status = client.upload_media(tokio_stream::iter(messages)).await.expect_err(name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert!(status.message().contains(needle), "{name}: {}", status.message());
    }
    assert_eq!(gateway.emulator.media_count(), 0, "nothing reached the emulator's store");
}

#[tokio::test]
async fn unknown_media_ids_are_not_found() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let unknown = "1234567890123456";
    let status =
        client.get_media(pb::GetMediaRequest { media_id: unknown.into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = download(&mut client, unknown).await.err().expect("no stream for an unknown id");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = client
        .delete_media(pb::DeleteMediaRequest { media_id: unknown.into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn a_tampered_download_ends_with_data_loss() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let data = bytes(300 * 1024, 11);
    let uploaded = upload(&mut client, "image/jpeg", &data).await.expect("upload");
    gateway.emulator.corrupt_media(&uploaded.media_id).expect("stored");

    let downloaded = download(&mut client, &uploaded.media_id).await.expect("the stream starts");
    assert_eq!(downloaded.media.sha256, sha256_hex(&data), "Meta's hash is the uploaded one");
    assert_eq!(downloaded.bytes.len(), data.len());
    let status = downloaded.end.expect_err("the stream must not end cleanly");
    assert_eq!(status.code(), Code::DataLoss, "{status:?}");
    assert!(status.message().contains(&sha256_hex(&data)), "{}", status.message());
}

#[tokio::test]
async fn deleted_media_is_gone() {
    let gateway = TestGateway::spawn().await;
    let mut client = client(&gateway).await;
    let uploaded = upload(&mut client, "audio/ogg; codecs=opus", &bytes(4096, 13)).await.expect("upload");
    let request = || pb::DeleteMediaRequest { media_id: uploaded.media_id.clone(), phone_number_id: PHONE.into() };
    client.delete_media(request()).await.expect("delete");
    let status = client
        .get_media(pb::GetMediaRequest { media_id: uploaded.media_id.clone(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(client.delete_media(request()).await.unwrap_err().code(), Code::NotFound);
}

#[tokio::test]
async fn a_key_reaches_only_the_media_of_its_own_numbers() {
    // The key may use only the default number; the media belongs to another
    // number of the same account (one token reaches both).
    let default_only = "113502948870001";
    let account =
        CustomAccount { waba_id: &EmulatorConfig::default().waba_id, phone_number_ids: &[default_only, PHONE] };
    let keys = vec![
        api_key("default-only", &[Scope::Media], PhoneNumbers::Only([default_only.to_owned()].into())),
        api_key(KEY, &[Scope::Media], PhoneNumbers::All),
    ];
    let gateway = Custom::spawn(default_only, &[account], keys).await;
    let media_id = gateway.upload_to_emulator("application/pdf", bytes(4096, 21)).await;
    let mut narrow = gateway.media("default-only").await;

    // Naming the other number is refused by the gateway.
    let named = pb::GetMediaRequest { media_id: media_id.clone(), phone_number_id: PHONE.into() };
    assert_eq!(narrow.get_media(named).await.unwrap_err().code(), Code::PermissionDenied);
    // Naming none means the default number, and Graph checks that it owns the media.
    let refused_by_graph = |status: Status| {
        assert!(matches!(status.code(), Code::InvalidArgument | Code::NotFound | Code::PermissionDenied), "{status:?}");
    };
    let request = pb::GetMediaRequest { media_id: media_id.clone(), ..Default::default() };
    refused_by_graph(narrow.get_media(request).await.expect_err("the media of another number"));
    let request = pb::DownloadMediaRequest { media_id: media_id.clone(), ..Default::default() };
    refused_by_graph(narrow.download_media(request).await.expect_err("no stream for another number's media"));
    let request = pb::DeleteMediaRequest { media_id: media_id.clone(), ..Default::default() };
    refused_by_graph(narrow.delete_media(request).await.expect_err("deleting another number's media"));
    assert_eq!(gateway.emulator.media_count(), 1, "the media was not deleted");

    // Its own number's key still reaches it.
    let mut full = gateway.media(KEY).await;
    let request = pb::GetMediaRequest { media_id: media_id.clone(), phone_number_id: PHONE.into() };
    assert_eq!(full.get_media(request).await.unwrap().into_inner().media.unwrap().id, media_id);
}

#[tokio::test]
async fn an_upload_in_flight_ends_at_shutdown_and_nothing_is_stored() {
    let gateway = Custom::plain().await;
    let channel = gateway.channel().await;
    let mut client = MediaServiceClient::with_interceptor(channel.clone(), bearer(KEY));
    // The metadata and a chunk, then nothing: the upload waits on the client.
    let (polled_tx, polled_rx) = tokio::sync::oneshot::channel();
    let mut polled_tx = Some(polled_tx);
    let messages = tokio_stream::iter([metadata("application/pdf", "a.pdf"), chunk(&bytes(CHUNK, 17))])
        .map(move |message| {
            // The body is read only after the call's headers went out.
            if let Some(tx) = polled_tx.take() {
                let _ = tx.send(());
            }
            message
        })
        .chain(tokio_stream::pending());
    let call = tokio::spawn(async move { client.upload_media(messages).await });
    polled_rx.await.unwrap();
    // A call after it on the same connection: once it is answered, the
    // gateway has taken the upload in.
    let barrier = pb::GetMediaRequest { media_id: "../x".into(), ..Default::default() };
    let status = MediaServiceClient::with_interceptor(channel, bearer(KEY)).get_media(barrier).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    gateway.gateway_shutdown.cancel();
    let status = tokio::time::timeout(WAIT, call)
        .await
        .expect("the upload held up the shutdown")
        .unwrap()
        .expect_err("an interrupted upload");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("shutting down"), "{}", status.message());
    assert_eq!(gateway.emulator.media_count(), 0, "the upload to Graph was aborted");
}

#[tokio::test]
async fn a_download_in_flight_ends_at_shutdown() {
    let gateway = Custom::plain().await;
    // Far more than the transport buffers between the gateway and a client that stops reading.
    let data = bytes(48 * MB, 19);
    let media_id = gateway.upload_to_emulator("application/pdf", data.clone()).await;
    let mut client = gateway.media(KEY).await;
    let request = pb::DownloadMediaRequest { media_id, phone_number_id: String::new() };
    let mut stream = client.download_media(request).await.expect("the download starts").into_inner();
    let first = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(first.part, Some(download_media_response::Part::Media(_))));

    // The client stops reading; the gateway shuts down; then it reads on.
    gateway.gateway_shutdown.cancel();
    let mut received = 0;
    let end = loop {
        match tokio::time::timeout(WAIT, stream.next()).await.expect("the download held up the shutdown") {
            None => break Ok(()),
            Some(Err(status)) => break Err(status),
            Some(Ok(message)) => match message.part {
                Some(download_media_response::Part::Chunk(c)) => received += c.len(),
                other => panic!("unexpected {other:?}"),
            },
        }
    };
    let status = end.expect_err("the download must not end cleanly");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("shutting down"), "{}", status.message());
    assert!(received < data.len(), "the whole file arrived: the download did not stop");
}

/// Waits for the inbound image on `events` and returns its media description.
async fn inbound_image(events: &mut tonic::Streaming<pb::SubscribeEventsResponse>) -> pb::InboundMedia {
    loop {
        let event = tokio::time::timeout(WAIT, events.next())
            .await
            .expect("no event in time")
            .expect("the stream ended")
            .expect("the stream failed")
            .event
            .expect("an event");
        if let Some(Kind::Message(m)) = event.kind
            && let Some(Content::Image(image)) = m.content
        {
            return image;
        }
    }
}

fn newest_messages() -> pb::SubscribeEventsRequest {
    pb::SubscribeEventsRequest {
        kinds: vec![pb::EventKind::Message.into()],
        start: Some(Start::Position(pb::StartPosition::Newest.into())),
        ..Default::default()
    }
}

fn inbound_image_spec() -> InboundSpec {
    InboundSpec {
        phone_number_id: None,
        from: CONTACT.into(),
        profile_name: None,
        message: serde_json::json!({"type": "image", "image": {"caption": "the stain on my order"}}),
    }
}

#[tokio::test]
async fn a_contacts_image_downloads_by_the_id_its_event_carries() {
    let gateway = TestGateway::spawn().await;
    let mut events = gateway.events().await.subscribe_events(newest_messages()).await.unwrap().into_inner();
    gateway.emulator.inject_inbound(inbound_image_spec()).await.unwrap();
    let image = inbound_image(&mut events).await;
    assert_eq!(image.caption, "the stain on my order");

    let downloaded = download(&mut client(&gateway).await, &image.id).await.expect("download");
    downloaded.end.expect("a clean end");
    assert_eq!(downloaded.media.mime_type, "image/jpeg");
    assert!(!downloaded.bytes.is_empty());
    assert_eq!(downloaded.media.sha256, sha256_hex(&downloaded.bytes));
    assert_eq!(downloaded.media.file_size, downloaded.bytes.len() as u64);
}

#[tokio::test]
async fn in_the_sandbox_an_injected_image_downloads_by_its_id() {
    let sandbox = Sandbox::bind(crate::sandbox::options()).await.unwrap();
    let grpc = sandbox.grpc_addr();
    let emulator = sandbox.emulator();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(sandbox.run(shutdown.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}")).unwrap().connect().await.unwrap();
    let key = Bearer(Some("Bearer sandbox-key".parse().unwrap()));

    let mut events = pb::event_service_client::EventServiceClient::with_interceptor(channel.clone(), key.clone())
        .subscribe_events(newest_messages())
        .await
        .unwrap()
        .into_inner();
    emulator.inject_inbound(inbound_image_spec()).await.unwrap();
    let image = inbound_image(&mut events).await;

    let mut media = MediaServiceClient::with_interceptor(channel, key);
    let downloaded = download(&mut media, &image.id).await.expect("download");
    downloaded.end.expect("a clean end");
    assert_eq!(sha256_hex(&downloaded.bytes), downloaded.media.sha256);
    assert!(String::from_utf8_lossy(&downloaded.bytes).contains(CONTACT));

    shutdown.cancel();
    drop(events);
    running.await.unwrap().expect("the sandbox stops cleanly");
}
