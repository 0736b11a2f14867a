//! Media on the Cloud API (REFERENCE.md §3): the table of media kinds Meta
//! accepts, a streamed multipart upload, lookup, download and delete.
//!
//! Guarantees:
//! - An upload never holds the file. Its body is an [`UploadBody`] fed chunk
//!   by chunk through an [`UploadSender`]; at most the channel's `buffer`
//!   chunks wait between the two, and the sender waits when they are full.
//! - An upload completes only after [`UploadSender::finish`]. A sender dropped
//!   without it (a limit passed, a client gone) makes the body fail mid-way, so
//!   the request is aborted and Graph never stores a truncated file.
//! - A download is read chunk by chunk as it arrives ([`MediaDownload::chunk`]).
//! - `file_size` is read whether Graph writes it as a number or a string, and
//!   `sha256` whether it is hex (GET /{media-id}) or base64 (webhooks).
//! - Uploads and downloads get [`TRANSFER_TIMEOUT`] instead of the client's
//!   per-call timeout, which is sized for small JSON calls.
//! - A lookup or delete always names the phone number that must own the media
//!   (`?phone_number_id=`): one token reaches every number of its account.

use std::{
    fmt, io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use base64::Engine as _;
use bytes::Bytes;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Deserializer, de};
use tokio::sync::mpsc;
use tokio_stream::Stream;

use super::{Client, Error, Success, decode, serde_util::string_or_number, transport};

/// How long one upload or download may take end to end (100 MB at ~1.5 Mbit/s).
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Redirects a media download follows, each hop checked against the allow-list.
const MAX_MEDIA_REDIRECTS: usize = 3;

const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;

// === media kinds (REFERENCE.md §3.2) ===

/// The kind of a media object, which decides its MIME types and size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg; 16 MB.
    Audio,
    /// Text, PDF and Office documents; 100 MB.
    Document,
    /// image/jpeg, image/png; 5 MB.
    Image,
    /// image/webp; 500 KB when animated, 100 KB when static (the file's first
    /// bytes tell: [`MediaKind::limit_for`]).
    Sticker,
    /// video/mp4, video/3gpp (and the common misspelling video/3gp); 16 MB.
    Video,
}

/// One row of the table: a kind, its MIME types (essences) and its limit.
struct KindRule {
    kind: MediaKind,
    name: &'static str,
    mime_types: &'static [&'static str],
    max_bytes: u64,
}

/// The media kinds table: the one place the gateway spells §3.2.
const KINDS: [KindRule; 5] = [
    KindRule {
        kind: MediaKind::Audio,
        name: "audio",
        mime_types: &["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
        max_bytes: 16 * MB,
    },
    KindRule {
        kind: MediaKind::Document,
        name: "document",
        mime_types: &[
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
        max_bytes: 100 * MB,
    },
    KindRule { kind: MediaKind::Image, name: "image", mime_types: &["image/jpeg", "image/png"], max_bytes: 5 * MB },
    KindRule { kind: MediaKind::Sticker, name: "sticker", mime_types: &["image/webp"], max_bytes: 500 * KB },
    KindRule {
        kind: MediaKind::Video,
        name: "video",
        mime_types: &["video/mp4", "video/3gpp", "video/3gp"],
        max_bytes: 16 * MB,
    },
];

impl MediaKind {
    fn rule(self) -> &'static KindRule {
        KINDS.iter().find(|r| r.kind == self).expect("every kind has a row in KINDS")
    }

    /// The kind of a MIME type (parameters and case ignored), if Meta accepts it.
    pub fn of_mime(mime_type: &str) -> Option<Self> {
        let essence = mime_essence(mime_type);
        KINDS.iter().find(|r| r.mime_types.contains(&essence.as_str())).map(|r| r.kind)
    }

    /// The largest file of this kind Meta accepts, in bytes.
    pub fn max_bytes(self) -> u64 {
        self.rule().max_bytes
    }

    /// How many leading bytes of a file [`MediaKind::limit_for`] needs at most.
    pub const SNIFF_LEN: usize = WEBP_HEADER_LEN;

    /// The size limit of a file of this kind that starts with `prefix`, and
    /// what to call the files it applies to; `None` while `prefix` is too short
    /// to tell. Only stickers depend on their bytes: a WebP whose header shows
    /// no animation is a `static sticker` (100 KB); an animated one, or bytes
    /// that are not WebP at all (Meta judges those), keep the 500 KB of
    /// [`MediaKind::max_bytes`].
    pub fn limit_for(self, prefix: &[u8]) -> Option<(u64, &'static str)> {
        if self != Self::Sticker {
            return Some((self.max_bytes(), self.name()));
        }
        match webp_animation(prefix) {
            WebpAnimation::Undecided => None,
            WebpAnimation::Static => Some((STATIC_STICKER_MAX_BYTES, "static sticker")),
            WebpAnimation::Animated | WebpAnimation::NotWebp => Some((self.max_bytes(), self.name())),
        }
    }

    /// The MIME types (essences) of this kind.
    pub fn mime_types(self) -> &'static [&'static str] {
        self.rule().mime_types
    }

    /// The lowercase name, e.g. `image`.
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// Every MIME type Meta accepts, comma-separated, for error messages.
    pub fn all_mime_types() -> String {
        KINDS.iter().flat_map(|r| r.mime_types.iter().copied()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The limit of a static sticker; [`MediaKind::Sticker`]'s own limit is the
/// animated one.
const STATIC_STICKER_MAX_BYTES: u64 = 100 * KB;

/// How many leading bytes of a WebP file [`webp_animation`] needs at most.
const WEBP_HEADER_LEN: usize = 21;

/// What the first bytes of a WebP file say about animation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WebpAnimation {
    /// Too few bytes so far to tell.
    Undecided,
    /// A simple file (`VP8 ` or `VP8L` chunk), or an extended one (`VP8X`)
    /// without the animation flag.
    Static,
    /// An extended file (`VP8X`) with the animation flag.
    Animated,
    /// Not a WebP file: Meta will judge it.
    NotWebp,
}

/// Reads a WebP file's first bytes: `RIFF`, a size, `WEBP`, then the first
/// chunk's FourCC, whose flags byte (offset 20) holds the animation bit
/// 0x02 when it is `VP8X`.
fn webp_animation(prefix: &[u8]) -> WebpAnimation {
    const ANIMATION: u8 = 0x02;
    let fits = |at: usize, expected: &[u8]| {
        let got = prefix.get(at..).unwrap_or_default();
        let n = got.len().min(expected.len());
        got[..n] == expected[..n]
    };
    if !fits(0, b"RIFF") || !fits(8, b"WEBP") {
        return WebpAnimation::NotWebp;
    }
    match (prefix.get(12..16), prefix.get(20)) {
        (None, _) => WebpAnimation::Undecided,
        (Some(b"VP8 " | b"VP8L"), _) => WebpAnimation::Static,
        (Some(b"VP8X"), None) => WebpAnimation::Undecided,
        (Some(b"VP8X"), Some(flags)) if flags & ANIMATION != 0 => WebpAnimation::Animated,
        (Some(b"VP8X"), Some(_)) => WebpAnimation::Static,
        (Some(_), _) => WebpAnimation::NotWebp,
    }
}

/// A size in bytes as people read limits: `16 MB`, `500 KB`, `123 bytes`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= KB && bytes.is_multiple_of(KB) {
        format!("{} KB", bytes / KB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The MIME type without parameters, lowercase (`audio/ogg; codecs=opus` → `audio/ogg`).
pub fn mime_essence(mime_type: &str) -> String {
    mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

// === what Graph says about a media object ===

/// `GET /{media-id}`: a media object as Meta describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaInfo {
    /// The media id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// A download URL, valid for five minutes and only with the account's token.
    pub url: String,
    /// The MIME type.
    pub mime_type: String,
    /// The SHA-256 of the bytes, as Graph wrote it (hex, or base64 in webhooks).
    pub sha256: String,
    /// The size in bytes (Graph writes it as a number or a string).
    #[serde(deserialize_with = "u64_or_string")]
    pub file_size: u64,
}

impl MediaInfo {
    /// The SHA-256 Graph gave, decoded; `None` when it is neither hex nor base64 of 32 bytes.
    pub fn sha256_digest(&self) -> Option<[u8; 32]> {
        parse_sha256(&self.sha256)
    }
}

/// Decodes a SHA-256 written as 64 hex digits or as base64 (standard or
/// URL-safe, padded or not) of 32 bytes.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() == 64 {
        let mut out = [0u8; 32];
        if hex::decode_to_slice(text, &mut out).is_ok() {
            return Some(out);
        }
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

fn u64_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Number(n) => Ok(n),
        Size::Text(s) => s.trim().parse().map_err(|_| de::Error::custom(format!("file_size {s:?} is not a size"))),
    }
}

#[derive(Deserialize)]
struct Uploaded {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
}

// === the upload body ===

enum Frame {
    Data(Bytes),
    End,
}

/// Creates the two ends of a streamed upload body: at most `buffer` chunks
/// wait between them.
pub fn upload_channel(buffer: usize) -> (UploadSender, UploadBody) {
    let (tx, rx) = mpsc::channel(buffer.max(1));
    (UploadSender { tx }, UploadBody { rx, done: false })
}

/// The producer end of an upload body. Dropping it without
/// [`finish`](UploadSender::finish) aborts the upload.
#[derive(Debug)]
pub struct UploadSender {
    tx: mpsc::Sender<Frame>,
}

/// The upload request is gone (it failed or was dropped); its error, if any,
/// comes from the upload call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the upload to Graph has ended")]
pub struct UploadClosed;

impl UploadSender {
    /// Queues a chunk, waiting while the buffer is full.
    pub async fn send(&self, chunk: Bytes) -> Result<(), UploadClosed> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tx.send(Frame::Data(chunk)).await.map_err(|_| UploadClosed)
    }

    /// Ends the body: the upload request completes and Graph answers.
    pub async fn finish(self) -> Result<(), UploadClosed> {
        self.tx.send(Frame::End).await.map_err(|_| UploadClosed)
    }
}

/// The consumer end: a stream of chunks that fails, rather than ends, when
/// its sender is dropped before [`UploadSender::finish`].
#[derive(Debug)]
pub struct UploadBody {
    rx: mpsc::Receiver<Frame>,
    done: bool,
}

impl Stream for UploadBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Frame::Data(chunk))) => Poll::Ready(Some(Ok(chunk))),
            Poll::Ready(Some(Frame::End)) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "upload aborted before its end",
                ))))
            }
        }
    }
}

// === a download ===

/// A media body being downloaded.
#[derive(Debug)]
pub struct MediaDownload {
    response: reqwest::Response,
}

impl MediaDownload {
    /// The next chunk of the body as it arrives; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        self.response.chunk().await.map_err(transport)
    }

    /// The length the server announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }
}

// === impl Client ===

impl Client {
    /// `POST /{phone_number_id}/media`: uploads `body` as the multipart `file`
    /// part (with `messaging_product=whatsapp` and `type=<mime>`) and returns
    /// the media id. The request streams: it completes when `body`'s sender
    /// finishes and fails when the sender is dropped.
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        mime_type: &str,
        filename: &str,
        body: UploadBody,
    ) -> Result<String, Error> {
        // The part carries the bare type (every type of the table parses);
        // the `type` field carries it as given, parameters included.
        let essence = mime_essence(mime_type);
        let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(body))
            .file_name(filename.to_owned())
            .mime_str(&essence)
            .map_err(|_| Error::Transport(format!("the MIME type {essence:?} cannot be sent")))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let request = self
            .http
            .post(self.url(&format!("{phone_number_id}/media")))
            .bearer_auth(self.token.expose_secret())
            .timeout(TRANSFER_TIMEOUT)
            .multipart(form);
        let uploaded: Uploaded = decode(request.send().await).await?;
        Ok(uploaded.id)
    }

    /// `GET /{media_id}?phone_number_id=…`: the media's URL, type, hash and
    /// size. Graph answers only if the media belongs to `phone_number_id`: the
    /// owner check is not optional, as one token reaches every number of its
    /// account.
    pub async fn get_media(&self, media_id: &str, phone_number_id: &str) -> Result<MediaInfo, Error> {
        self.get_json(media_id, &[("phone_number_id", phone_number_id)]).await
    }

    /// `DELETE /{media_id}?phone_number_id=…`, only if the media belongs to
    /// `phone_number_id`.
    pub async fn delete_media(&self, media_id: &str, phone_number_id: &str) -> Result<(), Error> {
        let answer: Success = self.delete_json(media_id, &[("phone_number_id", phone_number_id)]).await?;
        answer.check("media delete")
    }

    /// `GET <url>` with the account's token: the media's bytes, as a stream.
    /// A failed download (Meta answers 404 to a stale URL) is an [`Error`].
    /// The token goes only where [`MediaHosts`](super::MediaHosts) allows,
    /// each redirect hop checked again.
    pub async fn download_media(&self, url: &str) -> Result<MediaDownload, Error> {
        let mut url = self.media_hosts.check(url).map_err(Error::MediaUrlRefused)?;
        let mut hops = 0;
        let response = loop {
            let sent = self
                .http
                .get(url.clone())
                .bearer_auth(self.token.expose_secret())
                .timeout(TRANSFER_TIMEOUT)
                .send()
                .await;
            let response = sent.map_err(transport)?;
            if !response.status().is_redirection() {
                break response;
            }
            hops += 1;
            let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
            let next = location.and_then(|l| url.join(l).ok());
            match next {
                Some(next) if hops <= MAX_MEDIA_REDIRECTS => {
                    url = self.media_hosts.check(next.as_str()).map_err(Error::MediaUrlRefused)?;
                }
                _ => {
                    return Err(Error::Http {
                        status: response.status().as_u16(),
                        body: "a media redirect without a usable Location, or too many".into(),
                    });
                }
            }
        };
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.map_err(transport)?;
            return Err(Error::from_response(status.as_u16(), &body));
        }
        Ok(MediaDownload { response })
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;

    use super::*;

    #[test]
    fn the_table_maps_mime_types_to_kinds_and_limits() {
        assert_eq!(MediaKind::of_mime("image/jpeg"), Some(MediaKind::Image));
        assert_eq!(MediaKind::of_mime("IMAGE/PNG"), Some(MediaKind::Image));
        assert_eq!(MediaKind::of_mime("image/webp"), Some(MediaKind::Sticker));
        assert_eq!(MediaKind::of_mime("audio/ogg; codecs=opus"), Some(MediaKind::Audio));
        assert_eq!(MediaKind::of_mime("video/3gp"), Some(MediaKind::Video));
        assert_eq!(MediaKind::of_mime("application/pdf"), Some(MediaKind::Document));
        assert_eq!(MediaKind::of_mime("image/gif"), None);
        assert_eq!(MediaKind::of_mime("text/html"), None);
        assert_eq!(MediaKind::Image.max_bytes(), 5 * 1024 * 1024);
        assert_eq!(MediaKind::Sticker.max_bytes(), 500 * 1024);
        assert_eq!(MediaKind::Document.max_bytes(), 100 * 1024 * 1024);
        assert_eq!((MediaKind::Audio.max_bytes(), MediaKind::Video.max_bytes()), (16 * MB, 16 * MB));
        assert!(MediaKind::all_mime_types().contains("application/msword"));
        assert_eq!(human_size(16 * MB), "16 MB");
        assert_eq!(human_size(500 * KB), "500 KB");
        assert_eq!(human_size(12), "12 bytes");
    }

    /// A WebP header: RIFF, size, WEBP, the first chunk's FourCC, its size, then `flags`.
    fn webp(fourcc: &[u8; 4], flags: u8) -> Vec<u8> {
        let mut out = b"RIFF\x00\x10\x00\x00WEBP".to_vec();
        out.extend_from_slice(fourcc);
        out.extend_from_slice(&[10, 0, 0, 0, flags, 0, 0, 0]);
        out
    }

    #[test]
    fn webp_headers_tell_static_from_animated() {
        use WebpAnimation::{Animated, NotWebp, Static, Undecided};
        let animated = webp(b"VP8X", 0x02 | 0x10);
        assert_eq!(webp_animation(&animated), Animated);
        assert_eq!(webp_animation(&animated[..WEBP_HEADER_LEN]), Animated);
        assert_eq!(webp_animation(&animated[..WEBP_HEADER_LEN - 1]), Undecided, "the flags byte is missing");
        assert_eq!(webp_animation(&webp(b"VP8X", 0x10)), Static, "alpha only");
        assert_eq!(webp_animation(&webp(b"VP8 ", 0x02)), Static, "a simple file has no flags byte");
        assert_eq!(webp_animation(&webp(b"VP8L", 0)[..16]), Static);
        assert_eq!(webp_animation(b""), Undecided);
        assert_eq!(webp_animation(b"RIF"), Undecided);
        assert_eq!(webp_animation(&animated[..11]), Undecided);
        assert_eq!(webp_animation(b"\x89PNG"), NotWebp);
        assert_eq!(webp_animation(b"RIFF\x00\x10\x00\x00WAVE"), NotWebp);
        assert_eq!(webp_animation(&webp(b"ALPH", 0)), NotWebp);
        assert_eq!(STATIC_STICKER_MAX_BYTES, 100 * 1024);
    }

    #[test]
    fn only_sticker_limits_depend_on_the_bytes() {
        let sticker = MediaKind::Sticker;
        assert_eq!(sticker.limit_for(&webp(b"VP8 ", 0)), Some((100 * KB, "static sticker")));
        assert_eq!(sticker.limit_for(&webp(b"VP8X", 0x02)), Some((500 * KB, "sticker")));
        assert_eq!(sticker.limit_for(b"not a webp file"), Some((500 * KB, "sticker")));
        assert_eq!(sticker.limit_for(b"RIFF"), None);
        assert_eq!(MediaKind::Image.limit_for(b""), Some((5 * MB, "image")));
    }

    #[test]
    fn file_size_is_a_number_or_a_string() {
        let base =
            r#""messaging_product":"whatsapp","url":"https://x/y","mime_type":"image/jpeg","sha256":"ab","id":"12""#;
        let number: MediaInfo = serde_json::from_str(&format!("{{{base},\"file_size\":184220}}")).unwrap();
        let text: MediaInfo = serde_json::from_str(&format!("{{{base},\"file_size\":\"184220\"}}")).unwrap();
        assert_eq!((number.file_size, text.file_size), (184_220, 184_220));
        assert!(serde_json::from_str::<MediaInfo>(&format!("{{{base},\"file_size\":\"big\"}}")).is_err());
    }

    #[test]
    fn sha256_is_hex_or_base64() {
        let digest: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 7).unwrap_or(0));
        let hex_form = hex::encode(digest);
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        assert_eq!(parse_sha256(&hex_form), Some(digest));
        assert_eq!(parse_sha256(&hex_form.to_uppercase()), Some(digest));
        assert_eq!(parse_sha256(&b64), Some(digest));
        assert_eq!(parse_sha256(&url), Some(digest));
        assert_eq!(parse_sha256("abc"), None);
        assert_eq!(parse_sha256(""), None);
    }

    #[tokio::test]
    async fn a_finished_body_ends_and_a_dropped_sender_fails_it() {
        let (tx, mut body) = upload_channel(2);
        tx.send(Bytes::from_static(b"ab")).await.unwrap();
        tx.finish().await.unwrap();
        assert_eq!(body.next().await.unwrap().unwrap(), Bytes::from_static(b"ab"));
        assert!(body.next().await.is_none());

        let (tx, mut body) = upload_channel(2);
        tx.send(Bytes::from_static(b"ab")).await.unwrap();
        drop(tx);
        assert!(body.next().await.unwrap().is_ok());
        let aborted = body.next().await.expect("an error, not the end");
        assert_eq!(aborted.unwrap_err().kind(), io::ErrorKind::ConnectionAborted);
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn a_sender_notices_the_body_is_gone() {
        let (tx, body) = upload_channel(1);
        drop(body);
        assert_eq!(tx.send(Bytes::from_static(b"x")).await, Err(UploadClosed));
    }
}
