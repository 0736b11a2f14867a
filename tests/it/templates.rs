//! TemplateService end to end against the emulator: create → PENDING then
//! APPROVED events → send → a wrong send refused before Meta → paging →
//! update → delete; template sends checked against their placeholders; a
//! template id served only from the WABA it belongs to.

use std::{collections::BTreeSet, time::Duration};

use serde_json::json;
use tokio_stream::StreamExt as _;
use tonic::{Code, Streaming, service::interceptor::InterceptedService, transport::Channel};
use tonic_types::StatusExt as _;
use wagate::{
    access::{PhoneNumbers, Scope},
    emulator::{EmulatorConfig, Fault, FaultKind},
    pb::{
        self, event::Kind, message_content::Kind as Content, subscribe_events_request::Start,
        template_button::Kind as ButtonKind, template_button_parameter::Value as ButtonValue,
        template_component::Kind as ComponentKind, template_parameter::Value as ParamValue,
        template_service_client::TemplateServiceClient,
    },
};

use crate::{
    media::{Custom, CustomAccount, api_key},
    support::{Bearer, CONTACT, KEY, PHONE, TestGateway, bearer, error_info},
};

/// The failure bound of every wait.
const WAIT: Duration = Duration::from_secs(10);

type Client = TemplateServiceClient<InterceptedService<Channel, Bearer>>;

async fn client(gateway: &TestGateway) -> Client {
    TemplateServiceClient::with_interceptor(gateway.channel().await, bearer(KEY))
}

async fn template_events(gateway: &TestGateway, kinds: &[pb::EventKind]) -> Streaming<pb::SubscribeEventsResponse> {
    let request = pb::SubscribeEventsRequest {
        kinds: kinds.iter().map(|k| (*k).into()).collect(),
        start: Some(Start::Position(pb::StartPosition::Newest.into())),
        ..Default::default()
    };
    gateway.events().await.subscribe_events(request).await.unwrap().into_inner()
}

async fn next_event(stream: &mut Streaming<pb::SubscribeEventsResponse>) -> pb::Event {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("no event within the wait bound")
        .expect("the stream ended")
        .expect("the stream failed")
        .event
        .expect("an event")
}

/// The next status update of template `id`, skipping other templates'.
async fn next_status(stream: &mut Streaming<pb::SubscribeEventsResponse>, id: &str) -> pb::TemplateStatusUpdate {
    loop {
        if let Some(Kind::TemplateStatus(update)) = next_event(stream).await.kind
            && update.template_id == id
        {
            return update;
        }
    }
}

fn component(kind: ComponentKind) -> pb::TemplateComponent {
    pb::TemplateComponent { kind: Some(kind) }
}

fn button(kind: ButtonKind) -> pb::TemplateButton {
    pb::TemplateButton { kind: Some(kind) }
}

fn order_shipped_components(body: &str) -> Vec<pb::TemplateComponent> {
    vec![
        component(ComponentKind::Header(pb::HeaderComponent {
            format: pb::HeaderFormat::Image.into(),
            example_handles: vec!["4::aW1hZ2UvanBlZw==:ARZ3tQm8bY0yVr1hJc2kLw7pQe9sFd".into()],
            ..Default::default()
        })),
        component(ComponentKind::Body(pb::BodyComponent {
            text: body.into(),
            examples: vec!["Ana".into(), "$84.50".into(), "July 15".into()],
            ..Default::default()
        })),
        component(ComponentKind::Footer(pb::FooterComponent {
            text: "Example Outfitters".into(),
            code_expiration_minutes: 0,
        })),
        component(ComponentKind::Buttons(pb::ButtonsComponent {
            buttons: vec![
                button(ButtonKind::Url(pb::UrlButton {
                    text: "Track parcel".into(),
                    url: "https://shop.example.com/t/{{1}}".into(),
                    example: "https://shop.example.com/t/8F3K2".into(),
                })),
                button(ButtonKind::QuickReply(pb::QuickReplyButton { text: "Stop updates".into() })),
            ],
        })),
    ]
}

fn create_request(name: &str, components: Vec<pb::TemplateComponent>) -> pb::CreateTemplateRequest {
    pb::CreateTemplateRequest {
        name: name.into(),
        language: "en_US".into(),
        category: pb::TemplateCategory::Utility.into(),
        components,
        ..Default::default()
    }
}

fn text(name: &str, value: &str) -> pb::TemplateParameter {
    pb::TemplateParameter { parameter_name: name.into(), value: Some(ParamValue::Text(value.into())) }
}

fn send_template(template: pb::TemplateMessage) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        to: CONTACT.into(),
        content: Some(pb::MessageContent { kind: Some(Content::Template(template)) }),
        ..Default::default()
    }
}

fn shipped_send(name: &str, body_values: &[&str]) -> pb::SendMessageRequest {
    send_template(pb::TemplateMessage {
        name: name.into(),
        language_code: "en_US".into(),
        header_parameters: vec![pb::TemplateParameter {
            parameter_name: String::new(),
            value: Some(ParamValue::Image(pb::MediaSource {
                source: Some(pb::media_source::Source::Link("https://cdn.example.com/8F3K2.jpg".into())),
            })),
        }],
        body_parameters: body_values.iter().map(|v| text("", v)).collect(),
        buttons: vec![pb::TemplateButtonParameters {
            sub_type: pb::TemplateButtonSubType::Url.into(),
            index: 0,
            parameters: vec![pb::TemplateButtonParameter { value: Some(ButtonValue::Text("8F3K2".into())) }],
        }],
    })
}

fn get(template_id: &str) -> pb::GetTemplateRequest {
    pb::GetTemplateRequest { template_id: template_id.into(), ..Default::default() }
}

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    let bad = status.get_details_bad_request().unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    bad.field_violations.into_iter().map(|v| v.field).collect()
}

#[tokio::test]
async fn create_review_send_page_update_and_delete() {
    let gateway = TestGateway::spawn().await;
    let mut templates = client(&gateway).await;
    let mut messaging = gateway.messaging().await;
    let mut events = template_events(&gateway, &[pb::EventKind::TemplateStatus]).await;

    // Create: PENDING, then the review's PENDING → APPROVED events.
    let components = order_shipped_components("Hi {{1}}, your order of {{2}} ships on {{3}}.");
    let created = templates.create_template(create_request("order_shipped", components.clone())).await.unwrap();
    let created = created.into_inner();
    assert_eq!(created.status(), pb::TemplateStatus::Pending);
    assert_eq!(created.category(), pb::TemplateCategory::Utility);
    let pending = next_status(&mut events, &created.id).await;
    assert_eq!((pending.status(), pending.template_name.as_str()), (pb::TemplateStatus::Pending, "order_shipped"));
    let approved = next_status(&mut events, &created.id).await;
    assert_eq!((approved.status(), approved.language.as_str()), (pb::TemplateStatus::Approved, "en_US"));

    // Send it with the right values; a wrong count never reaches Meta.
    let sent = messaging.send_message(shipped_send("order_shipped", &["Ana", "$84.50", "July 15"])).await.unwrap();
    assert!(sent.into_inner().message_id.starts_with("wamid."));
    assert_eq!(gateway.take_only_sent()["template"]["name"], "order_shipped");
    let status = messaging.send_message(shipped_send("order_shipped", &["Ana", "$84.50"])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(violated_fields(&status), ["content.template.body_parameters"]);
    assert!(status.message().contains("3 body placeholder(s)"), "{}", status.message());
    assert!(gateway.sent_bodies().is_empty(), "the wrong send reached the emulator");

    // Get shows what was created.
    let got = templates.get_template(get(&created.id)).await.unwrap();
    let got = got.into_inner().template.expect("template");
    assert_eq!((got.name.as_str(), got.status()), ("order_shipped", pb::TemplateStatus::Approved));
    assert_eq!(got.components, components);
    assert!(!got.waba_id.is_empty());

    // Page over more templates than one page.
    let mut expected = BTreeSet::from(["order_shipped".to_owned()]);
    for i in 0..6 {
        let name = format!("notice_{i}");
        gateway.add_template(&name, "en_US", "MARKETING", json!([{"type": "BODY", "text": format!("Notice {i}")}]));
        expected.insert(name);
    }
    let mut seen = BTreeSet::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = templates
            .list_templates(pb::ListTemplatesRequest { page_size: 3, page_token: token.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.templates.len() <= 3);
        for t in page.templates {
            assert!(seen.insert(t.name.clone()), "{} listed twice", t.name);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!((seen, pages), (expected, 3));

    // Filters map to Graph's.
    let filtered = templates
        .list_templates(pb::ListTemplatesRequest {
            name: "notice".into(),
            categories: vec![pb::TemplateCategory::Marketing.into()],
            statuses: vec![pb::TemplateStatus::Approved.into()],
            languages: vec!["en_US".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.templates.len(), 6);
    assert!(filtered.next_page_token.is_empty());
    let none = templates
        .list_templates(pb::ListTemplatesRequest {
            statuses: vec![pb::TemplateStatus::Rejected.into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.templates.is_empty());

    // Update: the new body is under review (then approved). Its review events
    // are not awaited here: within the same second as the first review they
    // share the first ones' event ids (template id, event, entry time).
    let new_body = "Hello {{1}}, good news: {{2}} arrives on {{3}}.";
    templates
        .update_template(pb::UpdateTemplateRequest {
            template_id: created.id.clone(),
            components: order_shipped_components(new_body),
            ..Default::default()
        })
        .await
        .unwrap();
    let got = templates.get_template(get(&created.id)).await.unwrap();
    let got = got.into_inner().template.unwrap();
    assert!(
        matches!(got.status(), pb::TemplateStatus::Pending | pb::TemplateStatus::Approved),
        "an edit goes back to review: {:?}",
        got.status()
    );
    let body = got.components.into_iter().find_map(|c| match c.kind {
        Some(ComponentKind::Body(b)) => Some(b.text),
        _ => None,
    });
    assert_eq!(body.as_deref(), Some(new_body));
    // An edit with nothing in it is refused before Meta.
    let status = templates
        .update_template(pb::UpdateTemplateRequest { template_id: created.id.clone(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // Delete by name and id; it is gone, for reads and for sends.
    templates
        .delete_template(pb::DeleteTemplateRequest {
            name: "order_shipped".into(),
            template_id: created.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let status = templates.get_template(get(&created.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status =
        messaging.send_message(shipped_send("order_shipped", &["Ana", "$84.50", "July 15"])).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    // And by name alone.
    templates
        .delete_template(pb::DeleteTemplateRequest { name: "notice_0".into(), ..Default::default() })
        .await
        .unwrap();
    let status = templates
        .delete_template(pb::DeleteTemplateRequest { name: "notice_0".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "Meta's 100 for a name that is gone: {status:?}");
}

#[tokio::test]
async fn unknown_and_unapproved_templates_are_refused_before_meta() {
    let gateway = TestGateway::spawn().await;
    let mut messaging = gateway.messaging().await;
    let hello = |name: &str, language: &str| {
        send_template(pb::TemplateMessage { name: name.into(), language_code: language.into(), ..Default::default() })
    };

    let status = messaging.send_message(hello("no_such_template", "en_US")).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("no_such_template does not exist in en_US"), "{}", status.message());
    gateway.add_template("greeting", "en_US", "UTILITY", json!([{"type": "BODY", "text": "Hello!"}]));
    let status = messaging.send_message(hello("greeting", "pt_BR")).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("(it exists in en_US)"), "{}", status.message());

    // A rejected template.
    let mut templates = client(&gateway).await;
    let mut events = template_events(&gateway, &[pb::EventKind::TemplateStatus]).await;
    let body = component(ComponentKind::Body(pb::BodyComponent { text: "Big sale!".into(), ..Default::default() }));
    let created = templates.create_template(create_request("reject_me", vec![body])).await.unwrap().into_inner();
    assert_eq!(next_status(&mut events, &created.id).await.status(), pb::TemplateStatus::Pending);
    let rejected = next_status(&mut events, &created.id).await;
    assert_eq!((rejected.status(), rejected.reason.as_str()), (pb::TemplateStatus::Rejected, "INVALID_FORMAT"));
    let status = messaging.send_message(hello("reject_me", "en_US")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(error_info(&status).reason, "TEMPLATE_NOT_APPROVED");
    assert!(status.message().contains("REJECTED"), "{}", status.message());

    // An approved template that Meta pauses: once the event has passed, the
    // gateway refuses it itself (before that, Meta's 132015 says the same).
    messaging.send_message(hello("greeting", "en_US")).await.expect("approved, and now cached");
    let greeting = templates
        .list_templates(pb::ListTemplatesRequest { name: "greeting".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .templates
        .remove(0);
    let paused = reqwest::Client::new()
        .post(format!("http://{}/_admin/templates/{}/status", gateway.emulator_addr, greeting.id))
        .json(&json!({"event": "PAUSED"}))
        .send()
        .await
        .unwrap();
    assert!(paused.status().is_success());
    assert_eq!(next_status(&mut events, &greeting.id).await.status(), pb::TemplateStatus::Paused);
    let refused = tokio::time::timeout(WAIT, async {
        loop {
            let status = messaging.send_message(hello("greeting", "en_US")).await.unwrap_err();
            assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
            if error_info(&status).reason == "TEMPLATE_NOT_APPROVED" {
                break status;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the paused event never evicted the cached template");
    assert!(refused.message().contains("PAUSED"), "{}", refused.message());
}

#[tokio::test]
async fn named_parameters_and_buttons_are_checked() {
    let gateway = TestGateway::spawn().await;
    let mut messaging = gateway.messaging().await;
    gateway.add_template(
        "reservation_confirmation",
        "en_US",
        "UTILITY",
        json!([
            {"type": "HEADER", "format": "TEXT", "text": "Welcome {{guest_name}}"},
            {"type": "BODY", "text": "A table for {{party_size}} on {{visit_date}}."},
            {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "TABLE4"}]}
        ]),
    );
    let send = |header: Vec<pb::TemplateParameter>, body: Vec<pb::TemplateParameter>, with_code: bool| {
        send_template(pb::TemplateMessage {
            name: "reservation_confirmation".into(),
            language_code: "en_US".into(),
            header_parameters: header,
            body_parameters: body,
            buttons: if with_code {
                vec![pb::TemplateButtonParameters {
                    sub_type: pb::TemplateButtonSubType::CopyCode.into(),
                    index: 0,
                    parameters: vec![pb::TemplateButtonParameter {
                        value: Some(ButtonValue::CouponCode("TABLE4".into())),
                    }],
                }]
            } else {
                vec![]
            },
        })
    };

    let wrong = send(vec![text("guest", "Ana")], vec![text("party_size", "4"), text("date", "Saturday")], false);
    let status = messaging.send_message(wrong).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violated_fields(&status),
        [
            "content.template.header_parameters[0].parameter_name",
            "content.template.body_parameters[1].parameter_name",
            "content.template.body_parameters",
            "content.template.buttons",
        ]
    );
    assert!(gateway.sent_bodies().is_empty(), "a wrong send reached the emulator");

    let right =
        send(vec![text("guest_name", "Ana")], vec![text("visit_date", "Saturday"), text("party_size", "4")], true);
    messaging.send_message(right).await.expect("named values in any order");
    assert_eq!(gateway.take_only_sent()["template"]["components"][2]["sub_type"], "copy_code");
}

#[tokio::test]
async fn creates_are_validated_field_by_field() {
    let gateway = TestGateway::spawn().await;
    let mut templates = client(&gateway).await;
    let mut request =
        create_request("Order Shipped", order_shipped_components("Hi {{1}}, your order of {{2}} ships on {{4}}."));
    request.category = 0;
    let status = templates.create_template(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["name", "category", "components[1].body.text"]);
    assert!(status.message().contains("lowercase"), "{}", status.message());

    let auth = pb::CreateTemplateRequest {
        name: "login_code".into(),
        language: "en_US".into(),
        category: pb::TemplateCategory::Authentication.into(),
        components: vec![component(ComponentKind::Body(pb::BodyComponent {
            text: "Your code is {{1}}".into(),
            ..Default::default()
        }))],
        ..Default::default()
    };
    let status = templates.create_template(auth).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["components[0].body.text", "components"]);

    let listed = templates.list_templates(pb::ListTemplatesRequest::default()).await.unwrap().into_inner();
    assert!(listed.templates.is_empty(), "nothing was created");
    let status =
        templates.list_templates(pb::ListTemplatesRequest { page_size: 500, ..Default::default() }).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["page_size"]);
    let status = templates
        .list_templates(pb::ListTemplatesRequest { waba_id: "999".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["waba_id"]);
}

#[tokio::test]
async fn category_and_quality_changes_arrive_as_typed_events() {
    let gateway = TestGateway::spawn().await;
    gateway.add_template("promo", "en_US", "UTILITY", json!([{"type": "BODY", "text": "Hello"}]));
    let mut templates = client(&gateway).await;
    let id = templates
        .list_templates(pb::ListTemplatesRequest { name: "promo".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .templates
        .remove(0)
        .id;
    let mut events =
        template_events(&gateway, &[pb::EventKind::TemplateCategory, pb::EventKind::TemplateQuality]).await;
    let admin = |path: &str, body: serde_json::Value| {
        let url = format!("http://{}/_admin/templates/{id}/{path}", gateway.emulator_addr);
        async move { assert!(reqwest::Client::new().post(url).json(&body).send().await.unwrap().status().is_success()) }
    };
    admin("category", json!({"new_category": "MARKETING"})).await;
    let Some(Kind::TemplateCategory(update)) = next_event(&mut events).await.kind else { panic!("a category update") };
    assert_eq!(
        (update.template_id.as_str(), update.previous_category(), update.new_category()),
        (id.as_str(), pb::TemplateCategory::Utility, pb::TemplateCategory::Marketing)
    );
    admin("quality", json!({"new_quality_score": "YELLOW"})).await;
    let Some(Kind::TemplateQuality(update)) = next_event(&mut events).await.kind else { panic!("a quality update") };
    assert_eq!(update.new_quality_score(), pb::QualityScore::Yellow);
}

#[tokio::test]
async fn a_template_id_is_served_only_from_the_waba_it_belongs_to() {
    // Two WABAs behind one token: the default one (its number unknown to the
    // emulator, which holds no template of it) and the emulator's.
    let (default_waba, default_phone) = ("100000000000001", "113502948870001");
    let waba = EmulatorConfig::default().waba_id;
    let accounts = [
        CustomAccount { waba_id: default_waba, phone_number_ids: &[default_phone] },
        CustomAccount { waba_id: &waba, phone_number_ids: &[PHONE] },
    ];
    let keys = vec![
        api_key("default-waba", &[Scope::Templates], PhoneNumbers::Only([default_phone.to_owned()].into())),
        api_key("other-waba", &[Scope::Templates], PhoneNumbers::Only([PHONE.to_owned()].into())),
        api_key(KEY, &[Scope::Templates], PhoneNumbers::All),
    ];
    let gateway = Custom::spawn(default_phone, &accounts, keys).await;
    gateway.emulator.add_template("greeting", "en_US", "UTILITY", json!([{"type": "BODY", "text": "Hello!"}])).unwrap();
    let channel = gateway.channel().await;
    let client = |key: &str| TemplateServiceClient::with_interceptor(channel.clone(), bearer(key));
    let (mut default_key, mut other_key, mut full_key) = (client("default-waba"), client("other-waba"), client(KEY));
    let in_waba = |id: &str, waba_id: &str| pb::GetTemplateRequest { template_id: id.into(), waba_id: waba_id.into() };

    // A key limited to the non-default WABA reaches its own templates.
    let listed = other_key
        .list_templates(pb::ListTemplatesRequest {
            waba_id: waba.clone(),
            name: "greeting".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let id = listed.templates[0].id.clone();
    let got = other_key.get_template(in_waba(&id, &waba)).await.expect("its own WABA's template").into_inner();
    let got = got.template.unwrap();
    assert_eq!((got.name.as_str(), got.waba_id.as_str()), ("greeting", waba.as_str()));
    let status = other_key.get_template(get(&id)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "the default WABA is not the key's: {status:?}");

    // A key of the default WABA cannot read or edit it by id, though the
    // token reaches it; the answer is that of an id that does not exist.
    let status = default_key.get_template(get(&id)).await.expect_err("another WABA's template");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let unknown = "1234567890123456";
    let missing = default_key.get_template(get(unknown)).await.unwrap_err();
    assert_eq!((missing.code(), missing.message().replace(unknown, &id)), (Code::NotFound, status.message().into()));
    let edit = |waba_id: &str| pb::UpdateTemplateRequest {
        template_id: id.clone(),
        message_send_ttl_seconds: 3600,
        waba_id: waba_id.into(),
        ..Default::default()
    };
    let status = default_key.update_template(edit("")).await.expect_err("editing another WABA's template");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = full_key.get_template(in_waba(&id, default_waba)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "named with the wrong WABA: {status:?}");
    let unchanged = full_key.get_template(in_waba(&id, &waba)).await.unwrap().into_inner().template.unwrap();
    assert_eq!(unchanged.status(), pb::TemplateStatus::Approved, "the refused edit did not reach Meta");

    // A WABA whose list holds another template of that name, not this id,
    // does not own it either.
    let other = json!({"id": "1111111111111111", "name": "greeting", "language": "en_US", "status": "APPROVED"});
    gateway.emulator.inject_fault(Fault {
        count: 1,
        kind: FaultKind::RawStatus { http_status: 200, body: json!({"data": [other]}).to_string() },
        path_contains: Some("/message_templates".into()),
    });
    let status = other_key.get_template(in_waba(&id, &waba)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Its own WABA's key edits it.
    other_key.update_template(edit(&waba)).await.expect("an edit in its own WABA");
    let edited = other_key.get_template(in_waba(&id, &waba)).await.unwrap().into_inner().template.unwrap();
    assert_eq!(edited.message_send_ttl_seconds, 3600);
}

#[tokio::test]
async fn a_name_that_matches_too_many_templates_leaves_the_send_check_to_meta() {
    let gateway = TestGateway::spawn().await;
    // Graph's name filter matches parts of names: "promo" matches all of
    // these, and the template itself comes after the lookup's last page.
    for i in 0..500 {
        gateway.add_template(&format!("promo_{i:03}"), "en_US", "MARKETING", json!([{"type": "BODY", "text": "Sale"}]));
    }
    gateway.add_template("promo", "en_US", "MARKETING", json!([{"type": "BODY", "text": "Hello!"}]));
    let send = send_template(pb::TemplateMessage {
        name: "promo".into(),
        language_code: "en_US".into(),
        ..Default::default()
    });
    let sent = gateway.messaging().await.send_message(send).await.expect("the send goes to Meta, which has it");
    assert!(sent.into_inner().message_id.starts_with("wamid."));
    assert_eq!(gateway.take_only_sent()["template"]["name"], "promo");
}
