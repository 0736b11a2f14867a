//! Every message kind, sent through the gateway, reaches the emulator as the
//! exact Cloud API JSON of the reference samples.

use serde_json::{Value, json};
use wagate::pb::{
    self, interactive::Action, interactive_header, media_source::Source, message_content::Kind,
    template_button_parameter, template_parameter,
};

use crate::support::{CONTACT, PHONE, TestGateway, fixture};

const QUOTED: &str = "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=";

fn request(kind: Kind) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent { kind: Some(kind) }),
        ..Default::default()
    }
}

fn id(id: &str) -> Option<pb::MediaSource> {
    Some(pb::MediaSource { source: Some(Source::Id(id.into())) })
}

fn link(url: &str) -> Option<pb::MediaSource> {
    Some(pb::MediaSource { source: Some(Source::Link(url.into())) })
}

fn interactive(header: Option<interactive_header::Kind>, body: &str, footer: &str, action: Action) -> Kind {
    Kind::Interactive(pb::Interactive {
        header: header.map(|kind| pb::InteractiveHeader { kind: Some(kind) }),
        body: body.into(),
        footer: footer.into(),
        action: Some(action),
    })
}

fn text_param(name: &str, text: &str) -> pb::TemplateParameter {
    pb::TemplateParameter { parameter_name: name.into(), value: Some(template_parameter::Value::Text(text.into())) }
}

/// Sends `request`, then checks the emulator received `expected` and nothing else.
async fn assert_sends(gateway: &TestGateway, name: &str, request: pb::SendMessageRequest, expected: Value) {
    let mut client = gateway.messaging().await;
    let response =
        client.send_message(request).await.unwrap_or_else(|status| panic!("{name}: {status:?}")).into_inner();
    assert!(response.message_id.starts_with("wamid."), "{name}: {response:?}");
    assert_eq!(response.phone_number_id, PHONE);
    assert_eq!(response.wa_id, CONTACT);
    let received = gateway.take_only_sent();
    assert_eq!(received, expected, "{name}: the emulator received other JSON than the sample");
}

#[tokio::test]
async fn media_messages_by_id_and_by_link() {
    let gateway = TestGateway::spawn().await;
    let image = gateway.upload_to_emulator("image/jpeg", "jacket.jpg", vec![0xFF, 0xD8, 0xFF, 1, 2, 3]).await;
    let audio = gateway.upload_to_emulator("audio/ogg", "note.ogg", b"OggS-opus".to_vec()).await;
    let document = gateway.upload_to_emulator("application/pdf", "invoice.pdf", b"%PDF-1.7".to_vec()).await;
    let sticker = gateway.upload_to_emulator("image/webp", "hi.webp", b"RIFF----WEBP".to_vec()).await;

    let with_id = |name: &str, kind: &str, media_id: &str| {
        let mut expected = fixture(name);
        expected[kind]["id"] = json!(media_id);
        expected
    };
    let cases = [
        (
            "image by id",
            request(Kind::Image(pb::Image { media: id(&image), caption: "Navy, size M".into() })),
            with_id("send-image-by-id-request.json", "image", &image),
        ),
        (
            "image by link",
            request(Kind::Image(pb::Image {
                media: link("https://cdn.example.com/catalog/jacket-navy.jpg"),
                caption: "Navy, size M".into(),
            })),
            fixture("send-image-by-link-request.json"),
        ),
        (
            "audio",
            request(Kind::Audio(pb::Audio { media: id(&audio), voice: false })),
            with_id("send-audio-request.json", "audio", &audio),
        ),
        (
            "video",
            request(Kind::Video(pb::Video {
                media: link("https://cdn.example.com/howto/returns.mp4"),
                caption: "How returns work (40 s)".into(),
            })),
            fixture("send-video-request.json"),
        ),
        (
            "document",
            request(Kind::Document(pb::Document {
                media: id(&document),
                caption: "Invoice 2026-0714".into(),
                filename: "invoice-2026-0714.pdf".into(),
            })),
            with_id("send-document-request.json", "document", &document),
        ),
        (
            "sticker",
            request(Kind::Sticker(pb::Sticker { media: id(&sticker) })),
            with_id("send-sticker-request.json", "sticker", &sticker),
        ),
    ];
    for (name, request, expected) in cases {
        assert_sends(&gateway, name, request, expected).await;
    }

    // A voice note is audio with `voice: true`.
    let voice = request(Kind::Audio(pb::Audio { media: id(&audio), voice: true }));
    let mut expected = with_id("send-audio-request.json", "audio", &audio);
    expected["audio"]["voice"] = json!(true);
    assert_sends(&gateway, "voice note", voice, expected).await;
}

#[tokio::test]
async fn text_location_contacts_reactions_and_replies() {
    let gateway = TestGateway::spawn().await;
    let contact = pb::ContactCard {
        name: Some(pb::ContactName {
            formatted_name: "Customer Care".into(),
            first_name: "Customer".into(),
            last_name: "Care".into(),
            ..Default::default()
        }),
        phones: vec![pb::ContactPhone {
            phone: "+1 555 777 1234".into(),
            r#type: "WORK".into(),
            wa_id: "15557771234".into(),
        }],
        emails: vec![pb::ContactEmail { email: "care@example.com".into(), r#type: "WORK".into() }],
        urls: vec![pb::ContactUrl { url: "https://example.com/help".into(), r#type: "WORK".into() }],
        addresses: vec![pb::ContactAddress {
            street: "1355 Market St".into(),
            city: "San Francisco".into(),
            state: "CA".into(),
            zip: "94103".into(),
            country: "United States".into(),
            country_code: "US".into(),
            r#type: "WORK".into(),
        }],
        org: Some(pb::ContactOrg {
            company: "Example Outfitters".into(),
            department: "Support".into(),
            title: "Help desk".into(),
        }),
        birthday: "2011-05-01".into(),
    };
    let mut reply =
        request(Kind::Text(pb::Text { body: "Yes, it also comes in navy and olive.".into(), preview_url: false }));
    reply.reply_to_message_id = QUOTED.into();
    let cases = [
        (
            "text",
            request(Kind::Text(pb::Text {
                body: "Your order ships tomorrow. Track it here: https://shop.example.com/t/8F3K2".into(),
                preview_url: true,
            })),
            fixture("send-text-request.json"),
        ),
        (
            "location",
            request(Kind::Location(pb::Location {
                latitude: 37.7793,
                longitude: -122.4193,
                name: "Market St. store".into(),
                address: "1355 Market St, San Francisco, CA 94103".into(),
            })),
            fixture("send-location-request.json"),
        ),
        (
            "contacts",
            request(Kind::Contacts(pb::Contacts { contacts: vec![contact] })),
            fixture("send-contacts-request.json"),
        ),
        (
            "reaction",
            request(Kind::Reaction(pb::Reaction { message_id: QUOTED.into(), emoji: "👍".into() })),
            fixture("send-reaction-request.json"),
        ),
        (
            "reaction removed",
            request(Kind::Reaction(pb::Reaction { message_id: QUOTED.into(), emoji: String::new() })),
            fixture("send-reaction-remove-request.json"),
        ),
        ("reply with context", reply, fixture("send-reply-with-context-request.json")),
    ];
    for (name, request, expected) in cases {
        assert_sends(&gateway, name, request, expected).await;
    }
}

#[tokio::test]
async fn every_interactive_kind() {
    let gateway = TestGateway::spawn().await;
    let button = |id: &str, title: &str| pb::ReplyButton { id: id.into(), title: title.into() };
    let row = |id: &str, title: &str, description: &str| pb::ListRow {
        id: id.into(),
        title: title.into(),
        description: description.into(),
    };
    let text = |t: &str| Some(interactive_header::Kind::Text(t.into()));
    let flow_data = prost_types::Struct {
        fields: [(
            "order_id".to_owned(),
            prost_types::Value { kind: Some(prost_types::value::Kind::StringValue("8F3K2".into())) },
        )]
        .into(),
    };
    let cases = [
        (
            "reply buttons",
            interactive(
                text("Delivery slot"),
                "Your parcel can arrive tomorrow. Which slot suits you?",
                "Reply within 24 h",
                Action::Buttons(pb::ReplyButtons {
                    buttons: vec![
                        button("slot_am", "Morning"),
                        button("slot_pm", "Afternoon"),
                        button("slot_later", "Another day"),
                    ],
                }),
            ),
            "send-interactive-button-request.json",
        ),
        (
            "list",
            interactive(
                text("Help centre"),
                "Pick a topic and we will route you to the right team.",
                "Example Outfitters",
                Action::List(pb::ListAction {
                    button: "Choose topic".into(),
                    sections: vec![
                        pb::ListSection {
                            title: "Orders".into(),
                            rows: vec![
                                row("ord_status", "Order status", "Where is my parcel?"),
                                row("ord_cancel", "Cancel an order", ""),
                            ],
                        },
                        pb::ListSection {
                            title: "Returns".into(),
                            rows: vec![
                                row("ret_start", "Start a return", "Free within 30 days"),
                                row("ret_refund", "Refund status", ""),
                            ],
                        },
                    ],
                }),
            ),
            "send-interactive-list-request.json",
        ),
        (
            "cta url",
            interactive(
                Some(interactive_header::Kind::Image(pb::MediaSource {
                    source: Some(Source::Link("https://cdn.example.com/banners/summer.png".into())),
                })),
                "Your return label is ready.",
                "Link valid for 7 days",
                Action::CtaUrl(pb::CtaUrlAction {
                    display_text: "Get label".into(),
                    url: "https://shop.example.com/returns/label?r=8F3K2".into(),
                }),
            ),
            "send-interactive-cta-url-request.json",
        ),
        (
            "flow",
            interactive(
                text("Quick survey"),
                "Tell us how your delivery went. It takes 30 seconds.",
                "Optional",
                Action::Flow(pb::FlowAction {
                    flow: Some(pb::flow_action::Flow::FlowId("1837465501928374".into())),
                    flow_cta: "Open survey".into(),
                    flow_token: "srv-7f2c1a".into(),
                    mode: pb::FlowMode::Unspecified.into(),
                    flow_action: pb::FlowActionType::Navigate.into(),
                    screen: "RATE_DELIVERY".into(),
                    data: Some(flow_data),
                }),
            ),
            "send-interactive-flow-request.json",
        ),
        (
            "location request",
            interactive(
                None,
                "Share your location so we can find the nearest pickup point.",
                "",
                Action::LocationRequest(pb::LocationRequestAction {}),
            ),
            "send-interactive-location-request-request.json",
        ),
        (
            "product",
            interactive(
                None,
                "Back in stock:",
                "Limited sizes",
                Action::Product(pb::ProductAction {
                    catalog_id: "367025965434465".into(),
                    product_retailer_id: "JKT-NAVY-M".into(),
                }),
            ),
            "send-interactive-product-request.json",
        ),
        (
            "product list",
            interactive(
                text("Autumn picks"),
                "Hand-picked for you",
                "Prices include VAT",
                Action::ProductList(pb::ProductListAction {
                    catalog_id: "367025965434465".into(),
                    sections: vec![
                        pb::ProductSection {
                            title: "Jackets".into(),
                            product_retailer_ids: vec!["JKT-NAVY-M".into(), "JKT-OLIVE-M".into()],
                        },
                        pb::ProductSection {
                            title: "Scarves".into(),
                            product_retailer_ids: vec!["SCF-WOOL-01".into()],
                        },
                    ],
                }),
            ),
            "send-interactive-product-list-request.json",
        ),
    ];
    for (name, kind, sample) in cases {
        assert_sends(&gateway, name, request(kind), fixture(sample)).await;
    }
}

/// The gateway always pins the language policy, which some samples omit.
fn with_policy(mut sample: Value) -> Value {
    sample["template"]["language"]["policy"] = json!("deterministic");
    sample
}

#[tokio::test]
async fn templates_with_media_currency_date_time_buttons_and_named_parameters() {
    let gateway = TestGateway::spawn().await;
    gateway.add_template(
        "order_shipped",
        "en_US",
        "UTILITY",
        json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
            {"type": "BODY", "text": "Hi {{1}}, your order of {{2}} ships on {{3}}.",
             "example": {"body_text": [["Ana", "$84.50", "July 15"]]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Track", "url": "https://shop.example.com/t/{{1}}",
                 "example": ["https://shop.example.com/t/8F3K2"]},
                {"type": "QUICK_REPLY", "text": "Stop updates"}
            ]}
        ]),
    );
    gateway.add_template(
        "reservation_confirmation",
        "en_US",
        "UTILITY",
        json!([
            {"type": "HEADER", "format": "TEXT", "text": "Welcome {{guest_name}}",
             "example": {"header_text_named_params": [{"param_name": "guest_name", "example": "Ana"}]}},
            {"type": "BODY", "text": "A table for {{party_size}} on {{visit_date}}.",
             "example": {"body_text_named_params": [
                {"param_name": "party_size", "example": "4"},
                {"param_name": "visit_date", "example": "Saturday"}]}}
        ]),
    );
    gateway.add_template(
        "login_code",
        "en_US",
        "AUTHENTICATION",
        json!([
            {"type": "BODY", "add_security_recommendation": true},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}
        ]),
    );

    let body_param = |value| pb::TemplateParameter { parameter_name: String::new(), value: Some(value) };
    let button = |sub_type: pb::TemplateButtonSubType, index, value| pb::TemplateButtonParameters {
        sub_type: sub_type.into(),
        index,
        parameters: vec![pb::TemplateButtonParameter { value: Some(value) }],
    };
    let mut shipped = request(Kind::Template(pb::TemplateMessage {
        name: "order_shipped".into(),
        language_code: "en_US".into(),
        header_parameters: vec![body_param(template_parameter::Value::Image(pb::MediaSource {
            source: Some(Source::Link("https://cdn.example.com/orders/8F3K2.jpg".into())),
        }))],
        body_parameters: vec![
            text_param("", "Ana"),
            body_param(template_parameter::Value::Currency(pb::CurrencyParameter {
                fallback_value: "$84.50".into(),
                code: "USD".into(),
                amount_1000: 84500,
            })),
            body_param(template_parameter::Value::DateTime(pb::DateTimeParameter {
                fallback_value: "July 15, 2026".into(),
            })),
        ],
        buttons: vec![
            button(pb::TemplateButtonSubType::Url, 0, template_button_parameter::Value::Text("8F3K2".into())),
            button(
                pb::TemplateButtonSubType::QuickReply,
                1,
                template_button_parameter::Value::Payload("STOP_SHIPPING_UPDATES".into()),
            ),
        ],
    }));
    shipped.biz_opaque_callback_data = "campaign=shipping;order=8F3K2".into();

    let named = request(Kind::Template(pb::TemplateMessage {
        name: "reservation_confirmation".into(),
        language_code: "en_US".into(),
        header_parameters: vec![text_param("guest_name", "Ana")],
        body_parameters: vec![text_param("party_size", "4"), text_param("visit_date", "Saturday, July 18")],
        buttons: vec![],
    }));
    let otp = request(Kind::Template(pb::TemplateMessage {
        name: "login_code".into(),
        language_code: "en_US".into(),
        header_parameters: vec![],
        body_parameters: vec![text_param("", "482913")],
        buttons: vec![button(
            pb::TemplateButtonSubType::Url,
            0,
            template_button_parameter::Value::Text("482913".into()),
        )],
    }));

    for (name, request, sample) in [
        ("positional template", shipped, "send-template-request.json"),
        ("named template", named, "send-template-named-params-request.json"),
        ("authentication template", otp, "send-template-auth-otp-request.json"),
    ] {
        assert_sends(&gateway, name, request, with_policy(fixture(sample))).await;
    }
}

#[tokio::test]
async fn mark_read_with_and_without_the_typing_indicator() {
    let gateway = TestGateway::spawn().await;
    let inbound = gateway.inbound_text(CONTACT, "Is the navy one in stock?").await;
    let mut client = gateway.messaging().await;
    for (typing_indicator, sample) in [(false, "mark-read-request.json"), (true, "typing-indicator-request.json")] {
        client
            .mark_read(pb::MarkReadRequest {
                phone_number_id: String::new(),
                message_id: inbound.clone(),
                typing_indicator,
            })
            .await
            .unwrap();
        let mut expected = fixture(sample);
        expected["message_id"] = json!(inbound);
        assert_eq!(gateway.take_only_sent(), expected, "{sample}");
    }
}

#[tokio::test]
async fn biz_opaque_callback_data_and_bsuid_recipients_are_passed_through() {
    let gateway = TestGateway::spawn().await;
    let mut req = request(Kind::Text(pb::Text { body: "hi".into(), preview_url: false }));
    req.to = "+1 (415) 555-0123".into();
    req.biz_opaque_callback_data = "order=42".into();
    let response = gateway.messaging().await.send_message(req).await.unwrap().into_inner();
    assert_eq!(response.input, "+1 (415) 555-0123", "Meta echoes the input");
    assert_eq!(response.wa_id, CONTACT, "and normalises it");
    let body = gateway.take_only_sent();
    assert_eq!(body["to"], "+1 (415) 555-0123");
    assert_eq!(body["biz_opaque_callback_data"], "order=42");

    let mut req = request(Kind::Text(pb::Text { body: "hi".into(), preview_url: false }));
    req.to = "US.25718394402918375519".into();
    gateway.messaging().await.send_message(req).await.unwrap();
    let body = gateway.take_only_sent();
    assert_eq!(body["recipient"], "US.25718394402918375519");
    assert!(body.get("to").is_none(), "{body}");
}
