//! Invalid requests get INVALID_ARGUMENT naming the field, and never reach the emulator.

use tonic::Code;
use tonic_types::StatusExt as _;
use wagate::pb::{self, interactive::Action, media_source::Source, message_content::Kind};

use crate::support::{CONTACT, TestGateway};

fn request(kind: Kind) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent { kind: Some(kind) }),
        ..Default::default()
    }
}

fn text(body: &str) -> Kind {
    Kind::Text(pb::Text { body: body.into(), preview_url: false })
}

fn buttons(titles: &[&str]) -> Kind {
    Kind::Interactive(pb::Interactive {
        body: "Pick one".into(),
        action: Some(Action::Buttons(pb::ReplyButtons {
            buttons: titles
                .iter()
                .enumerate()
                .map(|(i, t)| pb::ReplyButton { id: format!("b{i}"), title: (*t).into() })
                .collect(),
        })),
        ..Default::default()
    })
}

fn list(rows: usize) -> Kind {
    Kind::Interactive(pb::Interactive {
        body: "Pick one".into(),
        action: Some(Action::List(pb::ListAction {
            button: "Choose".into(),
            sections: vec![pb::ListSection {
                title: "All".into(),
                rows: (0..rows)
                    .map(|i| pb::ListRow { id: format!("r{i}"), title: format!("Row {i}"), description: String::new() })
                    .collect(),
            }],
        })),
        ..Default::default()
    })
}

#[tokio::test]
async fn each_invalid_request_names_its_field_and_sends_nothing() {
    let gateway = TestGateway::spawn().await;
    let mut client = gateway.messaging().await;
    let mut bad_recipient = request(text("hi"));
    bad_recipient.to = "12ab".into();
    let mut long_callback = request(text("hi"));
    long_callback.biz_opaque_callback_data = "x".repeat(513);
    let cases = [
        ("unknown recipient format", bad_recipient, "to"),
        ("no content", pb::SendMessageRequest { to: CONTACT.into(), ..Default::default() }, "content"),
        ("body over 4096", request(text(&"a".repeat(4097))), "content.text.body"),
        ("empty body", request(text("")), "content.text.body"),
        ("four reply buttons", request(buttons(&["A", "B", "C", "D"])), "content.interactive.buttons.buttons"),
        (
            "button title over 20",
            request(buttons(&["OK", "This title is far too long"])),
            "content.interactive.buttons.buttons[1].title",
        ),
        ("list of 11 rows", request(list(11)), "content.interactive.list.sections"),
        (
            "media with neither id nor link",
            request(Kind::Image(pb::Image { media: Some(pb::MediaSource { source: None }), caption: String::new() })),
            "content.image.media",
        ),
        (
            "caption over 1024",
            request(Kind::Image(pb::Image {
                media: Some(pb::MediaSource { source: Some(Source::Link("https://x.example/a.jpg".into())) }),
                caption: "c".repeat(1025),
            })),
            "content.image.caption",
        ),
        (
            "latitude out of range",
            request(Kind::Location(pb::Location { latitude: 91.0, longitude: 0.0, ..Default::default() })),
            "content.location.latitude",
        ),
        ("callback data over 512", long_callback, "biz_opaque_callback_data"),
        (
            "template without a name",
            request(Kind::Template(pb::TemplateMessage { language_code: "en_US".into(), ..Default::default() })),
            "content.template.name",
        ),
    ];
    for (name, request, field) in cases {
        let status = client.send_message(request).await.expect_err(name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        let bad = status.get_details_bad_request().unwrap_or_else(|| panic!("{name}: no BadRequest"));
        let fields: Vec<&str> = bad.field_violations.iter().map(|v| v.field.as_str()).collect();
        assert!(fields.iter().any(|f| f.starts_with(field)), "{name}: expected a violation of {field}, got {fields:?}");
        assert!(status.message().contains(field), "{name}: the message should name the field: {}", status.message());
    }
    assert!(gateway.sent_bodies().is_empty(), "invalid requests reached the emulator: {:#?}", gateway.sent_bodies());
}

#[tokio::test]
async fn an_unconfigured_phone_number_id_is_invalid() {
    let gateway = TestGateway::spawn().await;
    let mut req = request(text("hi"));
    req.phone_number_id = "999".into();
    let status = gateway.messaging().await.send_message(req).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("phone_number_id"), "{}", status.message());
    assert!(gateway.sent_bodies().is_empty());
}

#[tokio::test]
async fn mark_read_needs_a_message_id() {
    let gateway = TestGateway::spawn().await;
    let status = gateway.messaging().await.mark_read(pb::MarkReadRequest::default()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("message_id"));
    assert!(gateway.sent_bodies().is_empty());
}
