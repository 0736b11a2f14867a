//! Proto requests → typed Graph API bodies ([`crate::graph::messages`]), as
//! pure functions.
//!
//! Every send is validated and converted in one walk over the request: each
//! converter appends what it finds wrong to a shared list under the proto field
//! path (`content.interactive.buttons.buttons[3].title`), and the body is only
//! returned when that list is empty. So a request is either turned into the
//! exact JSON Meta documents (REFERENCE.md §2, §4.6) or rejected with *every*
//! violation at once, before anything is sent. Limits are those of
//! REFERENCE.md §7.6; where Meta's sources disagree the stricter one is used.
//!
//! A converter returns `None` only for a part it could not build (a missing
//! media source, an action of no kind), and only after reporting why; the
//! checks of the rest of the request still run.

mod checker;
mod interactive;
mod location_contacts;
mod media;
mod reaction;
mod recipient;
mod struct_json;
pub(in crate::grpc) mod syntax;
mod template;
#[cfg(test)]
mod testing;
mod text;

pub(super) use checker::Checker;
pub use recipient::Recipient;
pub(super) use syntax::{is_http_url, is_parameter_name, quoted};

use crate::{
    error::FieldViolation,
    graph::messages::{
        Content, Context, MarkReadBody, MessagingProduct, ReadStatus, RecipientType, SendBody, TypingIndicator,
    },
    pb::{self, message_content::Kind},
};

const CALLBACK_DATA_MAX: usize = 512;

/// Whether a send is free-form, so only allowed inside the 24 h customer
/// service window (REFERENCE.md §2.6, §7.1).
///
/// Everything except a template is free-form, reactions included. Content
/// without a kind counts as free-form too (the stricter answer); it fails
/// validation anyway.
pub fn is_free_form(content: &pb::MessageContent) -> bool {
    !matches!(content.kind, Some(Kind::Template(_)))
}

/// A send that passed validation: where it goes, and what Graph is sent.
#[derive(Debug)]
pub struct Outbound<'a> {
    /// The recipient, parsed once for the body, the window and the rate limit.
    pub recipient: Recipient<'a>,
    /// The body of `POST /{phone_number_id}/messages`.
    pub body: SendBody<'a>,
}

/// Validates a send and converts it to its [`Outbound`] form.
///
/// # Errors
///
/// Every violation found, with its proto field path, when the request is invalid.
pub fn send_message(req: &pb::SendMessageRequest) -> Result<Outbound<'_>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut c = Checker::root(&mut violations);
    let recipient = Recipient::parse(&req.to).map_err(|description| c.fail("to", description)).ok();
    c.length("biz_opaque_callback_data", &req.biz_opaque_callback_data, 0, CALLBACK_DATA_MAX);
    let content = match req.content.as_ref().and_then(|content| content.kind.as_ref()) {
        None => {
            c.fail(
                "content",
                "is required: set exactly one kind (text, image, audio, video, document, sticker, \
                 location, contacts, interactive, reaction or template)",
            );
            None
        }
        Some(kind) => content(&mut c.at("content"), kind),
    };

    match (recipient, content) {
        (Some(recipient), Some(content)) if violations.is_empty() => {
            let body = SendBody {
                messaging_product: MessagingProduct::Whatsapp,
                recipient_type: RecipientType::Individual,
                to: recipient.send_to(),
                context: Some(Context { message_id: &req.reply_to_message_id })
                    .filter(|context| !context.message_id.is_empty()),
                biz_opaque_callback_data: &req.biz_opaque_callback_data,
                content,
            };
            Ok(Outbound { recipient, body })
        }
        _ => Err(violations),
    }
}

/// The Graph body for mark-read, with `typing_indicator: {"type":"text"}`
/// when the request asks for it (REFERENCE.md §2.5).
///
/// # Errors
///
/// A violation on `message_id` when it is empty.
pub fn mark_read_body(req: &pb::MarkReadRequest) -> Result<MarkReadBody<'_>, Vec<FieldViolation>> {
    if req.message_id.is_empty() {
        return Err(vec![FieldViolation::new("message_id", "is required: the wamid of a received message")]);
    }
    Ok(MarkReadBody {
        messaging_product: MessagingProduct::Whatsapp,
        status: ReadStatus::Read,
        message_id: &req.message_id,
        typing_indicator: req.typing_indicator.then_some(TypingIndicator::Text),
    })
}

/// The content of one kind, under its path.
fn content<'a>(c: &mut Checker<'_>, kind: &'a Kind) -> Option<Content<'a>> {
    Some(match kind {
        Kind::Text(text) => Content::Text { text: text::text_message(&mut c.at("text"), text) },
        Kind::Image(image) => Content::Image { image: media::image(&mut c.at("image"), image)? },
        Kind::Audio(audio) => Content::Audio { audio: media::audio(&mut c.at("audio"), audio)? },
        Kind::Video(video) => Content::Video { video: media::video(&mut c.at("video"), video)? },
        Kind::Document(document) => Content::Document { document: media::document(&mut c.at("document"), document)? },
        Kind::Sticker(sticker) => Content::Sticker { sticker: media::sticker(&mut c.at("sticker"), sticker)? },
        Kind::Location(location) => {
            Content::Location { location: location_contacts::location(&mut c.at("location"), location) }
        }
        Kind::Contacts(contacts) => {
            Content::Contacts { contacts: location_contacts::contact_cards(&mut c.at("contacts"), contacts) }
        }
        Kind::Interactive(interactive) => Content::Interactive {
            interactive: interactive::interactive_message(&mut c.at("interactive"), interactive)?,
        },
        Kind::Reaction(reaction) => Content::Reaction { reaction: reaction::reaction(&mut c.at("reaction"), reaction) },
        Kind::Template(template) => {
            Content::Template { template: template::template_message(&mut c.at("template"), template)? }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::syntax::{is_date, is_http_url, quoted};
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn reply_matches_sample_with_context() {
        let req = pb::SendMessageRequest {
            reply_to_message_id: WAMID.into(),
            ..send(text("Yes, it also comes in navy and olive."))
        };
        assert_eq!(body(&req), fixture("send-reply-with-context-request"));
    }

    #[test]
    fn mark_read_matches_sample() {
        let req = pb::MarkReadRequest { message_id: WAMID.into(), ..Default::default() };
        assert_eq!(serde_json::to_value(mark_read_body(&req).unwrap()).unwrap(), fixture("mark-read-request"));
    }

    #[test]
    fn typing_indicator_matches_sample() {
        let req = pb::MarkReadRequest { message_id: WAMID.into(), typing_indicator: true, ..Default::default() };
        assert_eq!(serde_json::to_value(mark_read_body(&req).unwrap()).unwrap(), fixture("typing-indicator-request"));
    }

    #[test]
    fn mark_read_needs_a_message_id() {
        let violations = mark_read_body(&pb::MarkReadRequest::default()).unwrap_err();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "message_id");
    }

    #[test]
    fn phone_recipients_go_in_to_as_given() {
        let req = pb::SendMessageRequest { to: "+1 (415) 555-0123".into(), ..send(text("hi")) };
        let body = body(&req);
        assert_eq!(body["to"], "+1 (415) 555-0123");
        assert!(body.get("recipient").is_none());
    }

    #[test]
    fn bsuid_recipients_go_in_recipient() {
        let req = pb::SendMessageRequest { to: "US.25718394402918375519".into(), ..send(text("hi")) };
        let body = body(&req);
        assert_eq!(body["recipient"], "US.25718394402918375519");
        assert!(body.get("to").is_none());
    }

    #[test]
    fn missing_content_is_reported() {
        let req = pb::SendMessageRequest { to: TO.into(), ..Default::default() };
        assert_eq!(fields(&req), ["content"]);
        let req = pb::SendMessageRequest { content: Some(pb::MessageContent { kind: None }), ..req };
        assert_eq!(fields(&req), ["content"]);
    }

    #[test]
    fn callback_data_is_sent_and_limited() {
        let req = pb::SendMessageRequest { biz_opaque_callback_data: "é".repeat(512), ..send(text("hi")) };
        assert_eq!(body(&req)["biz_opaque_callback_data"], "é".repeat(512));
        let req = pb::SendMessageRequest { biz_opaque_callback_data: "x".repeat(513), ..req };
        assert_eq!(fields(&req), ["biz_opaque_callback_data"]);
    }

    #[test]
    fn free_form_is_everything_but_templates() {
        let content = |kind| pb::MessageContent { kind: Some(kind) };
        assert!(is_free_form(&content(text("hi"))));
        assert!(is_free_form(&content(Kind::Reaction(pb::Reaction::default()))));
        assert!(is_free_form(&content(Kind::Interactive(pb::Interactive::default()))));
        assert!(is_free_form(&pb::MessageContent::default()));
        assert!(!is_free_form(&content(Kind::Template(pb::TemplateMessage::default()))));
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let req = pb::SendMessageRequest {
            to: "12ab".into(),
            biz_opaque_callback_data: "x".repeat(513),
            content: Some(pb::MessageContent {
                kind: Some(Kind::Interactive(pb::Interactive {
                    header: text_header(&"h".repeat(61)),
                    body: String::new(),
                    footer: "f".repeat(61),
                    action: Some(buttons(vec![
                        button("a", "Same"),
                        button(" b", "Same"),
                        button("c", &"t".repeat(21)),
                        button("a", "Fourth"),
                    ])),
                })),
            }),
            ..Default::default()
        };
        let mut found = fields(&req);
        found.sort();
        let mut expected = vec![
            "to",
            "biz_opaque_callback_data",
            "content.interactive.header.text",
            "content.interactive.body",
            "content.interactive.footer",
            "content.interactive.buttons.buttons",
            "content.interactive.buttons.buttons[1].id",
            "content.interactive.buttons.buttons[1].title",
            "content.interactive.buttons.buttons[2].title",
            "content.interactive.buttons.buttons[3].id",
        ];
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn odd_inputs_never_panic() {
        let odd = ["", " ", "\u{0}", "é", "👨‍👩‍👧‍👦", "\u{10FFFF}", "https://", "+", "US.ENT.", "((((", "0"];
        for s in odd {
            let _ = Recipient::parse(s);
            let _ = is_http_url(s);
            let _ = is_date(s);
            let _ = quoted(s);
            let req = pb::SendMessageRequest {
                to: s.into(),
                reply_to_message_id: s.into(),
                content: Some(pb::MessageContent { kind: Some(text(s)) }),
                ..Default::default()
            };
            let _ = send_message(&req);
        }
        let _ = send_message(&pb::SendMessageRequest::default());
        let _ = mark_read_body(&pb::MarkReadRequest::default());
        for kind in [
            Kind::Image(pb::Image::default()),
            Kind::Audio(pb::Audio::default()),
            Kind::Video(pb::Video::default()),
            Kind::Document(pb::Document::default()),
            Kind::Sticker(pb::Sticker::default()),
            Kind::Location(pb::Location { latitude: f64::NAN, longitude: f64::NEG_INFINITY, ..Default::default() }),
            Kind::Contacts(pb::Contacts { contacts: vec![pb::ContactCard::default()] }),
            Kind::Interactive(interactive(Action::Buttons(pb::ReplyButtons::default()))),
            Kind::Interactive(interactive(Action::List(pb::ListAction::default()))),
            Kind::Interactive(interactive(Action::CtaUrl(pb::CtaUrlAction::default()))),
            Kind::Interactive(interactive(Action::Flow(pb::FlowAction::default()))),
            Kind::Interactive(interactive(Action::ProductList(pb::ProductListAction::default()))),
            Kind::Reaction(pb::Reaction::default()),
            Kind::Template(pb::TemplateMessage {
                header_parameters: vec![pb::TemplateParameter::default()],
                body_parameters: vec![pb::TemplateParameter::default()],
                buttons: vec![pb::TemplateButtonParameters { sub_type: i32::MIN, index: u32::MAX, parameters: vec![] }],
                ..Default::default()
            }),
        ] {
            assert!(send_message(&send(kind)).is_err());
        }
    }
}
