//! Media messages (image, audio, video, document, sticker) and the media
//! source that headers and template parameters share.

use super::checker::Checker;
use crate::{
    graph::messages::{Media, MediaSource},
    pb::{self, media_source::Source},
};

const CAPTION_MAX: usize = 1024;

/// An image: its source and optional caption.
pub(super) fn image<'a>(c: &mut Checker<'_>, image: &'a pb::Image) -> Option<Media<'a>> {
    c.length("caption", &image.caption, 0, CAPTION_MAX);
    let source = media_source(c, "media", image.media.as_ref())?;
    Some(Media { caption: &image.caption, ..Media::from(source) })
}

/// Audio: its source, and `voice` for a voice note.
pub(super) fn audio<'a>(c: &mut Checker<'_>, audio: &'a pb::Audio) -> Option<Media<'a>> {
    let source = media_source(c, "media", audio.media.as_ref())?;
    Some(Media { voice: audio.voice, ..Media::from(source) })
}

/// A video: its source and optional caption.
pub(super) fn video<'a>(c: &mut Checker<'_>, video: &'a pb::Video) -> Option<Media<'a>> {
    c.length("caption", &video.caption, 0, CAPTION_MAX);
    let source = media_source(c, "media", video.media.as_ref())?;
    Some(Media { caption: &video.caption, ..Media::from(source) })
}

/// A document: its source, optional caption and file name.
pub(super) fn document<'a>(c: &mut Checker<'_>, document: &'a pb::Document) -> Option<Media<'a>> {
    c.length("caption", &document.caption, 0, CAPTION_MAX);
    let source = media_source(c, "media", document.media.as_ref())?;
    Some(Media { caption: &document.caption, filename: &document.filename, ..Media::from(source) })
}

/// A sticker: its source.
pub(super) fn sticker<'a>(c: &mut Checker<'_>, sticker: &'a pb::Sticker) -> Option<Media<'a>> {
    media_source(c, "media", sticker.media.as_ref()).map(Media::from)
}

/// The `id` or `link` of the media source in `field`; `None` (reported) when unset.
pub(super) fn media_source<'a>(
    c: &mut Checker<'_>,
    field: &str,
    source: Option<&'a pb::MediaSource>,
) -> Option<MediaSource<'a>> {
    let mut c = c.at(field);
    match source.and_then(|source| source.source.as_ref()) {
        None => {
            c.fail("", "is required: an id (from MediaService.UploadMedia) or an http(s) link");
            None
        }
        Some(Source::Id(id)) => {
            c.required("id", id);
            Some(MediaSource::Id(id))
        }
        Some(Source::Link(link)) => {
            c.http_url("link", link);
            Some(MediaSource::Link(link))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn image_by_id_matches_sample() {
        let req = send(Kind::Image(pb::Image { media: by_id("1284751093365217"), caption: "Navy, size M".into() }));
        assert_eq!(body(&req), fixture("send-image-by-id-request"));
    }

    #[test]
    fn image_by_link_matches_sample() {
        let req = send(Kind::Image(pb::Image {
            media: by_link("https://cdn.example.com/catalog/jacket-navy.jpg"),
            caption: "Navy, size M".into(),
        }));
        assert_eq!(body(&req), fixture("send-image-by-link-request"));
    }

    #[test]
    fn audio_matches_sample() {
        let req = send(Kind::Audio(pb::Audio { media: by_id("902215487731654"), voice: false }));
        assert_eq!(body(&req), fixture("send-audio-request"));
    }

    #[test]
    fn voice_note_sets_voice() {
        let req = send(Kind::Audio(pb::Audio { media: by_id("902215487731654"), voice: true }));
        assert_eq!(body(&req)["audio"], json!({"id": "902215487731654", "voice": true}));
    }

    #[test]
    fn video_matches_sample() {
        let req = send(Kind::Video(pb::Video {
            media: by_link("https://cdn.example.com/howto/returns.mp4"),
            caption: "How returns work (40 s)".into(),
        }));
        assert_eq!(body(&req), fixture("send-video-request"));
    }

    #[test]
    fn document_matches_sample() {
        let req = send(Kind::Document(pb::Document {
            media: by_id("771039284456120"),
            caption: "Invoice 2026-0714".into(),
            filename: "invoice-2026-0714.pdf".into(),
        }));
        assert_eq!(body(&req), fixture("send-document-request"));
    }

    #[test]
    fn sticker_matches_sample() {
        let req = send(Kind::Sticker(pb::Sticker { media: by_id("655093318820471") }));
        assert_eq!(body(&req), fixture("send-sticker-request"));
    }

    #[test]
    fn captions_are_at_most_1024_characters() {
        let caption = "c".repeat(1025);
        let image = Kind::Image(pb::Image { media: by_id("1"), caption: caption.clone() });
        let video = Kind::Video(pb::Video { media: by_id("1"), caption: caption.clone() });
        let document = Kind::Document(pb::Document { media: by_id("1"), caption, filename: String::new() });
        assert_eq!(fields(&send(image)), ["content.image.caption"]);
        assert_eq!(fields(&send(video)), ["content.video.caption"]);
        assert_eq!(fields(&send(document)), ["content.document.caption"]);
        let image = Kind::Image(pb::Image { media: by_id("1"), caption: "c".repeat(1024) });
        assert!(send_message(&send(image)).is_ok());
    }

    #[test]
    fn media_needs_an_id_or_an_http_link() {
        let image = |media| send(Kind::Image(pb::Image { media, caption: String::new() }));
        assert_eq!(fields(&image(None)), ["content.image.media"]);
        assert_eq!(fields(&image(Some(pb::MediaSource { source: None }))), ["content.image.media"]);
        assert_eq!(fields(&image(by_id(""))), ["content.image.media.id"]);
        for bad in ["", "ftp://cdn.example.com/a.jpg", "cdn.example.com/a.jpg", "https://", "https:// x.jpg", "https"] {
            assert_eq!(fields(&image(by_link(bad))), ["content.image.media.link"], "{bad:?}");
        }
        for good in ["https://cdn.example.com/a.jpg", "HTTP://cdn.example.com", "https://h?x=1"] {
            assert!(send_message(&image(by_link(good))).is_ok(), "{good:?}");
        }
        let sticker = send(Kind::Sticker(pb::Sticker { media: by_link("s3://bucket/a.webp") }));
        assert_eq!(fields(&sticker), ["content.sticker.media.link"]);
        let audio = send(Kind::Audio(pb::Audio { media: None, voice: true }));
        assert_eq!(fields(&audio), ["content.audio.media"]);
    }
}
