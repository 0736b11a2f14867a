//! Interactive messages: reply buttons, lists, CTA URLs, flows, location
//! requests, products and product lists, with the header each kind takes.

use std::collections::HashMap;

use super::{checker::Checker, media::media_source, struct_json::check_struct, syntax::is_emoji};
use crate::{
    graph::messages::{
        ButtonReply, CtaUrlAction, CtaUrlParameters, FlowAction, FlowActionKind, FlowMessageVersion, FlowMode,
        FlowParameters, FlowPayload, FlowRef, Interactive, InteractiveAction, InteractiveHeader, InteractiveText,
        ListAction, ListRow, ListSection, LocationRequestAction, ProductAction, ProductItem, ProductListAction,
        ProductSection, ReplyButton, ReplyButtons, StructJson,
    },
    pb::{self, interactive::Action, interactive_header::Kind as HeaderKind},
};

const INTERACTIVE_BODY_MAX: usize = 1024;
const LIST_BODY_MAX: usize = 4096;
const HEADER_TEXT_MAX: usize = 60;
const FOOTER_MAX: usize = 60;
const REPLY_BUTTONS_MAX: usize = 3;
const BUTTON_TITLE_MAX: usize = 20;
const BUTTON_ID_MAX: usize = 256;
const LIST_LABEL_MAX: usize = 20;
const SECTIONS_MAX: usize = 10;
const LIST_ROWS_MAX: usize = 10;
const ROW_ID_MAX: usize = 200;
const ROW_TITLE_MAX: usize = 24;
const ROW_DESCRIPTION_MAX: usize = 72;
const SECTION_TITLE_MAX: usize = 24;
const CTA_TEXT_MAX: usize = 20;
const FLOW_CTA_MAX: usize = 20;
const PRODUCTS_MAX: usize = 30;

/// Which headers an interactive kind takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderRule {
    Any,
    TextOnly,
    TextRequired,
    None,
}

/// What an interactive kind requires around its action.
struct Shape {
    /// How the kind is named in messages.
    label: &'static str,
    header: HeaderRule,
    body_required: bool,
    body_max: usize,
}

impl Shape {
    const fn new(label: &'static str, header: HeaderRule) -> Self {
        Self { label, header, body_required: true, body_max: INTERACTIVE_BODY_MAX }
    }
}

/// An interactive message: its action, and the header, body and footer its kind allows.
pub(super) fn interactive_message<'a>(
    c: &mut Checker<'_>,
    interactive: &'a pb::Interactive,
) -> Option<Interactive<'a>> {
    let (shape, action) = match &interactive.action {
        None => {
            c.fail(
                "action",
                "is required: one of buttons, list, cta_url, flow, location_request, \
                 product or product_list",
            );
            (Shape::new("interactive", HeaderRule::Any), None)
        }
        Some(Action::Buttons(buttons)) => (
            Shape::new("reply-button", HeaderRule::Any),
            Some(InteractiveAction::Buttons(reply_buttons(&mut c.at("buttons"), buttons))),
        ),
        Some(Action::List(list)) => (
            Shape { body_max: LIST_BODY_MAX, ..Shape::new("list", HeaderRule::TextOnly) },
            Some(InteractiveAction::List(list_action(&mut c.at("list"), list))),
        ),
        Some(Action::CtaUrl(cta)) => (
            Shape::new("CTA URL", HeaderRule::Any),
            Some(InteractiveAction::CtaUrl(cta_url_action(&mut c.at("cta_url"), cta))),
        ),
        Some(Action::Flow(flow)) => {
            (Shape::new("flow", HeaderRule::Any), flow_action(&mut c.at("flow"), flow).map(InteractiveAction::Flow))
        }
        Some(Action::LocationRequest(_)) => (
            Shape::new("location request", HeaderRule::None),
            Some(InteractiveAction::LocationRequest(LocationRequestAction {})),
        ),
        Some(Action::Product(product)) => (
            Shape { body_required: false, ..Shape::new("product", HeaderRule::None) },
            Some(InteractiveAction::Product(product_action(&mut c.at("product"), product))),
        ),
        Some(Action::ProductList(list)) => (
            Shape::new("product list", HeaderRule::TextRequired),
            Some(InteractiveAction::ProductList(product_list_action(&mut c.at("product_list"), list))),
        ),
    };

    let header = interactive_header(c, interactive.header.as_ref(), &shape);
    c.length("body", &interactive.body, usize::from(shape.body_required), shape.body_max);
    c.length("footer", &interactive.footer, 0, FOOTER_MAX);

    let text = |text: &'a str| (!text.is_empty()).then_some(InteractiveText { text });
    Some(Interactive { action: action?, header, body: text(&interactive.body), footer: text(&interactive.footer) })
}

/// The header, if the kind takes the one given; `None` when there is none
/// (an empty header message counts as none) or it was refused.
fn interactive_header<'a>(
    c: &mut Checker<'_>,
    header: Option<&'a pb::InteractiveHeader>,
    shape: &Shape,
) -> Option<InteractiveHeader<'a>> {
    // An empty header message is treated as no header, as in JSON clients.
    let kind = header.and_then(|header| header.kind.as_ref());
    let label = shape.label;
    match (shape.header, kind) {
        (HeaderRule::TextRequired, None) => {
            c.fail("header", format!("is required: {label} messages need a text header"));
            return None;
        }
        (_, None) => return None,
        (HeaderRule::None, Some(_)) => {
            c.fail("header", format!("is not allowed: {label} messages take no header"));
            return None;
        }
        (HeaderRule::TextOnly | HeaderRule::TextRequired, Some(kind)) if !matches!(kind, HeaderKind::Text(_)) => {
            c.fail("header", format!("must be text: {label} messages take text headers only"));
            return None;
        }
        _ => {}
    }
    let mut c = c.at("header");
    Some(match kind? {
        HeaderKind::Text(text) => {
            c.length("text", text, 1, HEADER_TEXT_MAX);
            InteractiveHeader::Text { text }
        }
        HeaderKind::Image(source) => InteractiveHeader::Image { image: media_source(&mut c, "image", Some(source))? },
        HeaderKind::Video(source) => InteractiveHeader::Video { video: media_source(&mut c, "video", Some(source))? },
        HeaderKind::Document(source) => {
            InteractiveHeader::Document { document: media_source(&mut c, "document", Some(source))? }
        }
    })
}

fn reply_buttons<'a>(c: &mut Checker<'_>, buttons: &'a pb::ReplyButtons) -> ReplyButtons<'a> {
    c.count("buttons", buttons.buttons.len(), 1, REPLY_BUTTONS_MAX, "button");
    let mut ids = HashMap::new();
    let mut titles = HashMap::new();
    let mut out = Vec::with_capacity(buttons.buttons.len());
    for (i, button) in buttons.buttons.iter().enumerate() {
        let mut c = c.item("buttons", i);
        c.length("id", &button.id, 1, BUTTON_ID_MAX);
        if button.id.trim() != button.id {
            c.fail("id", "must not start or end with whitespace");
        }
        c.unique("id", &button.id, format!("buttons[{i}].id"), &mut ids);
        c.length("title", &button.title, 1, BUTTON_TITLE_MAX);
        c.unique("title", &button.title, format!("buttons[{i}].title"), &mut titles);
        out.push(ReplyButton { reply: ButtonReply { id: &button.id, title: &button.title } });
    }
    ReplyButtons { buttons: out }
}

fn list_action<'a>(c: &mut Checker<'_>, list: &'a pb::ListAction) -> ListAction<'a> {
    c.length("button", &list.button, 1, LIST_LABEL_MAX);
    c.count("sections", list.sections.len(), 1, SECTIONS_MAX, "section");
    let rows: usize = list.sections.iter().map(|section| section.rows.len()).sum();
    if rows > LIST_ROWS_MAX {
        c.fail("sections", format!("must hold at most {LIST_ROWS_MAX} rows in total, got {rows}"));
    }
    // Meta needs section titles only to tell several sections apart.
    let title_min = usize::from(list.sections.len() > 1);
    let mut ids = HashMap::new();
    let mut sections = Vec::with_capacity(list.sections.len());
    for (i, section) in list.sections.iter().enumerate() {
        let mut c = c.item("sections", i);
        c.length("title", &section.title, title_min, SECTION_TITLE_MAX);
        c.count("rows", section.rows.len(), 1, LIST_ROWS_MAX, "row");
        let mut rows = Vec::with_capacity(section.rows.len());
        for (j, row) in section.rows.iter().enumerate() {
            let mut c = c.item("rows", j);
            c.length("id", &row.id, 1, ROW_ID_MAX);
            c.unique("id", &row.id, format!("sections[{i}].rows[{j}].id"), &mut ids);
            c.length("title", &row.title, 1, ROW_TITLE_MAX);
            c.length("description", &row.description, 0, ROW_DESCRIPTION_MAX);
            rows.push(ListRow { id: &row.id, title: &row.title, description: &row.description });
        }
        sections.push(ListSection { title: &section.title, rows });
    }
    ListAction { button: &list.button, sections }
}

fn cta_url_action<'a>(c: &mut Checker<'_>, cta: &'a pb::CtaUrlAction) -> CtaUrlAction<'a> {
    c.length("display_text", &cta.display_text, 1, CTA_TEXT_MAX);
    c.http_url("url", &cta.url);
    CtaUrlAction { parameters: CtaUrlParameters { display_text: &cta.display_text, url: &cta.url } }
}

fn flow_action<'a>(c: &mut Checker<'_>, flow: &'a pb::FlowAction) -> Option<FlowAction<'a>> {
    use pb::flow_action::Flow;

    let flow_ref = match &flow.flow {
        None => {
            c.fail("", "needs a flow_id or a flow_name");
            None
        }
        Some(Flow::FlowId(id)) => {
            c.required("flow_id", id);
            Some(FlowRef::FlowId(id))
        }
        Some(Flow::FlowName(name)) => {
            c.required("flow_name", name);
            Some(FlowRef::FlowName(name))
        }
    };
    c.length("flow_cta", &flow.flow_cta, 1, FLOW_CTA_MAX);
    if flow.flow_cta.chars().any(is_emoji) {
        c.fail("flow_cta", "must not contain emoji");
    }

    // Meta's defaults (published, navigate) apply when unset, so send only explicit choices.
    let mode = match pb::FlowMode::try_from(flow.mode) {
        Ok(pb::FlowMode::Unspecified) => None,
        Ok(pb::FlowMode::Published) => Some(FlowMode::Published),
        Ok(pb::FlowMode::Draft) => Some(FlowMode::Draft),
        Err(_) => {
            c.fail("mode", format!("has the unknown value {}", flow.mode));
            None
        }
    };
    let flow_action = match pb::FlowActionType::try_from(flow.flow_action) {
        Ok(pb::FlowActionType::Unspecified) => None,
        Ok(pb::FlowActionType::Navigate) => Some(FlowActionKind::Navigate),
        Ok(pb::FlowActionType::DataExchange) => Some(FlowActionKind::DataExchange),
        Err(_) => {
            c.fail("flow_action", format!("has the unknown value {}", flow.flow_action));
            None
        }
    };

    let data = flow.data.as_ref().map(|data| {
        if data.fields.is_empty() {
            c.fail("data", "must not be empty when set; leave it unset instead");
        }
        check_struct(&mut c.at("data"), data);
        StructJson(data)
    });
    // flow_action_payload is `{screen, data?}`: data needs a screen to go to.
    if data.is_some() && flow.screen.is_empty() {
        c.fail("screen", "is required when data is set: the first screen the data is given to");
    }
    let payload = (!flow.screen.is_empty() || data.is_some()).then_some(FlowPayload { screen: &flow.screen, data });
    Some(FlowAction {
        parameters: FlowParameters {
            flow_message_version: FlowMessageVersion::V3,
            flow: flow_ref?,
            flow_cta: &flow.flow_cta,
            flow_token: &flow.flow_token,
            mode,
            flow_action,
            flow_action_payload: payload,
        },
    })
}

fn product_action<'a>(c: &mut Checker<'_>, product: &'a pb::ProductAction) -> ProductAction<'a> {
    c.required("catalog_id", &product.catalog_id);
    c.required("product_retailer_id", &product.product_retailer_id);
    ProductAction { catalog_id: &product.catalog_id, product_retailer_id: &product.product_retailer_id }
}

fn product_list_action<'a>(c: &mut Checker<'_>, list: &'a pb::ProductListAction) -> ProductListAction<'a> {
    c.required("catalog_id", &list.catalog_id);
    c.count("sections", list.sections.len(), 1, SECTIONS_MAX, "section");
    let products: usize = list.sections.iter().map(|section| section.product_retailer_ids.len()).sum();
    if products > PRODUCTS_MAX {
        c.fail("sections", format!("must hold at most {PRODUCTS_MAX} products in total, got {products}"));
    }
    let title_min = usize::from(list.sections.len() > 1);
    let mut sections = Vec::with_capacity(list.sections.len());
    for (i, section) in list.sections.iter().enumerate() {
        let mut c = c.item("sections", i);
        c.length("title", &section.title, title_min, SECTION_TITLE_MAX);
        c.count("product_retailer_ids", section.product_retailer_ids.len(), 1, PRODUCTS_MAX, "product");
        let mut items = Vec::with_capacity(section.product_retailer_ids.len());
        for (j, id) in section.product_retailer_ids.iter().enumerate() {
            if id.is_empty() {
                c.item("product_retailer_ids", j).fail("", "must not be empty");
            }
            items.push(ProductItem { product_retailer_id: id });
        }
        sections.push(ProductSection { title: &section.title, product_items: items });
    }
    ProductListAction { catalog_id: &list.catalog_id, sections }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn interactive_buttons_match_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header("Delivery slot"),
            body: "Your parcel can arrive tomorrow. Which slot suits you?".into(),
            footer: "Reply within 24 h".into(),
            action: Some(buttons(vec![
                button("slot_am", "Morning"),
                button("slot_pm", "Afternoon"),
                button("slot_later", "Another day"),
            ])),
        }));
        assert_eq!(body(&req), fixture("send-interactive-button-request"));
    }

    #[test]
    fn interactive_list_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header("Help centre"),
            body: "Pick a topic and we will route you to the right team.".into(),
            footer: "Example Outfitters".into(),
            action: Some(Action::List(pb::ListAction {
                button: "Choose topic".into(),
                sections: vec![
                    section(
                        "Orders",
                        vec![
                            pb::ListRow {
                                description: "Where is my parcel?".into(),
                                ..row("ord_status", "Order status")
                            },
                            row("ord_cancel", "Cancel an order"),
                        ],
                    ),
                    section(
                        "Returns",
                        vec![
                            pb::ListRow {
                                description: "Free within 30 days".into(),
                                ..row("ret_start", "Start a return")
                            },
                            row("ret_refund", "Refund status"),
                        ],
                    ),
                ],
            })),
        }));
        assert_eq!(body(&req), fixture("send-interactive-list-request"));
    }

    #[test]
    fn interactive_cta_url_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: Some(pb::InteractiveHeader {
                kind: Some(HeaderKind::Image(pb::MediaSource {
                    source: Some(Source::Link("https://cdn.example.com/banners/summer.png".into())),
                })),
            }),
            body: "Your return label is ready.".into(),
            footer: "Link valid for 7 days".into(),
            action: Some(Action::CtaUrl(pb::CtaUrlAction {
                display_text: "Get label".into(),
                url: "https://shop.example.com/returns/label?r=8F3K2".into(),
            })),
        }));
        assert_eq!(body(&req), fixture("send-interactive-cta-url-request"));
    }

    #[test]
    fn interactive_flow_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header("Quick survey"),
            body: "Tell us how your delivery went. It takes 30 seconds.".into(),
            footer: "Optional".into(),
            action: Some(Action::Flow(pb::FlowAction {
                flow: Some(Flow::FlowId("1837465501928374".into())),
                flow_cta: "Open survey".into(),
                flow_token: "srv-7f2c1a".into(),
                mode: pb::FlowMode::Unspecified.into(),
                flow_action: pb::FlowActionType::Navigate.into(),
                screen: "RATE_DELIVERY".into(),
                data: Some(object(vec![("order_id", string("8F3K2"))])),
            })),
        }));
        assert_eq!(body(&req), fixture("send-interactive-flow-request"));
    }

    #[test]
    fn interactive_location_request_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            body: "Share your location so we can find the nearest pickup point.".into(),
            action: Some(Action::LocationRequest(pb::LocationRequestAction {})),
            ..Default::default()
        }));
        assert_eq!(body(&req), fixture("send-interactive-location-request-request"));
    }

    #[test]
    fn interactive_product_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            body: "Back in stock:".into(),
            footer: "Limited sizes".into(),
            action: Some(Action::Product(pb::ProductAction {
                catalog_id: "367025965434465".into(),
                product_retailer_id: "JKT-NAVY-M".into(),
            })),
            ..Default::default()
        }));
        assert_eq!(body(&req), fixture("send-interactive-product-request"));
    }

    #[test]
    fn interactive_product_list_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header("Autumn picks"),
            body: "Hand-picked for you".into(),
            footer: "Prices include VAT".into(),
            action: Some(Action::ProductList(pb::ProductListAction {
                catalog_id: "367025965434465".into(),
                sections: vec![
                    pb::ProductSection {
                        title: "Jackets".into(),
                        product_retailer_ids: vec!["JKT-NAVY-M".into(), "JKT-OLIVE-M".into()],
                    },
                    pb::ProductSection { title: "Scarves".into(), product_retailer_ids: vec!["SCF-WOOL-01".into()] },
                ],
            })),
        }));
        assert_eq!(body(&req), fixture("send-interactive-product-list-request"));
    }

    #[test]
    fn interactive_needs_an_action_and_a_body() {
        let req = send(Kind::Interactive(pb::Interactive::default()));
        assert_eq!(fields(&req), ["content.interactive.action", "content.interactive.body"]);
    }

    #[test]
    fn interactive_body_limits_depend_on_the_kind() {
        let with_body = |body: String, action| send(Kind::Interactive(pb::Interactive { body, ..interactive(action) }));
        let two = || buttons(vec![button("a", "A"), button("b", "B")]);
        let one_row = || list(vec![section("", vec![row("r", "Row")])]);
        assert_eq!(fields(&with_body("b".repeat(1025), two())), ["content.interactive.body"]);
        assert!(send_message(&with_body("b".repeat(1024), two())).is_ok());
        assert!(send_message(&with_body("b".repeat(4096), one_row())).is_ok());
        assert_eq!(fields(&with_body("b".repeat(4097), one_row())), ["content.interactive.body"]);
        let location = || Action::LocationRequest(pb::LocationRequestAction {});
        assert_eq!(fields(&with_body(String::new(), location())), ["content.interactive.body"]);
        assert_eq!(fields(&with_body("b".repeat(1025), location())), ["content.interactive.body"]);
    }

    #[test]
    fn header_text_and_footer_are_at_most_60_characters() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header(&"h".repeat(61)),
            footer: "f".repeat(61),
            ..interactive(buttons(vec![button("a", "A")]))
        }));
        assert_eq!(fields(&req), ["content.interactive.header.text", "content.interactive.footer"]);
        let req = send(Kind::Interactive(pb::Interactive {
            header: text_header(""),
            ..interactive(buttons(vec![button("a", "A")]))
        }));
        assert_eq!(fields(&req), ["content.interactive.header.text"]);
    }

    #[test]
    fn media_headers_are_validated() {
        let req = send(Kind::Interactive(pb::Interactive {
            header: Some(pb::InteractiveHeader { kind: Some(HeaderKind::Document(pb::MediaSource { source: None })) }),
            ..interactive(buttons(vec![button("a", "A")]))
        }));
        assert_eq!(fields(&req), ["content.interactive.header.document"]);
        let req = send(Kind::Interactive(pb::Interactive {
            header: Some(pb::InteractiveHeader {
                kind: Some(HeaderKind::Video(pb::MediaSource { source: Some(Source::Id("88".into())) })),
            }),
            ..interactive(buttons(vec![button("a", "A")]))
        }));
        assert_eq!(body(&req)["interactive"]["header"], json!({"type": "video", "video": {"id": "88"}}));
    }

    #[test]
    fn headers_follow_the_kind() {
        let image = || {
            Some(pb::InteractiveHeader {
                kind: Some(HeaderKind::Image(pb::MediaSource { source: Some(Source::Id("1".into())) })),
            })
        };
        let with_header = |header, action| send(Kind::Interactive(pb::Interactive { header, ..interactive(action) }));
        let one_row = || list(vec![section("", vec![row("r", "Row")])]);
        let product =
            || Action::Product(pb::ProductAction { catalog_id: "1".into(), product_retailer_id: "SKU".into() });
        let location = || Action::LocationRequest(pb::LocationRequestAction {});

        assert_eq!(fields(&with_header(image(), one_row())), ["content.interactive.header"]);
        assert_eq!(fields(&with_header(image(), products(&[("A", 1)]))), ["content.interactive.header"]);
        assert_eq!(fields(&with_header(None, products(&[("A", 1)]))), ["content.interactive.header"]);
        assert_eq!(fields(&with_header(text_header("Hi"), product())), ["content.interactive.header"]);
        assert_eq!(fields(&with_header(text_header("Hi"), location())), ["content.interactive.header"]);
        assert!(violation(&with_header(image(), one_row()), "content.interactive.header").contains("text"));
        // An empty header message counts as no header.
        let empty = Some(pb::InteractiveHeader { kind: None });
        assert!(body(&with_header(empty, location()))["interactive"].get("header").is_none());
    }

    #[test]
    fn product_body_is_optional() {
        let req = send(Kind::Interactive(pb::Interactive {
            body: String::new(),
            ..interactive(Action::Product(pb::ProductAction {
                catalog_id: "1".into(),
                product_retailer_id: "SKU".into(),
            }))
        }));
        let body = body(&req);
        assert!(body["interactive"].get("body").is_none());
        let req = send(Kind::Interactive(interactive(Action::Product(pb::ProductAction::default()))));
        assert_eq!(
            fields(&req),
            ["content.interactive.product.catalog_id", "content.interactive.product.product_retailer_id"]
        );
    }

    #[test]
    fn reply_buttons_are_one_to_three() {
        let req = |list| send(Kind::Interactive(interactive(buttons(list))));
        assert_eq!(fields(&req(vec![])), ["content.interactive.buttons.buttons"]);
        let four = (0..4).map(|i| button(&format!("id{i}"), &format!("T{i}"))).collect();
        assert_eq!(fields(&req(four)), ["content.interactive.buttons.buttons"]);
    }

    #[test]
    fn reply_button_titles_and_ids_are_checked() {
        let req = send(Kind::Interactive(interactive(buttons(vec![
            button("", ""),
            button("ok ", &"t".repeat(21)),
            button(&"i".repeat(257), "Dup"),
        ]))));
        assert_eq!(
            fields(&req),
            [
                "content.interactive.buttons.buttons[0].id",
                "content.interactive.buttons.buttons[0].title",
                "content.interactive.buttons.buttons[1].id",
                "content.interactive.buttons.buttons[1].title",
                "content.interactive.buttons.buttons[2].id",
            ]
        );
        let req = send(Kind::Interactive(interactive(buttons(vec![button("a", "Dup"), button("a", "Dup")]))));
        assert_eq!(
            fields(&req),
            ["content.interactive.buttons.buttons[1].id", "content.interactive.buttons.buttons[1].title"]
        );
        assert!(violation(&req, "content.interactive.buttons.buttons[1].title").contains("buttons[0].title"));
        // 20 characters, counted as characters.
        let req = send(Kind::Interactive(interactive(buttons(vec![button("a", &"é".repeat(20))]))));
        assert!(send_message(&req).is_ok());
    }

    #[test]
    fn list_limits() {
        let req = |action| send(Kind::Interactive(interactive(action)));
        assert_eq!(fields(&req(list(vec![]))), ["content.interactive.list.sections"]);

        let label =
            Action::List(pb::ListAction { button: "b".repeat(21), sections: vec![section("", vec![row("r", "R")])] });
        assert_eq!(fields(&req(label)), ["content.interactive.list.button"]);
        let label =
            Action::List(pb::ListAction { button: String::new(), sections: vec![section("", vec![row("r", "R")])] });
        assert_eq!(fields(&req(label)), ["content.interactive.list.button"]);

        let eleven = (0..11).map(|i| section(&format!("S{i}"), vec![row(&format!("r{i}"), "R")])).collect();
        assert_eq!(
            fields(&req(list(eleven))),
            ["content.interactive.list.sections", "content.interactive.list.sections"]
        );

        let rows = (0..11).map(|i| row(&format!("r{i}"), "R")).collect();
        assert_eq!(
            fields(&req(list(vec![section("", rows)]))),
            ["content.interactive.list.sections", "content.interactive.list.sections[0].rows"]
        );

        let sections = vec![section("", vec![row("r", "R")]), section(&"s".repeat(25), vec![])];
        assert_eq!(
            fields(&req(list(sections))),
            [
                "content.interactive.list.sections[0].title",
                "content.interactive.list.sections[1].title",
                "content.interactive.list.sections[1].rows",
            ]
        );
    }

    #[test]
    fn list_rows_are_checked() {
        let long = pb::ListRow { id: "i".repeat(201), title: "t".repeat(25), description: "d".repeat(73) };
        let sections =
            vec![section("A", vec![row("dup", "R"), long]), section("B", vec![row("dup", "R"), row("", "")])];
        let req = send(Kind::Interactive(interactive(list(sections))));
        assert_eq!(
            fields(&req),
            [
                "content.interactive.list.sections[0].rows[1].id",
                "content.interactive.list.sections[0].rows[1].title",
                "content.interactive.list.sections[0].rows[1].description",
                "content.interactive.list.sections[1].rows[0].id",
                "content.interactive.list.sections[1].rows[1].id",
                "content.interactive.list.sections[1].rows[1].title",
            ]
        );
        assert!(violation(&req, "content.interactive.list.sections[1].rows[0].id").contains("sections[0].rows[0].id"));
    }

    #[test]
    fn single_section_title_is_optional_and_omitted() {
        let req = send(Kind::Interactive(interactive(list(vec![section("", vec![row("r", "R")])]))));
        assert_eq!(
            body(&req)["interactive"]["action"],
            json!({"button": "Choose", "sections": [{"rows": [{"id": "r", "title": "R"}]}]})
        );
    }

    #[test]
    fn cta_url_limits() {
        let cta = |display_text: &str, url: &str| {
            send(Kind::Interactive(interactive(Action::CtaUrl(pb::CtaUrlAction {
                display_text: display_text.into(),
                url: url.into(),
            }))))
        };
        assert_eq!(
            fields(&cta("", "www.example.com")),
            ["content.interactive.cta_url.display_text", "content.interactive.cta_url.url"]
        );
        assert_eq!(
            fields(&cta(&"d".repeat(21), "")),
            ["content.interactive.cta_url.display_text", "content.interactive.cta_url.url"]
        );
        assert!(send_message(&cta(&"d".repeat(20), "http://example.com")).is_ok());
    }

    #[test]
    fn flow_needs_a_flow_and_a_short_cta() {
        let req = |flow| send(Kind::Interactive(interactive(Action::Flow(flow))));
        let none = pb::FlowAction { flow: None, flow_cta: String::new(), ..flow() };
        assert_eq!(fields(&req(none)), ["content.interactive.flow", "content.interactive.flow.flow_cta"]);
        let empty_id = pb::FlowAction { flow: Some(Flow::FlowId(String::new())), ..flow() };
        assert_eq!(fields(&req(empty_id)), ["content.interactive.flow.flow_id"]);
        let long = pb::FlowAction { flow_cta: "c".repeat(21), ..flow() };
        assert_eq!(fields(&req(long)), ["content.interactive.flow.flow_cta"]);
        let emoji = pb::FlowAction { flow_cta: "Open 🚀".into(), ..flow() };
        assert_eq!(fields(&req(emoji)), ["content.interactive.flow.flow_cta"]);
        let bad_enums = pb::FlowAction { mode: 7, flow_action: -1, ..flow() };
        assert_eq!(fields(&req(bad_enums)), ["content.interactive.flow.mode", "content.interactive.flow.flow_action"]);
    }

    #[test]
    fn flow_sends_defaults_only_when_asked() {
        let req = |flow| send(Kind::Interactive(interactive(Action::Flow(flow))));
        assert_eq!(
            body(&req(flow()))["interactive"]["action"],
            json!({"name": "flow", "parameters": {
                "flow_message_version": "3", "flow_id": "1837465501928374", "flow_cta": "Open"}})
        );
        let explicit = pb::FlowAction {
            flow: Some(Flow::FlowName("survey".into())),
            mode: pb::FlowMode::Draft.into(),
            flow_action: pb::FlowActionType::DataExchange.into(),
            ..flow()
        };
        assert_eq!(
            body(&req(explicit))["interactive"]["action"]["parameters"],
            json!({"flow_message_version": "3", "flow_name": "survey", "flow_cta": "Open",
                   "mode": "draft", "flow_action": "data_exchange"})
        );
        let published = pb::FlowAction { mode: pb::FlowMode::Published.into(), screen: "START".into(), ..flow() };
        let parameters = &body(&req(published))["interactive"]["action"]["parameters"];
        assert_eq!(parameters["mode"], "published");
        assert_eq!(parameters["flow_action_payload"], json!({"screen": "START"}));
    }

    #[test]
    fn flow_data_must_not_be_empty_and_needs_a_screen() {
        let req = |flow| send(Kind::Interactive(interactive(Action::Flow(flow))));
        let empty = pb::FlowAction { data: Some(object(vec![])), screen: "S".into(), ..flow() };
        assert_eq!(fields(&req(empty)), ["content.interactive.flow.data"]);
        let screenless = pb::FlowAction { data: Some(object(vec![("a", string("b"))])), ..flow() };
        assert_eq!(fields(&req(screenless)), ["content.interactive.flow.screen"]);
        let infinite =
            pb::FlowAction { data: Some(object(vec![("n", number(f64::INFINITY))])), screen: "S".into(), ..flow() };
        assert_eq!(fields(&req(infinite)), ["content.interactive.flow.data.n"]);
    }

    #[test]
    fn product_list_limits() {
        let req =
            |action| send(Kind::Interactive(pb::Interactive { header: text_header("Picks"), ..interactive(action) }));
        assert!(send_message(&req(products(&[("A", 15), ("B", 15)]))).is_ok());
        assert_eq!(fields(&req(products(&[("A", 15), ("B", 16)]))), ["content.interactive.product_list.sections"]);
        assert_eq!(fields(&req(products(&[]))), ["content.interactive.product_list.sections"]);
        let eleven: Vec<(&str, usize)> =
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"].map(|t| (t, 1)).to_vec();
        assert_eq!(fields(&req(products(&eleven))), ["content.interactive.product_list.sections"]);
        assert_eq!(
            fields(&req(products(&[("", 1), ("B", 0)]))),
            [
                "content.interactive.product_list.sections[0].title",
                "content.interactive.product_list.sections[1].product_retailer_ids",
            ]
        );
        let action = Action::ProductList(pb::ProductListAction {
            catalog_id: String::new(),
            sections: vec![pb::ProductSection {
                title: "A".into(),
                product_retailer_ids: vec!["x".into(), String::new()],
            }],
        });
        assert_eq!(
            fields(&req(action)),
            [
                "content.interactive.product_list.catalog_id",
                "content.interactive.product_list.sections[0].product_retailer_ids[1]",
            ]
        );
    }
}
