//! `MediaService`: uploads streamed to Graph as they arrive, downloads
//! streamed from Graph as they arrive, both hashed on the way.
//!
//! Guarantees:
//! - An upload is checked on its first message (metadata first, a phone
//!   number the key may use, a MIME type Meta accepts, a kind that fits it)
//!   before anything reaches Graph, and its size against the kind's limit as
//!   each chunk arrives. Passing the limit ends the call with OUT_OF_RANGE at
//!   once and aborts the request to Graph mid-body; so does any other failure
//!   (a second metadata message, an empty upload, a client that goes away):
//!   Graph never stores a partial file. Memory stays a few chunks, whatever
//!   the file's size. A sticker's limit is decided by its first bytes: 100 KB
//!   for a static WebP, 500 KB for an animated one.
//! - A download starts with the media's description, then its bytes in
//!   chunks of at most [`DOWNLOAD_CHUNK`] bytes; the bytes are hashed as they
//!   pass, and a body whose SHA-256 (or length) differs from what Meta gave
//!   ends the stream with DATA_LOSS after the last chunk, so a client must
//!   not use the bytes before the stream ends cleanly.
//! - Every call names the phone number it acts for to Graph (the default
//!   number when the request names none), so a key only reaches the media of
//!   the numbers it may use.
//! - Transfers do not hold up a shutdown: once the server's shutdown token is
//!   cancelled, an upload in flight is aborted toward Graph (nothing stored)
//!   and a download stops; both end with UNAVAILABLE.

use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::{Shared, auth::Principal};
use crate::{
    accounts::Account,
    error::{Error, FieldViolation},
    graph::{self, MediaKind},
    pb::{self, download_media_response, media_service_server::MediaService, upload_media_request},
};

/// The largest chunk a download message carries.
pub const DOWNLOAD_CHUNK: usize = 64 * 1024;
/// How many received chunks may wait for Graph during an upload.
const UPLOAD_BUFFER: usize = 4;
/// How many download messages may wait for a slow client.
const DOWNLOAD_BUFFER: usize = 4;
/// The longest file name passed on.
const FILENAME_MAX: usize = 255;

/// The stream of a download: the description, then the chunks.
pub type DownloadStream = ReceiverStream<Result<pb::DownloadMediaResponse, Status>>;

/// The MediaService implementation.
pub struct Media {
    shared: Shared,
    shutdown: CancellationToken,
}

impl Media {
    /// The service over the gateway's shared state; its transfers end when
    /// `shutdown` is cancelled.
    pub fn new(shared: Shared, shutdown: CancellationToken) -> Self {
        Self { shared, shutdown }
    }

    /// The phone number a request uses (the default when it names none),
    /// which is also the owner Graph must check the media against, and its
    /// account.
    fn resolve<'a>(&'a self, principal: &Principal, requested: &'a str) -> Result<(&'a Account, &'a str), Error> {
        let (phone_number_id, account) = self.shared.accounts.for_phone(requested)?;
        principal.check_phone(phone_number_id)?;
        Ok((account.as_ref(), phone_number_id))
    }

    /// Runs `work` until the server shuts down; then drops it (aborting what
    /// it has in flight toward Graph) and ends the call with UNAVAILABLE.
    async fn until_shutdown<T>(&self, work: impl Future<Output = Result<T, Status>>) -> Result<T, Status> {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => Err(Error::shutting_down().into()),
            result = work => result,
        }
    }
}

/// The kind the contract names; `None` for UNSPECIFIED.
fn graph_kind(kind: pb::MediaKind) -> Option<MediaKind> {
    match kind {
        pb::MediaKind::Unspecified => None,
        pb::MediaKind::Audio => Some(MediaKind::Audio),
        pb::MediaKind::Document => Some(MediaKind::Document),
        pb::MediaKind::Image => Some(MediaKind::Image),
        pb::MediaKind::Sticker => Some(MediaKind::Sticker),
        pb::MediaKind::Video => Some(MediaKind::Video),
    }
}

/// What an upload's metadata resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    kind: MediaKind,
    mime_type: String,
    filename: String,
}

/// Checks the metadata: a MIME type Meta accepts, a kind that fits it (or
/// none, then derived from it), a plain file name.
fn target(meta: &pb::UploadMediaMetadata) -> Result<Target, Error> {
    let mut violations = Vec::new();
    let mime_type = meta.mime_type.trim();
    let natural = MediaKind::of_mime(mime_type);
    if mime_type.is_empty() {
        violations.push(FieldViolation::new("metadata.mime_type", "is required, e.g. image/jpeg"));
    } else if natural.is_none() || mime_type.chars().any(char::is_control) {
        violations.push(FieldViolation::new(
            "metadata.mime_type",
            format!("{mime_type:?} is not a type Meta accepts; use one of {}", MediaKind::all_mime_types()),
        ));
    }
    let kind = match pb::MediaKind::try_from(meta.kind).map(graph_kind) {
        Ok(None) => natural,
        Ok(Some(kind)) => {
            if let Some(natural) = natural.filter(|n| *n != kind) {
                violations.push(FieldViolation::new(
                    "metadata.kind",
                    format!(
                        "{mime_type} is {natural} media, not {kind}: {kind} takes {}; leave kind unspecified to derive it",
                        kind.mime_types().join(", ")
                    ),
                ));
            }
            Some(kind)
        }
        Err(_) => {
            violations.push(FieldViolation::new("metadata.kind", format!("has the unknown value {}", meta.kind)));
            None
        }
    };
    let filename = meta.filename.trim();
    if filename.chars().count() > FILENAME_MAX {
        violations.push(FieldViolation::new("metadata.filename", format!("must be at most {FILENAME_MAX} characters")));
    }
    if filename.chars().any(char::is_control) {
        violations.push(FieldViolation::new("metadata.filename", "must not contain control characters"));
    }
    match kind {
        Some(kind) if violations.is_empty() => Ok(Target {
            kind,
            mime_type: mime_type.to_owned(),
            filename: if filename.is_empty() { "file".to_owned() } else { filename.to_owned() },
        }),
        _ => Err(Error::Invalid(violations)),
    }
}

/// The size limit an upload is held to. A sticker's depends on its first
/// bytes (static or animated), which are kept until they decide it.
struct SizeLimit {
    kind: MediaKind,
    /// The limit in bytes and what to call the files it applies to, once decided.
    decided: Option<(u64, &'static str)>,
    /// The first bytes, while undecided.
    prefix: Vec<u8>,
}

impl SizeLimit {
    fn new(kind: MediaKind) -> Self {
        Self { kind, decided: kind.limit_for(&[]), prefix: Vec::new() }
    }

    /// Takes the next chunk into account; returns the limit as it stands
    /// (the largest limit of the kind while undecided).
    fn observe(&mut self, chunk: &[u8]) -> (u64, &'static str) {
        if self.decided.is_none() {
            let wanted = MediaKind::SNIFF_LEN.saturating_sub(self.prefix.len()).min(chunk.len());
            self.prefix.extend_from_slice(&chunk[..wanted]);
            self.decided = self.kind.limit_for(&self.prefix);
        }
        self.decided.unwrap_or((self.kind.max_bytes(), self.kind.name()))
    }
}

/// What the client sent, once every chunk reached the upload.
struct Received {
    size: u64,
    sha256: [u8; 32],
}

/// Why forwarding stopped early.
enum PumpError {
    /// The client's fault (or its stream broke): the call fails with this.
    Client(Status),
    /// The upload to Graph ended first: its own result says why.
    Upstream,
}

impl From<Error> for PumpError {
    fn from(e: Error) -> Self {
        Self::Client(e.into())
    }
}

/// Forwards the chunks after the metadata to the upload, counting and
/// hashing them; stops at the first problem (dropping `sender`, which aborts
/// the upload) and finishes the upload only after a clean end.
async fn pump(
    stream: &mut Streaming<pb::UploadMediaRequest>,
    sender: graph::UploadSender,
    target: &Target,
) -> Result<Received, PumpError> {
    use upload_media_request::Part;

    let mut limit = SizeLimit::new(target.kind);
    let mut size: u64 = 0;
    let mut hasher = Sha256::new();
    while let Some(message) = stream.message().await.map_err(PumpError::Client)? {
        match message.part {
            Some(Part::Chunk(chunk)) => {
                size += chunk.len() as u64;
                let (max, what) = limit.observe(&chunk);
                if size > max {
                    return Err(Error::OutOfRange {
                        reason: "MEDIA_TOO_LARGE",
                        message: format!(
                            "the upload passed the {} limit of {what} media ({max} bytes for {}): it was stopped at \
                             {size} bytes and nothing was stored",
                            graph::human_size(max),
                            target.mime_type
                        ),
                    }
                    .into());
                }
                hasher.update(&chunk);
                sender.send(Bytes::from(chunk)).await.map_err(|_| PumpError::Upstream)?;
            }
            Some(Part::Metadata(_)) => {
                return Err(Error::invalid(
                    "metadata",
                    format!("must be sent once, in the first message; a second one came after {size} bytes"),
                )
                .into());
            }
            None => {
                return Err(Error::invalid("part", "each message needs a chunk").into());
            }
        }
    }
    if size == 0 {
        return Err(
            Error::invalid("chunk", "the upload is empty: send the file's bytes in chunks after the metadata").into()
        );
    }
    sender.finish().await.map_err(|_| PumpError::Upstream)?;
    Ok(Received { size, sha256: hasher.finalize().into() })
}

/// The error of an upload that Graph answered before its body ended (only
/// an error can make it do that) or whose body it stopped taking.
fn early_answer(uploaded: Result<String, graph::Error>) -> Status {
    match uploaded {
        Err(e) => Error::from(e),
        Ok(_) => Error::Internal("Graph accepted an upload before its end".into()),
    }
    .into()
}

/// The contract's description of a media object; the hash in hex.
fn media_message(info: &graph::MediaInfo) -> pb::Media {
    pb::Media {
        id: info.id.clone(),
        url: info.url.clone(),
        mime_type: info.mime_type.clone(),
        sha256: info.sha256_digest().map_or_else(|| info.sha256.clone(), hex::encode),
        file_size: info.file_size,
    }
}

/// Streams a download to `tx` in chunks of at most [`DOWNLOAD_CHUNK`] bytes,
/// then checks its length and hash. Returns early (`Ok`) when the client is gone.
async fn stream_body(
    download: &mut graph::MediaDownload,
    tx: &mpsc::Sender<Result<pb::DownloadMediaResponse, Status>>,
    expected: [u8; 32],
    announced: u64,
) -> Result<(), Error> {
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    while let Some(bytes) = download.chunk().await? {
        received += bytes.len() as u64;
        if received > announced {
            return Err(Error::DataLoss(format!(
                "the download is longer than the {announced} bytes Meta announced; discard what was received"
            )));
        }
        hasher.update(&bytes);
        for piece in bytes.chunks(DOWNLOAD_CHUNK) {
            let message =
                pb::DownloadMediaResponse { part: Some(download_media_response::Part::Chunk(piece.to_vec())) };
            if tx.send(Ok(message)).await.is_err() {
                return Ok(());
            }
        }
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if received != announced || actual != expected {
        return Err(Error::DataLoss(format!(
            "the downloaded bytes do not match what Meta gave: {received} bytes with sha256 {}, expected {announced} \
             bytes with sha256 {}; discard what was received and download again",
            hex::encode(actual),
            hex::encode(expected)
        )));
    }
    Ok(())
}

impl Media {
    async fn upload(
        &self,
        request: Request<Streaming<pb::UploadMediaRequest>>,
    ) -> Result<Response<pb::UploadMediaResponse>, Status> {
        let principal = Principal::of(&request)?;
        let mut stream = request.into_inner();
        let metadata = match stream.message().await?.and_then(|m| m.part) {
            Some(upload_media_request::Part::Metadata(metadata)) => metadata,
            Some(upload_media_request::Part::Chunk(_)) | None => {
                return Err(Error::invalid(
                    "metadata",
                    "must come first: send the metadata (phone number id, MIME type, file name), then the chunks",
                )
                .into());
            }
        };
        let (phone_number_id, account) =
            self.shared.accounts.for_phone(&metadata.phone_number_id).map_err(|e| match e {
                // The number is a field of the metadata message.
                Error::Invalid(violations) => Error::Invalid(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation::new(format!("metadata.{}", v.field), v.description))
                        .collect(),
                ),
                other => other,
            })?;
        principal.check_phone(phone_number_id)?;
        let target = target(&metadata)?;

        let (sender, body) = graph::upload_channel(UPLOAD_BUFFER);
        let upload = account.graph.upload_media(phone_number_id, &target.mime_type, &target.filename, body);
        let pump = pump(&mut stream, sender, &target);
        tokio::pin!(upload, pump);
        let received = tokio::select! {
            received = &mut pump => received,
            uploaded = &mut upload => return Err(early_answer(uploaded)),
        };
        let received = match received {
            Ok(received) => received,
            // Returning drops the upload mid-body: Graph stores nothing.
            Err(PumpError::Client(status)) => return Err(status),
            Err(PumpError::Upstream) => return Err(early_answer(upload.await)),
        };
        let media_id = upload.await.map_err(Error::from)?;
        tracing::info!(%media_id, size = received.size, mime_type = %target.mime_type, "media uploaded");
        Ok(Response::new(pb::UploadMediaResponse {
            media_id,
            size_bytes: received.size,
            sha256: hex::encode(received.sha256),
        }))
    }

    /// Looks the media up, fetches its bytes and starts the producer that
    /// streams them.
    async fn download(&self, request: Request<pb::DownloadMediaRequest>) -> Result<DownloadStream, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required_media_id(&req.media_id)?;
        let (account, owner) = self.resolve(&principal, &req.phone_number_id)?;
        let info = account.graph.get_media(&req.media_id, owner).await.map_err(Error::from)?;
        let expected = info.sha256_digest().ok_or_else(|| {
            Error::Graph(graph::Error::Decode(format!(
                "the media's sha256 {:?} is neither hex nor base64",
                info.sha256
            )))
        })?;
        // Fetch before answering, so a failed download is the call's status.
        let mut download = account.graph.download_media(&info.url).await.map_err(Error::from)?;
        let (tx, rx) = mpsc::channel(DOWNLOAD_BUFFER);
        let first =
            pb::DownloadMediaResponse { part: Some(download_media_response::Part::Media(media_message(&info))) };
        let announced = info.file_size;
        let shutdown = self.shutdown.clone();
        // A producer task notices a client that goes away (its sends fail).
        tokio::spawn(async move {
            let body = async {
                if tx.send(Ok(first)).await.is_err() {
                    return Ok(());
                }
                stream_body(&mut download, &tx, expected, announced).await
            };
            let streamed = tokio::select! {
                biased;
                () = shutdown.cancelled() => Err(Error::shutting_down()),
                streamed = body => streamed,
            };
            // Stop reading from Graph before waiting for the client.
            drop(download);
            if let Err(e) = streamed {
                let _ = tx.send(Err(e.into())).await;
            }
        });
        Ok(ReceiverStream::new(rx))
    }
}

#[tonic::async_trait]
impl MediaService for Media {
    async fn upload_media(
        &self,
        request: Request<Streaming<pb::UploadMediaRequest>>,
    ) -> Result<Response<pb::UploadMediaResponse>, Status> {
        // Dropping the upload on shutdown drops its body's sender mid-way,
        // which aborts the request to Graph as a passed limit does.
        self.until_shutdown(self.upload(request)).await
    }

    async fn get_media(&self, request: Request<pb::GetMediaRequest>) -> Result<Response<pb::GetMediaResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required_media_id(&req.media_id)?;
        let (account, owner) = self.resolve(&principal, &req.phone_number_id)?;
        let info = account.graph.get_media(&req.media_id, owner).await.map_err(Error::from)?;
        Ok(Response::new(pb::GetMediaResponse { media: Some(media_message(&info)) }))
    }

    type DownloadMediaStream = DownloadStream;

    async fn download_media(
        &self,
        request: Request<pb::DownloadMediaRequest>,
    ) -> Result<Response<Self::DownloadMediaStream>, Status> {
        self.until_shutdown(self.download(request)).await.map(Response::new)
    }

    async fn delete_media(
        &self,
        request: Request<pb::DeleteMediaRequest>,
    ) -> Result<Response<pb::DeleteMediaResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        required_media_id(&req.media_id)?;
        let (account, owner) = self.resolve(&principal, &req.phone_number_id)?;
        account.graph.delete_media(&req.media_id, owner).await.map_err(Error::from)?;
        Ok(Response::new(pb::DeleteMediaResponse {}))
    }
}

fn required_media_id(media_id: &str) -> Result<(), Error> {
    super::convert::syntax::check_graph_id("media_id", media_id, "media id")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(mime_type: &str, kind: pb::MediaKind) -> pb::UploadMediaMetadata {
        pb::UploadMediaMetadata {
            phone_number_id: String::new(),
            mime_type: mime_type.into(),
            filename: "a.bin".into(),
            kind: kind.into(),
        }
    }

    fn fields(result: Result<Target, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(v)) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn kinds_are_derived_from_the_mime_type() {
        let t = target(&meta("image/webp", pb::MediaKind::Unspecified)).unwrap();
        assert_eq!((t.kind, t.kind.max_bytes()), (MediaKind::Sticker, 500 * 1024));
        let t = target(&meta(" audio/ogg; codecs=opus ", pb::MediaKind::Audio)).unwrap();
        assert_eq!((t.kind, t.mime_type.as_str()), (MediaKind::Audio, "audio/ogg; codecs=opus"));
        let t = target(&pb::UploadMediaMetadata {
            filename: String::new(),
            ..meta("application/pdf", pb::MediaKind::Unspecified)
        })
        .unwrap();
        assert_eq!(t.filename, "file");
    }

    #[test]
    fn wrong_types_and_kinds_are_invalid() {
        assert_eq!(fields(target(&meta("image/gif", pb::MediaKind::Unspecified))), ["metadata.mime_type"]);
        assert_eq!(fields(target(&meta("", pb::MediaKind::Image))), ["metadata.mime_type"]);
        assert_eq!(fields(target(&meta("image/jpeg", pb::MediaKind::Document))), ["metadata.kind"]);
        let mut bad_name = meta("image/jpeg", pb::MediaKind::Image);
        bad_name.filename = "a\r\nb.jpg".into();
        assert_eq!(fields(target(&bad_name)), ["metadata.filename"]);
        let mut unknown = meta("image/jpeg", pb::MediaKind::Image);
        unknown.kind = 42;
        assert_eq!(fields(target(&unknown)), ["metadata.kind"]);
    }

    #[test]
    fn media_ids_are_checked() {
        assert!(required_media_id("1284751093365217").is_ok());
        assert!(required_media_id("").is_err());
        assert!(required_media_id("../me").is_err());
    }
}
