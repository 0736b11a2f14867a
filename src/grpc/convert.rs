//! Proto requests → Graph API JSON bodies, as pure functions.
//!
//! Every send is validated and converted in one walk over the request: each
//! converter appends what it finds wrong to a shared list under the proto field
//! path (`content.interactive.buttons.buttons[3].title`), and the body is only
//! returned when that list is empty. So a request is either turned into the
//! exact JSON Meta documents (REFERENCE.md §2, §4.6) or rejected with *every*
//! violation at once, before anything is sent. Limits are those of
//! REFERENCE.md §7.6; where Meta's sources disagree the stricter one is used.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::FieldViolation;
use crate::pb;
use crate::pb::interactive::Action;
use crate::pb::interactive_header::Kind as HeaderKind;
use crate::pb::media_source::Source;
use crate::pb::message_content::Kind;
use crate::pb::template_button_parameter::Value as ButtonValue;
use crate::pb::template_parameter::Value as ParamValue;

// === limits (REFERENCE.md §2.3, §2.4, §4.6, §7.6) ===

const TEXT_BODY_MAX: usize = 4096;
const CAPTION_MAX: usize = 1024;
const CALLBACK_DATA_MAX: usize = 512;
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
/// Loose on purpose: one emoji can be several code points (ZWJ sequences, flags, skin tones).
const EMOJI_MAX: usize = 10;
const TEMPLATE_NAME_MAX: usize = 512;
const TEMPLATE_HEADER_TEXT_MAX: usize = 60;
const TEMPLATE_BODY_TEXT_MAX: usize = 32768;
const TEMPLATE_BUTTONS_MAX: usize = 10;
const TEMPLATE_BUTTON_INDEX_MAX: u32 = 9;
const PHONE_DIGITS_MIN: usize = 8;
const PHONE_DIGITS_MAX: usize = 15;
const BSUID_MAX: usize = 256;

const RECIPIENT_FORM: &str = "a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
                              or a business-scoped user id (e.g. US.1234)";

// === public API ===

/// Where a send goes: the two recipient forms the Cloud API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number; holds its digits only (no `+` or separators).
    Phone(String),
    /// A business-scoped user id (BSUID) such as `US.25718394402918375519`,
    /// or a parent BSUID such as `US.ENT.1234`.
    UserId(String),
}

/// Normalises a recipient.
///
/// Accepts an E.164 phone number (an optional leading `+`; spaces, dashes,
/// parentheses and dots between digits; 8 to 15 digits, not starting with 0)
/// or a BSUID (`CC.` + letters and digits, at most 256 characters, with an
/// optional `ENT.` for parent ids).
///
/// # Errors
///
/// Anything else, with a description of the problem suitable as a
/// [`FieldViolation`] description.
pub fn recipient(to: &str) -> Result<Recipient, String> {
    if to.is_empty() {
        return Err(format!("is required: {RECIPIENT_FORM}"));
    }
    if let Some(digits) = phone_digits(to) {
        return Ok(Recipient::Phone(digits));
    }
    if is_bsuid(to) {
        return Ok(Recipient::UserId(to.to_owned()));
    }
    Err(format!("must be {RECIPIENT_FORM}, got {}", quoted(to)))
}

/// Whether a send is free-form, so only allowed inside the 24 h customer
/// service window (REFERENCE.md §2.6, §7.1).
///
/// Everything except a template is free-form, reactions included. Content
/// without a kind counts as free-form too (the stricter answer); it fails
/// validation anyway.
pub fn is_free_form(content: &pb::MessageContent) -> bool {
    !matches!(content.kind, Some(Kind::Template(_)))
}

/// The Graph JSON body of `POST /{phone_number_id}/messages` for a send.
///
/// # Errors
///
/// Every violation found, with its proto field path, when the request is invalid.
pub fn send_message_body(req: &pb::SendMessageRequest) -> Result<Value, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut c = Checker::root(&mut violations);
    let mut body = Obj::new().set("messaging_product", "whatsapp").set("recipient_type", "individual");

    match recipient(&req.to) {
        // Meta echoes `to` back as `contacts[].input`, so send it as given.
        Ok(Recipient::Phone(_)) => body = body.set("to", req.to.as_str()),
        Ok(Recipient::UserId(id)) => body = body.set("recipient", id),
        Err(description) => c.fail("to", description),
    }
    if !req.reply_to_message_id.is_empty() {
        body = body.set("context", Obj::new().set("message_id", req.reply_to_message_id.as_str()));
    }
    c.length("biz_opaque_callback_data", &req.biz_opaque_callback_data, 0, CALLBACK_DATA_MAX);
    body = body.non_empty("biz_opaque_callback_data", &req.biz_opaque_callback_data);

    match req.content.as_ref().and_then(|content| content.kind.as_ref()) {
        None => c.fail(
            "content",
            "is required: set exactly one kind (text, image, audio, video, document, sticker, \
             location, contacts, interactive, reaction or template)",
        ),
        Some(kind) => {
            let (kind, object) = content(&mut c.at("content"), kind);
            body = body.set("type", kind).set(kind, object);
        }
    }

    if violations.is_empty() { Ok(body.build()) } else { Err(violations) }
}

/// The Graph JSON body for mark-read, with `typing_indicator: {"type":"text"}`
/// when the request asks for it (REFERENCE.md §2.5).
///
/// # Errors
///
/// A violation on `message_id` when it is empty.
pub fn mark_read_body(req: &pb::MarkReadRequest) -> Result<Value, Vec<FieldViolation>> {
    if req.message_id.is_empty() {
        return Err(vec![FieldViolation::new("message_id", "is required: the wamid of a received message")]);
    }
    let mut body = Obj::new()
        .set("messaging_product", "whatsapp")
        .set("status", "read")
        .set("message_id", req.message_id.as_str());
    if req.typing_indicator {
        body = body.set("typing_indicator", Obj::new().set("type", "text"));
    }
    Ok(body.build())
}

// === impl Checker ===

/// Collects violations under a field-path prefix; `at` and `item` descend.
pub(super) struct Checker<'v> {
    prefix: String,
    violations: &'v mut Vec<FieldViolation>,
}

impl<'v> Checker<'v> {
    pub(super) fn root(violations: &'v mut Vec<FieldViolation>) -> Self {
        Self { prefix: String::new(), violations }
    }

    /// The full path of `field` (which may itself be dotted); `""` is this node.
    fn path(&self, field: &str) -> String {
        match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        }
    }

    /// A checker for the sub-message `field`.
    pub(super) fn at(&mut self, field: &str) -> Checker<'_> {
        Checker { prefix: self.path(field), violations: &mut *self.violations }
    }

    /// A checker for element `index` of the repeated `field` (`""`: this node).
    pub(super) fn item(&mut self, field: &str, index: usize) -> Checker<'_> {
        Checker { prefix: format!("{}[{index}]", self.path(field)), violations: &mut *self.violations }
    }

    pub(super) fn fail(&mut self, field: &str, description: impl Into<String>) {
        let field = self.path(field);
        self.violations.push(FieldViolation::new(field, description));
    }

    /// Flags an empty required string; returns whether it was set.
    pub(super) fn required(&mut self, field: &str, value: &str) -> bool {
        if value.is_empty() {
            self.fail(field, "is required");
        }
        !value.is_empty()
    }

    /// Checks a string's length in characters (Meta counts characters, not bytes);
    /// `min == 0` makes it optional.
    pub(super) fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n == 0 && min > 0 {
            self.fail(field, format!("is required ({min} to {max} characters)"));
        } else if n < min {
            self.fail(field, format!("must be {min} to {max} characters, got {n}"));
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters, got {n}"));
        }
    }

    /// Checks how many elements a repeated field has.
    pub(super) fn count(&mut self, field: &str, n: usize, min: usize, max: usize, noun: &str) {
        if n < min {
            self.fail(field, format!("needs at least {min} {noun}(s), got {n}"));
        } else if n > max {
            self.fail(field, format!("must hold at most {max} {noun}(s), got {n}"));
        }
    }

    /// Checks that a required string is an absolute http(s) URL.
    pub(super) fn http_url(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.fail(field, "is required: an http(s) URL");
        } else if !is_http_url(value) {
            self.fail(field, format!("must be an absolute http(s) URL, got {}", quoted(value)));
        }
    }

    /// Flags a value that repeats an earlier one; `seen` maps values to where they were first seen.
    fn unique<'a>(&mut self, field: &str, value: &'a str, at: String, seen: &mut HashMap<&'a str, String>) {
        if value.is_empty() {
            return;
        }
        match seen.get(value) {
            Some(first) => self.fail(field, format!("must be unique, {first} has the same value")),
            None => {
                seen.insert(value, at);
            }
        }
    }
}

// === impl Obj ===

/// A small builder for JSON objects that leaves unset optional fields out.
pub(super) struct Obj(Map<String, Value>);

impl Obj {
    pub(super) fn new() -> Self {
        Self(Map::new())
    }

    pub(super) fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `key` only when `value` is not empty (proto3 has no unset strings).
    pub(super) fn non_empty(self, key: &str, value: &str) -> Self {
        if value.is_empty() { self } else { self.set(key, value) }
    }

    /// Sets `key: true` only when `on` (the Graph default is false).
    pub(super) fn flag(self, key: &str, on: bool) -> Self {
        if on { self.set(key, true) } else { self }
    }

    pub(super) fn maybe(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn build(self) -> Value {
        Value::Object(self.0)
    }
}

impl From<Obj> for Value {
    fn from(obj: Obj) -> Self {
        obj.build()
    }
}

// === message kinds ===

/// The Graph `type` and its object for one content kind.
fn content(c: &mut Checker<'_>, kind: &Kind) -> (&'static str, Value) {
    match kind {
        Kind::Text(text) => ("text", text_message(&mut c.at("text"), text)),
        Kind::Image(image) => {
            let mut c = c.at("image");
            c.length("caption", &image.caption, 0, CAPTION_MAX);
            let object = media(&mut c, "media", image.media.as_ref()).non_empty("caption", &image.caption);
            ("image", object.build())
        }
        Kind::Audio(audio) => {
            let object = media(&mut c.at("audio"), "media", audio.media.as_ref());
            ("audio", object.flag("voice", audio.voice).build())
        }
        Kind::Video(video) => {
            let mut c = c.at("video");
            c.length("caption", &video.caption, 0, CAPTION_MAX);
            let object = media(&mut c, "media", video.media.as_ref()).non_empty("caption", &video.caption);
            ("video", object.build())
        }
        Kind::Document(document) => {
            let mut c = c.at("document");
            c.length("caption", &document.caption, 0, CAPTION_MAX);
            let object = media(&mut c, "media", document.media.as_ref())
                .non_empty("caption", &document.caption)
                .non_empty("filename", &document.filename);
            ("document", object.build())
        }
        Kind::Sticker(sticker) => ("sticker", media(&mut c.at("sticker"), "media", sticker.media.as_ref()).build()),
        Kind::Location(location) => ("location", location_object(&mut c.at("location"), location)),
        Kind::Contacts(contacts) => ("contacts", contacts_array(&mut c.at("contacts"), contacts)),
        Kind::Interactive(interactive) => ("interactive", interactive_object(&mut c.at("interactive"), interactive)),
        Kind::Reaction(reaction) => ("reaction", reaction_object(&mut c.at("reaction"), reaction)),
        Kind::Template(template) => ("template", template_object(&mut c.at("template"), template)),
    }
}

fn text_message(c: &mut Checker<'_>, text: &pb::Text) -> Value {
    c.length("body", &text.body, 1, TEXT_BODY_MAX);
    Obj::new().set("body", text.body.as_str()).flag("preview_url", text.preview_url).build()
}

/// `{id}` or `{link}` for the media source in `field`.
fn media(c: &mut Checker<'_>, field: &str, source: Option<&pb::MediaSource>) -> Obj {
    let mut c = c.at(field);
    match source.and_then(|source| source.source.as_ref()) {
        None => {
            c.fail("", "is required: an id (from MediaService.UploadMedia) or an http(s) link");
            Obj::new()
        }
        Some(Source::Id(id)) => {
            c.required("id", id);
            Obj::new().set("id", id.as_str())
        }
        Some(Source::Link(link)) => {
            c.http_url("link", link);
            Obj::new().set("link", link.as_str())
        }
    }
}

/// A location pin; latitude and longitude go out as JSON numbers.
fn location_object(c: &mut Checker<'_>, location: &pb::Location) -> Value {
    coordinate(c, "latitude", location.latitude, 90.0);
    coordinate(c, "longitude", location.longitude, 180.0);
    Obj::new()
        .set("latitude", finite(location.latitude))
        .set("longitude", finite(location.longitude))
        .non_empty("name", &location.name)
        .non_empty("address", &location.address)
        .build()
}

fn coordinate(c: &mut Checker<'_>, field: &str, degrees: f64, bound: f64) {
    if !degrees.is_finite() || degrees.abs() > bound {
        c.fail(field, format!("must be a number of degrees from -{bound} to {bound}, got {degrees}"));
    }
}

/// A JSON number; non-finite values (already reported) become null instead of panicking.
fn finite(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn contacts_array(c: &mut Checker<'_>, contacts: &pb::Contacts) -> Value {
    c.count("contacts", contacts.contacts.len(), 1, usize::MAX, "contact card");
    let cards = contacts.contacts.iter().enumerate().map(|(i, card)| contact_card(&mut c.item("contacts", i), card));
    Value::Array(cards.collect())
}

fn contact_card(c: &mut Checker<'_>, card: &pb::ContactCard) -> Value {
    let default_name = pb::ContactName::default();
    let name = card.name.as_ref().unwrap_or(&default_name);
    c.required("name.formatted_name", &name.formatted_name);
    if !card.birthday.is_empty() && !is_date(&card.birthday) {
        c.fail("birthday", format!("must be a date as YYYY-MM-DD, got {}", quoted(&card.birthday)));
    }

    let name = Obj::new()
        .non_empty("formatted_name", &name.formatted_name)
        .non_empty("first_name", &name.first_name)
        .non_empty("last_name", &name.last_name)
        .non_empty("middle_name", &name.middle_name)
        .non_empty("prefix", &name.prefix)
        .non_empty("suffix", &name.suffix);
    let phones = card.phones.iter().map(|p| {
        Obj::new().non_empty("phone", &p.phone).non_empty("type", &p.r#type).non_empty("wa_id", &p.wa_id).build()
    });
    let emails =
        card.emails.iter().map(|e| Obj::new().non_empty("email", &e.email).non_empty("type", &e.r#type).build());
    let urls = card.urls.iter().map(|u| Obj::new().non_empty("url", &u.url).non_empty("type", &u.r#type).build());
    let addresses = card.addresses.iter().map(|a| {
        Obj::new()
            .non_empty("street", &a.street)
            .non_empty("city", &a.city)
            .non_empty("state", &a.state)
            .non_empty("zip", &a.zip)
            .non_empty("country", &a.country)
            .non_empty("country_code", &a.country_code)
            .non_empty("type", &a.r#type)
            .build()
    });
    let org = card.org.as_ref().map(|o| {
        Obj::new().non_empty("company", &o.company).non_empty("department", &o.department).non_empty("title", &o.title)
    });

    Obj::new()
        .set("name", name)
        .maybe("phones", non_empty_array(phones))
        .maybe("emails", non_empty_array(emails))
        .maybe("urls", non_empty_array(urls))
        .maybe("addresses", non_empty_array(addresses))
        .maybe("org", org.filter(|org| !org.is_empty()))
        .non_empty("birthday", &card.birthday)
        .build()
}

fn non_empty_array(items: impl Iterator<Item = Value>) -> Option<Value> {
    let items: Vec<Value> = items.collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

fn reaction_object(c: &mut Checker<'_>, reaction: &pb::Reaction) -> Value {
    c.required("message_id", &reaction.message_id);
    c.length("emoji", &reaction.emoji, 0, EMOJI_MAX);
    // An empty emoji is sent as "": that is how a reaction is removed.
    Obj::new().set("message_id", reaction.message_id.as_str()).set("emoji", reaction.emoji.as_str()).build()
}

// === interactive ===

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
    kind: &'static str,
    /// How the kind is named in messages.
    label: &'static str,
    header: HeaderRule,
    body_required: bool,
    body_max: usize,
}

impl Shape {
    const fn new(kind: &'static str, label: &'static str, header: HeaderRule) -> Self {
        Self { kind, label, header, body_required: true, body_max: INTERACTIVE_BODY_MAX }
    }
}

fn interactive_object(c: &mut Checker<'_>, interactive: &pb::Interactive) -> Value {
    let (shape, action) = match &interactive.action {
        None => {
            c.fail(
                "action",
                "is required: one of buttons, list, cta_url, flow, location_request, \
                 product or product_list",
            );
            (Shape::new("", "interactive", HeaderRule::Any), Value::Null)
        }
        Some(Action::Buttons(buttons)) => {
            (Shape::new("button", "reply-button", HeaderRule::Any), reply_buttons(&mut c.at("buttons"), buttons))
        }
        Some(Action::List(list)) => (
            Shape { body_max: LIST_BODY_MAX, ..Shape::new("list", "list", HeaderRule::TextOnly) },
            list_action(&mut c.at("list"), list),
        ),
        Some(Action::CtaUrl(cta)) => {
            (Shape::new("cta_url", "CTA URL", HeaderRule::Any), cta_url_action(&mut c.at("cta_url"), cta))
        }
        Some(Action::Flow(flow)) => (Shape::new("flow", "flow", HeaderRule::Any), flow_action(&mut c.at("flow"), flow)),
        Some(Action::LocationRequest(_)) => (
            Shape::new("location_request_message", "location request", HeaderRule::None),
            Obj::new().set("name", "send_location").build(),
        ),
        Some(Action::Product(product)) => (
            Shape { body_required: false, ..Shape::new("product", "product", HeaderRule::None) },
            product_action(&mut c.at("product"), product),
        ),
        Some(Action::ProductList(list)) => (
            Shape::new("product_list", "product list", HeaderRule::TextRequired),
            product_list_action(&mut c.at("product_list"), list),
        ),
    };

    let header = interactive_header(c, interactive.header.as_ref(), &shape);
    c.length("body", &interactive.body, usize::from(shape.body_required), shape.body_max);
    c.length("footer", &interactive.footer, 0, FOOTER_MAX);

    let text = |text: &str| (!text.is_empty()).then(|| Obj::new().set("text", text));
    Obj::new()
        .set("type", shape.kind)
        .maybe("header", header)
        .maybe("body", text(&interactive.body))
        .maybe("footer", text(&interactive.footer))
        .set("action", action)
        .build()
}

fn interactive_header(c: &mut Checker<'_>, header: Option<&pb::InteractiveHeader>, shape: &Shape) -> Option<Value> {
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
    let header = match kind? {
        HeaderKind::Text(text) => {
            c.length("text", text, 1, HEADER_TEXT_MAX);
            Obj::new().set("type", "text").set("text", text.as_str())
        }
        HeaderKind::Image(source) => Obj::new().set("type", "image").set("image", media(&mut c, "image", Some(source))),
        HeaderKind::Video(source) => Obj::new().set("type", "video").set("video", media(&mut c, "video", Some(source))),
        HeaderKind::Document(source) => {
            Obj::new().set("type", "document").set("document", media(&mut c, "document", Some(source)))
        }
    };
    Some(header.build())
}

fn reply_buttons(c: &mut Checker<'_>, buttons: &pb::ReplyButtons) -> Value {
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
        let reply = Obj::new().set("id", button.id.as_str()).set("title", button.title.as_str());
        out.push(Obj::new().set("type", "reply").set("reply", reply).build());
    }
    Obj::new().set("buttons", out).build()
}

fn list_action(c: &mut Checker<'_>, list: &pb::ListAction) -> Value {
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
            rows.push(
                Obj::new()
                    .set("id", row.id.as_str())
                    .set("title", row.title.as_str())
                    .non_empty("description", &row.description)
                    .build(),
            );
        }
        sections.push(Obj::new().non_empty("title", &section.title).set("rows", rows).build());
    }
    Obj::new().set("button", list.button.as_str()).set("sections", sections).build()
}

fn cta_url_action(c: &mut Checker<'_>, cta: &pb::CtaUrlAction) -> Value {
    c.length("display_text", &cta.display_text, 1, CTA_TEXT_MAX);
    c.http_url("url", &cta.url);
    let parameters = Obj::new().set("display_text", cta.display_text.as_str()).set("url", cta.url.as_str());
    Obj::new().set("name", "cta_url").set("parameters", parameters).build()
}

fn flow_action(c: &mut Checker<'_>, flow: &pb::FlowAction) -> Value {
    use pb::flow_action::Flow;

    let mut parameters = Obj::new().set("flow_message_version", "3");
    match &flow.flow {
        None => c.fail("", "needs a flow_id or a flow_name"),
        Some(Flow::FlowId(id)) => {
            c.required("flow_id", id);
            parameters = parameters.set("flow_id", id.as_str());
        }
        Some(Flow::FlowName(name)) => {
            c.required("flow_name", name);
            parameters = parameters.set("flow_name", name.as_str());
        }
    }
    c.length("flow_cta", &flow.flow_cta, 1, FLOW_CTA_MAX);
    if flow.flow_cta.chars().any(is_emoji) {
        c.fail("flow_cta", "must not contain emoji");
    }
    parameters = parameters.set("flow_cta", flow.flow_cta.as_str()).non_empty("flow_token", &flow.flow_token);

    // Meta's defaults (published, navigate) apply when unset, so send only explicit choices.
    match pb::FlowMode::try_from(flow.mode) {
        Ok(pb::FlowMode::Unspecified) => {}
        Ok(pb::FlowMode::Published) => parameters = parameters.set("mode", "published"),
        Ok(pb::FlowMode::Draft) => parameters = parameters.set("mode", "draft"),
        Err(_) => c.fail("mode", format!("has the unknown value {}", flow.mode)),
    }
    match pb::FlowActionType::try_from(flow.flow_action) {
        Ok(pb::FlowActionType::Unspecified) => {}
        Ok(pb::FlowActionType::Navigate) => parameters = parameters.set("flow_action", "navigate"),
        Ok(pb::FlowActionType::DataExchange) => parameters = parameters.set("flow_action", "data_exchange"),
        Err(_) => c.fail("flow_action", format!("has the unknown value {}", flow.flow_action)),
    }

    let data = flow.data.as_ref().map(|data| {
        if data.fields.is_empty() {
            c.fail("data", "must not be empty when set; leave it unset instead");
        }
        struct_json(&mut c.at("data"), data)
    });
    // flow_action_payload is `{screen, data?}`: data needs a screen to go to.
    if data.is_some() && flow.screen.is_empty() {
        c.fail("screen", "is required when data is set: the first screen the data is given to");
    }
    if !flow.screen.is_empty() || data.is_some() {
        let payload = Obj::new().non_empty("screen", &flow.screen).maybe("data", data);
        parameters = parameters.set("flow_action_payload", payload);
    }
    Obj::new().set("name", "flow").set("parameters", parameters).build()
}

fn product_action(c: &mut Checker<'_>, product: &pb::ProductAction) -> Value {
    c.required("catalog_id", &product.catalog_id);
    c.required("product_retailer_id", &product.product_retailer_id);
    Obj::new()
        .set("catalog_id", product.catalog_id.as_str())
        .set("product_retailer_id", product.product_retailer_id.as_str())
        .build()
}

fn product_list_action(c: &mut Checker<'_>, list: &pb::ProductListAction) -> Value {
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
            items.push(Obj::new().set("product_retailer_id", id.as_str()).build());
        }
        sections.push(Obj::new().non_empty("title", &section.title).set("product_items", items).build());
    }
    Obj::new().set("catalog_id", list.catalog_id.as_str()).set("sections", sections).build()
}

// === google.protobuf.Struct ===

/// A `google.protobuf.Struct` as the JSON object it stands for.
fn struct_json(c: &mut Checker<'_>, object: &prost_types::Struct) -> Value {
    let fields = object.fields.iter().map(|(key, value)| (key.clone(), value_json(&mut c.at(key), value)));
    Value::Object(fields.collect())
}

fn value_json(c: &mut Checker<'_>, value: &prost_types::Value) -> Value {
    use prost_types::value::Kind as K;

    match &value.kind {
        None | Some(K::NullValue(_)) => Value::Null,
        Some(K::NumberValue(n)) => number_json(c, *n),
        Some(K::StringValue(s)) => Value::String(s.clone()),
        Some(K::BoolValue(b)) => Value::Bool(*b),
        Some(K::StructValue(object)) => struct_json(c, object),
        Some(K::ListValue(list)) => {
            Value::Array(list.values.iter().enumerate().map(|(i, v)| value_json(&mut c.item("", i), v)).collect())
        }
    }
}

/// Struct numbers are doubles; whole ones go out as integers (`3`, not `3.0`),
/// as in protobuf's JSON mapping, so flows see the numbers the client meant.
fn number_json(c: &mut Checker<'_>, n: f64) -> Value {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !n.is_finite() {
        c.fail("", format!("must be a finite number, got {n}"));
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        // Exact: a whole number of magnitude ≤ 2^53 fits an i64 without loss.
        Value::from(n as i64)
    } else {
        finite(n)
    }
}

// === templates ===

/// Where a template parameter goes, which sets its limits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Header,
    Body,
}

fn template_object(c: &mut Checker<'_>, template: &pb::TemplateMessage) -> Value {
    if c.required("name", &template.name) {
        c.length("name", &template.name, 1, TEMPLATE_NAME_MAX);
        if !template.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            c.fail("name", "must hold only lowercase letters, digits and underscores");
        }
    }
    c.required("language_code", &template.language_code);

    // A template header has one placeholder or one media.
    c.count("header_parameters", template.header_parameters.len(), 0, 1, "value");
    let header = template_parameters(c, "header_parameters", &template.header_parameters, Place::Header);
    let body = template_parameters(c, "body_parameters", &template.body_parameters, Place::Body);
    check_naming(c, template);

    let mut components = Vec::new();
    if !header.is_empty() {
        components.push(Obj::new().set("type", "header").set("parameters", header).build());
    }
    if !body.is_empty() {
        components.push(Obj::new().set("type", "body").set("parameters", body).build());
    }
    components.extend(template_buttons(c, &template.buttons));

    // `deterministic` is the only policy; Meta's OpenAPI marks it required.
    let language = Obj::new().set("code", template.language_code.as_str()).set("policy", "deterministic");
    let object = Obj::new().set("name", template.name.as_str()).set("language", language);
    let object = if components.is_empty() { object } else { object.set("components", components) };
    object.build()
}

fn template_parameters(c: &mut Checker<'_>, field: &str, params: &[pb::TemplateParameter], place: Place) -> Vec<Value> {
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(params.len());
    for (i, param) in params.iter().enumerate() {
        let mut c = c.item(field, i);
        let name = &param.parameter_name;
        if !name.is_empty() && !is_parameter_name(name) {
            c.fail(
                "parameter_name",
                format!(
                    "must match ^[a-z_][a-z0-9_]*$ (lowercase letters, digits, underscores), \
                     got {}",
                    quoted(name)
                ),
            );
        }
        c.unique("parameter_name", name, format!("{field}[{i}].parameter_name"), &mut names);
        out.push(template_parameter(&mut c, param, place));
    }
    out
}

fn template_parameter(c: &mut Checker<'_>, param: &pb::TemplateParameter, place: Place) -> Value {
    let object = Obj::new();
    let object = match &param.value {
        None => {
            c.fail("", "needs a value: text, currency, date_time, image, video, document or location");
            object
        }
        Some(ParamValue::Text(text)) => {
            let max = match place {
                Place::Header => TEMPLATE_HEADER_TEXT_MAX,
                Place::Body => TEMPLATE_BODY_TEXT_MAX,
            };
            template_text(c, "text", text, max);
            object.set("type", "text").set("text", text.as_str())
        }
        Some(ParamValue::Currency(currency)) => {
            let mut c = c.at("currency");
            c.required("fallback_value", &currency.fallback_value);
            if currency.code.len() != 3 || !currency.code.bytes().all(|b| b.is_ascii_uppercase()) {
                c.fail("code", format!("must be an ISO 4217 code such as USD, got {}", quoted(&currency.code)));
            }
            if currency.amount_1000 <= 0 {
                c.fail(
                    "amount_1000",
                    format!("must be greater than 0 (the amount × 1000), got {}", currency.amount_1000),
                );
            }
            let currency = Obj::new()
                .set("fallback_value", currency.fallback_value.as_str())
                .set("code", currency.code.as_str())
                .set("amount_1000", currency.amount_1000);
            object.set("type", "currency").set("currency", currency)
        }
        Some(ParamValue::DateTime(date_time)) => {
            c.at("date_time").required("fallback_value", &date_time.fallback_value);
            let date_time = Obj::new().set("fallback_value", date_time.fallback_value.as_str());
            object.set("type", "date_time").set("date_time", date_time)
        }
        Some(ParamValue::Image(source)) => object.set("type", "image").set("image", media(c, "image", Some(source))),
        Some(ParamValue::Video(source)) => object.set("type", "video").set("video", media(c, "video", Some(source))),
        Some(ParamValue::Document(document)) => {
            let mut c = c.at("document");
            let document = media(&mut c, "media", document.media.as_ref()).non_empty("filename", &document.filename);
            object.set("type", "document").set("document", document)
        }
        Some(ParamValue::Location(location)) => {
            object.set("type", "location").set("location", location_object(&mut c.at("location"), location))
        }
    };
    let header_only = matches!(
        param.value,
        Some(ParamValue::Image(_) | ParamValue::Video(_) | ParamValue::Document(_) | ParamValue::Location(_))
    );
    if header_only && place == Place::Body {
        c.fail(
            "",
            "media and locations go in header_parameters; \
             the body takes text, currency and date_time",
        );
    }
    object.non_empty("parameter_name", &param.parameter_name).build()
}

/// Meta rejects empty values, newlines, tabs and 4+ consecutive spaces in parameters.
fn template_text(c: &mut Checker<'_>, field: &str, text: &str, max: usize) {
    c.length(field, text, 1, max);
    if text.contains(['\n', '\r', '\t']) {
        c.fail(field, "must not contain newlines or tabs");
    }
    if text.contains("    ") {
        c.fail(field, "must not contain more than 3 consecutive spaces");
    }
}

/// A template takes named or positional text values, never both.
fn check_naming(c: &mut Checker<'_>, template: &pb::TemplateMessage) {
    let texts: Vec<(&str, usize, bool)> =
        [("header_parameters", &template.header_parameters), ("body_parameters", &template.body_parameters)]
            .into_iter()
            .flat_map(|(field, params)| params.iter().enumerate().map(move |(i, p)| (field, i, p)))
            .filter(|(_, _, p)| matches!(p.value, Some(ParamValue::Text(_))))
            .map(|(field, i, p)| (field, i, !p.parameter_name.is_empty()))
            .collect();
    if !texts.iter().any(|&(_, _, named)| named) {
        return;
    }
    for &(field, i, _) in texts.iter().filter(|&&(_, _, named)| !named) {
        c.item(field, i).fail(
            "parameter_name",
            "is required: the other text values are named, \
             and a template takes named or positional values, not both",
        );
    }
}

fn template_buttons(c: &mut Checker<'_>, buttons: &[pb::TemplateButtonParameters]) -> Vec<Value> {
    use pb::TemplateButtonSubType as SubType;

    c.count("buttons", buttons.len(), 0, TEMPLATE_BUTTONS_MAX, "button");
    let mut indexes: HashMap<u32, usize> = HashMap::new();
    let mut out = Vec::with_capacity(buttons.len());
    for (i, button) in buttons.iter().enumerate() {
        let mut c = c.item("buttons", i);
        // The sub-type names the Graph value and the parameter type it takes.
        let sub_type = match SubType::try_from(button.sub_type) {
            Ok(SubType::Unspecified) => {
                c.fail("sub_type", "is required: quick_reply, url, copy_code, flow or catalog");
                None
            }
            Ok(SubType::QuickReply) => Some(("quick_reply", "payload")),
            Ok(SubType::Url) => Some(("url", "text")),
            Ok(SubType::CopyCode) => Some(("copy_code", "coupon_code")),
            Ok(SubType::Flow) => Some(("flow", "action")),
            Ok(SubType::Catalog) => Some(("catalog", "action")),
            Err(_) => {
                c.fail("sub_type", format!("has the unknown value {}", button.sub_type));
                None
            }
        };
        if button.index > TEMPLATE_BUTTON_INDEX_MAX {
            c.fail("index", format!("must be 0 to {TEMPLATE_BUTTON_INDEX_MAX}, got {}", button.index));
        }
        match indexes.get(&button.index) {
            Some(first) => c.fail("index", format!("must be unique, buttons[{first}].index has the same value")),
            None => {
                indexes.insert(button.index, i);
            }
        }
        c.count("parameters", button.parameters.len(), 1, 1, "value");

        let mut parameters = Vec::with_capacity(button.parameters.len());
        for (j, param) in button.parameters.iter().enumerate() {
            let mut c = c.item("parameters", j);
            let (kind, value) = button_parameter(&mut c, param);
            if let (Some((sub_type, expected)), Some(kind)) = (sub_type, kind)
                && kind != expected
            {
                c.fail("", format!("must be {expected}: a {sub_type} button takes {expected}, got {kind}"));
            }
            parameters.push(value);
        }
        out.push(
            Obj::new()
                .set("type", "button")
                .set("sub_type", sub_type.map_or("", |(sub_type, _)| sub_type))
                .set("index", button.index.to_string())
                .set("parameters", parameters)
                .build(),
        );
    }
    out
}

/// One button parameter and its Graph type (`None` when unset).
fn button_parameter(c: &mut Checker<'_>, param: &pb::TemplateButtonParameter) -> (Option<&'static str>, Value) {
    // Each Graph parameter is `{type: T, T: value}`.
    let (kind, value) = match &param.value {
        None => {
            c.fail("", "needs a value: text, payload, coupon_code or action");
            return (None, Value::Null);
        }
        Some(ButtonValue::Text(text)) => {
            c.required("text", text);
            ("text", Value::from(text.as_str()))
        }
        Some(ButtonValue::Payload(payload)) => {
            c.required("payload", payload);
            ("payload", Value::from(payload.as_str()))
        }
        Some(ButtonValue::CouponCode(code)) => {
            c.required("coupon_code", code);
            ("coupon_code", Value::from(code.as_str()))
        }
        Some(ButtonValue::Action(action)) => {
            let data =
                action.flow_action_data.as_ref().map(|data| struct_json(&mut c.at("action.flow_action_data"), data));
            let action = Obj::new().non_empty("flow_token", &action.flow_token).maybe("flow_action_data", data);
            ("action", action.build())
        }
    };
    (Some(kind), Obj::new().set("type", kind).set(kind, value).build())
}

// === syntax helpers ===

/// The digits of a phone number in E.164 form, or `None`.
fn phone_digits(to: &str) -> Option<String> {
    let to = to.trim_start_matches(' ');
    let to = to.strip_prefix('+').unwrap_or(to);
    let mut digits = String::with_capacity(PHONE_DIGITS_MAX);
    for ch in to.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    let valid = (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits.len()) && !digits.starts_with('0');
    valid.then_some(digits)
}

/// `CC.<alnum>` or a parent id `CC.ENT.<alnum>`, at most 256 characters (REFERENCE.md §1.3).
fn is_bsuid(to: &str) -> bool {
    let Some((country, id)) = to.split_once('.') else {
        return false;
    };
    let id = id.strip_prefix("ENT.").unwrap_or(id);
    to.len() <= BSUID_MAX
        && country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(super) fn is_http_url(url: &str) -> bool {
    let Some(rest) = strip_prefix_ignore_case(url, "https://").or_else(|| strip_prefix_ignore_case(url, "http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) { s.get(prefix.len()..) } else { None }
}

pub(super) fn is_parameter_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let number = |range: std::ops::Range<usize>| s.get(range).and_then(|n| n.parse::<u8>().ok()).unwrap_or(0);
    b.len() == 10
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && (1..=12).contains(&number(5..7))
        && (1..=31).contains(&number(8..10))
}

/// Whether a character is (part of) an emoji: pictographs, dingbats, flags, joiners.
fn is_emoji(ch: char) -> bool {
    matches!(u32::from(ch),
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, supplemental symbols
        | 0x2600..=0x27BF // miscellaneous symbols and dingbats
        | 0x2B00..=0x2BFF // arrows and stars such as ⭐
        | 0xFE0F | 0x200D // emoji presentation selector, zero-width joiner
    )
}

/// `s` quoted for an error message, cut short so a huge input does not bloat the reply.
pub(super) fn quoted(s: &str) -> String {
    const SHOWN: usize = 64;
    if s.chars().count() <= SHOWN {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use prost_types::value::Kind as StructKind;
    use serde_json::json;

    use super::*;
    use crate::pb::flow_action::Flow;

    const TO: &str = "14155550123";
    const WAMID: &str = "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=";

    macro_rules! fixture {
        ($name:literal) => {
            serde_json::from_str::<Value>(include_str!(concat!("../../tests/fixtures/cloud-api/", $name, ".json")))
                .expect(concat!($name, " is JSON"))
        };
    }

    // --- builders ---

    fn send(kind: Kind) -> pb::SendMessageRequest {
        pb::SendMessageRequest {
            to: TO.into(),
            content: Some(pb::MessageContent { kind: Some(kind) }),
            ..Default::default()
        }
    }

    fn by_id(id: &str) -> Option<pb::MediaSource> {
        Some(pb::MediaSource { source: Some(Source::Id(id.into())) })
    }

    fn by_link(link: &str) -> Option<pb::MediaSource> {
        Some(pb::MediaSource { source: Some(Source::Link(link.into())) })
    }

    fn text(body: &str) -> Kind {
        Kind::Text(pb::Text { body: body.into(), preview_url: false })
    }

    fn text_header(text: &str) -> Option<pb::InteractiveHeader> {
        Some(pb::InteractiveHeader { kind: Some(HeaderKind::Text(text.into())) })
    }

    fn interactive(action: Action) -> pb::Interactive {
        pb::Interactive { body: "Pick one".into(), action: Some(action), ..Default::default() }
    }

    fn button(id: &str, title: &str) -> pb::ReplyButton {
        pb::ReplyButton { id: id.into(), title: title.into() }
    }

    fn buttons(list: Vec<pb::ReplyButton>) -> Action {
        Action::Buttons(pb::ReplyButtons { buttons: list })
    }

    fn row(id: &str, title: &str) -> pb::ListRow {
        pb::ListRow { id: id.into(), title: title.into(), description: String::new() }
    }

    fn section(title: &str, rows: Vec<pb::ListRow>) -> pb::ListSection {
        pb::ListSection { title: title.into(), rows }
    }

    fn list(sections: Vec<pb::ListSection>) -> Action {
        Action::List(pb::ListAction { button: "Choose".into(), sections })
    }

    fn flow() -> pb::FlowAction {
        pb::FlowAction {
            flow: Some(Flow::FlowId("1837465501928374".into())),
            flow_cta: "Open".into(),
            ..Default::default()
        }
    }

    fn products(sections: &[(&str, usize)]) -> Action {
        let sections = sections
            .iter()
            .map(|&(title, n)| pb::ProductSection {
                title: title.into(),
                product_retailer_ids: (0..n).map(|i| format!("SKU-{title}-{i}")).collect(),
            })
            .collect();
        Action::ProductList(pb::ProductListAction { catalog_id: "367025965434465".into(), sections })
    }

    fn param(value: ParamValue) -> pb::TemplateParameter {
        pb::TemplateParameter { parameter_name: String::new(), value: Some(value) }
    }

    fn text_param(text: &str) -> pb::TemplateParameter {
        param(ParamValue::Text(text.into()))
    }

    fn named(name: &str, text: &str) -> pb::TemplateParameter {
        pb::TemplateParameter { parameter_name: name.into(), value: Some(ParamValue::Text(text.into())) }
    }

    fn template_button(
        sub_type: pb::TemplateButtonSubType,
        index: u32,
        value: ButtonValue,
    ) -> pb::TemplateButtonParameters {
        pb::TemplateButtonParameters {
            sub_type: sub_type.into(),
            index,
            parameters: vec![pb::TemplateButtonParameter { value: Some(value) }],
        }
    }

    fn template(body: Vec<pb::TemplateParameter>) -> pb::TemplateMessage {
        pb::TemplateMessage {
            name: "order_shipped".into(),
            language_code: "en_US".into(),
            body_parameters: body,
            ..Default::default()
        }
    }

    fn string(s: &str) -> prost_types::Value {
        prost_types::Value { kind: Some(StructKind::StringValue(s.into())) }
    }

    fn number(n: f64) -> prost_types::Value {
        prost_types::Value { kind: Some(StructKind::NumberValue(n)) }
    }

    fn object(fields: Vec<(&str, prost_types::Value)>) -> prost_types::Struct {
        prost_types::Struct { fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect() }
    }

    /// The field paths of a request's violations, in the order they were found.
    fn fields(req: &pb::SendMessageRequest) -> Vec<String> {
        match send_message_body(req) {
            Ok(body) => panic!("expected violations, got {body}"),
            Err(violations) => violations.into_iter().map(|v| v.field).collect(),
        }
    }

    fn violation(req: &pb::SendMessageRequest, field: &str) -> String {
        let violations = send_message_body(req).expect_err("expected violations");
        violations
            .iter()
            .find(|v| v.field == field)
            .unwrap_or_else(|| panic!("no violation at {field}: {violations:?}"))
            .description
            .clone()
    }

    fn body(req: &pb::SendMessageRequest) -> Value {
        send_message_body(req).unwrap_or_else(|v| panic!("unexpected violations: {v:?}"))
    }

    // --- the samples, one per kind ---

    #[test]
    fn text_matches_sample() {
        let req = send(Kind::Text(pb::Text {
            body: "Your order ships tomorrow. Track it here: https://shop.example.com/t/8F3K2".into(),
            preview_url: true,
        }));
        assert_eq!(body(&req), fixture!("send-text-request"));
    }

    #[test]
    fn image_by_id_matches_sample() {
        let req = send(Kind::Image(pb::Image { media: by_id("1284751093365217"), caption: "Navy, size M".into() }));
        assert_eq!(body(&req), fixture!("send-image-by-id-request"));
    }

    #[test]
    fn image_by_link_matches_sample() {
        let req = send(Kind::Image(pb::Image {
            media: by_link("https://cdn.example.com/catalog/jacket-navy.jpg"),
            caption: "Navy, size M".into(),
        }));
        assert_eq!(body(&req), fixture!("send-image-by-link-request"));
    }

    #[test]
    fn audio_matches_sample() {
        let req = send(Kind::Audio(pb::Audio { media: by_id("902215487731654"), voice: false }));
        assert_eq!(body(&req), fixture!("send-audio-request"));
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
        assert_eq!(body(&req), fixture!("send-video-request"));
    }

    #[test]
    fn document_matches_sample() {
        let req = send(Kind::Document(pb::Document {
            media: by_id("771039284456120"),
            caption: "Invoice 2026-0714".into(),
            filename: "invoice-2026-0714.pdf".into(),
        }));
        assert_eq!(body(&req), fixture!("send-document-request"));
    }

    #[test]
    fn sticker_matches_sample() {
        let req = send(Kind::Sticker(pb::Sticker { media: by_id("655093318820471") }));
        assert_eq!(body(&req), fixture!("send-sticker-request"));
    }

    #[test]
    fn location_matches_sample() {
        let req = send(Kind::Location(pb::Location {
            latitude: 37.7793,
            longitude: -122.4193,
            name: "Market St. store".into(),
            address: "1355 Market St, San Francisco, CA 94103".into(),
        }));
        assert_eq!(body(&req), fixture!("send-location-request"));
    }

    #[test]
    fn contacts_match_sample() {
        let card = pb::ContactCard {
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
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![card] }));
        assert_eq!(body(&req), fixture!("send-contacts-request"));
    }

    #[test]
    fn minimal_contact_card_sends_only_its_name() {
        let card = pb::ContactCard {
            name: Some(pb::ContactName { formatted_name: "Ana".into(), ..Default::default() }),
            org: Some(pb::ContactOrg::default()),
            ..Default::default()
        };
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![card] }));
        assert_eq!(body(&req)["contacts"], json!([{"name": {"formatted_name": "Ana"}}]));
    }

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
        assert_eq!(body(&req), fixture!("send-interactive-button-request"));
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
        assert_eq!(body(&req), fixture!("send-interactive-list-request"));
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
        assert_eq!(body(&req), fixture!("send-interactive-cta-url-request"));
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
        assert_eq!(body(&req), fixture!("send-interactive-flow-request"));
    }

    #[test]
    fn interactive_location_request_matches_sample() {
        let req = send(Kind::Interactive(pb::Interactive {
            body: "Share your location so we can find the nearest pickup point.".into(),
            action: Some(Action::LocationRequest(pb::LocationRequestAction {})),
            ..Default::default()
        }));
        assert_eq!(body(&req), fixture!("send-interactive-location-request-request"));
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
        assert_eq!(body(&req), fixture!("send-interactive-product-request"));
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
        assert_eq!(body(&req), fixture!("send-interactive-product-list-request"));
    }

    #[test]
    fn reaction_matches_sample() {
        let req = send(Kind::Reaction(pb::Reaction { message_id: WAMID.into(), emoji: "👍".into() }));
        assert_eq!(body(&req), fixture!("send-reaction-request"));
    }

    #[test]
    fn reaction_removal_sends_an_empty_emoji() {
        let req = send(Kind::Reaction(pb::Reaction { message_id: WAMID.into(), emoji: String::new() }));
        assert_eq!(body(&req), fixture!("send-reaction-remove-request"));
    }

    #[test]
    fn reply_matches_sample_with_context() {
        let req = pb::SendMessageRequest {
            reply_to_message_id: WAMID.into(),
            ..send(text("Yes, it also comes in navy and olive."))
        };
        assert_eq!(body(&req), fixture!("send-reply-with-context-request"));
    }

    /// Two samples leave out `language.policy`; `deterministic` is its only value
    /// and Meta's OpenAPI marks it required, so the gateway always sends it.
    fn with_policy(mut sample: Value) -> Value {
        sample["template"]["language"]["policy"] = json!("deterministic");
        sample
    }

    #[test]
    fn template_matches_sample() {
        use pb::TemplateButtonSubType as SubType;
        let req = pb::SendMessageRequest {
            biz_opaque_callback_data: "campaign=shipping;order=8F3K2".into(),
            ..send(Kind::Template(pb::TemplateMessage {
                header_parameters: vec![param(ParamValue::Image(pb::MediaSource {
                    source: Some(Source::Link("https://cdn.example.com/orders/8F3K2.jpg".into())),
                }))],
                buttons: vec![
                    template_button(SubType::Url, 0, ButtonValue::Text("8F3K2".into())),
                    template_button(SubType::QuickReply, 1, ButtonValue::Payload("STOP_SHIPPING_UPDATES".into())),
                ],
                ..template(vec![
                    text_param("Ana"),
                    param(ParamValue::Currency(pb::CurrencyParameter {
                        fallback_value: "$84.50".into(),
                        code: "USD".into(),
                        amount_1000: 84500,
                    })),
                    param(ParamValue::DateTime(pb::DateTimeParameter { fallback_value: "July 15, 2026".into() })),
                ])
            }))
        };
        assert_eq!(body(&req), fixture!("send-template-request"));
    }

    #[test]
    fn named_template_matches_sample() {
        let req = send(Kind::Template(pb::TemplateMessage {
            name: "reservation_confirmation".into(),
            header_parameters: vec![named("guest_name", "Ana")],
            ..template(vec![named("party_size", "4"), named("visit_date", "Saturday, July 18")])
        }));
        assert_eq!(body(&req), with_policy(fixture!("send-template-named-params-request")));
    }

    #[test]
    fn authentication_template_matches_sample() {
        let req = send(Kind::Template(pb::TemplateMessage {
            name: "login_code".into(),
            buttons: vec![template_button(pb::TemplateButtonSubType::Url, 0, ButtonValue::Text("482913".into()))],
            ..template(vec![text_param("482913")])
        }));
        assert_eq!(body(&req), with_policy(fixture!("send-template-auth-otp-request")));
    }

    #[test]
    fn mark_read_matches_sample() {
        let req = pb::MarkReadRequest { message_id: WAMID.into(), ..Default::default() };
        assert_eq!(mark_read_body(&req).unwrap(), fixture!("mark-read-request"));
    }

    #[test]
    fn typing_indicator_matches_sample() {
        let req = pb::MarkReadRequest { message_id: WAMID.into(), typing_indicator: true, ..Default::default() };
        assert_eq!(mark_read_body(&req).unwrap(), fixture!("typing-indicator-request"));
    }

    #[test]
    fn mark_read_needs_a_message_id() {
        let violations = mark_read_body(&pb::MarkReadRequest::default()).unwrap_err();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "message_id");
    }

    // --- envelope ---

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
    fn recipient_accepts_phone_numbers_and_bsuids() {
        let phone = |digits: &str| Ok(Recipient::Phone(digits.into()));
        assert_eq!(recipient("14155550123"), phone("14155550123"));
        assert_eq!(recipient("+1 (415) 555-0123"), phone("14155550123"));
        assert_eq!(recipient("+44.20.7946.0958"), phone("442079460958"));
        assert_eq!(recipient("12345678"), phone("12345678"));
        assert_eq!(recipient("123456789012345"), phone("123456789012345"));
        assert_eq!(recipient("US.1234"), Ok(Recipient::UserId("US.1234".into())));
        assert_eq!(recipient("BR.ENT.99812"), Ok(Recipient::UserId("BR.ENT.99812".into())));
        let long = format!("US.{}", "a1".repeat(126));
        assert_eq!(recipient(&long), Ok(Recipient::UserId(long.clone())));
    }

    #[test]
    fn recipient_rejects_everything_else() {
        for bad in [
            "12ab",
            "1234567",
            "1234567890123456",
            "+0123456789",
            "++14155550123",
            "1415555012+3",
            "14155550123\n",
            "us.1234",
            "USA.1234",
            "US.",
            "US.12-34",
            "US.ENT.",
            "+",
            "(+)",
            "🙂",
        ] {
            assert!(recipient(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(recipient(&format!("US.{}", "1".repeat(254))).is_err(), "BSUIDs are at most 256 characters");
        assert_eq!(
            recipient("12ab").unwrap_err(),
            "must be a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) \
             or a business-scoped user id (e.g. US.1234), got \"12ab\""
        );
        assert!(recipient("").unwrap_err().starts_with("is required"));
    }

    #[test]
    fn invalid_to_is_reported_on_to() {
        let req = pb::SendMessageRequest { to: "12ab".into(), ..send(text("hi")) };
        assert_eq!(fields(&req), ["to"]);
        assert!(violation(&req, "to").ends_with("got \"12ab\""));
    }

    #[test]
    fn huge_inputs_are_quoted_short() {
        let req = pb::SendMessageRequest { to: "x".repeat(100_000), ..send(text("hi")) };
        assert!(violation(&req, "to").len() < 300);
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

    // --- text and media ---

    #[test]
    fn text_body_is_1_to_4096_characters() {
        assert_eq!(fields(&send(text(""))), ["content.text.body"]);
        assert_eq!(fields(&send(text(&"x".repeat(4097)))), ["content.text.body"]);
        // Characters, not bytes: 4096 two-byte characters are fine.
        assert!(send_message_body(&send(text(&"é".repeat(4096)))).is_ok());
        assert!(violation(&send(text(&"x".repeat(4097))), "content.text.body").contains("got 4097"));
    }

    #[test]
    fn preview_url_is_sent_only_when_true() {
        assert_eq!(body(&send(text("hi")))["text"], json!({"body": "hi"}));
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
        assert!(send_message_body(&send(image)).is_ok());
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
            assert!(send_message_body(&image(by_link(good))).is_ok(), "{good:?}");
        }
        let sticker = send(Kind::Sticker(pb::Sticker { media: by_link("s3://bucket/a.webp") }));
        assert_eq!(fields(&sticker), ["content.sticker.media.link"]);
        let audio = send(Kind::Audio(pb::Audio { media: None, voice: true }));
        assert_eq!(fields(&audio), ["content.audio.media"]);
    }

    #[test]
    fn location_coordinates_are_in_range_and_finite() {
        let location =
            |latitude, longitude| send(Kind::Location(pb::Location { latitude, longitude, ..Default::default() }));
        assert!(send_message_body(&location(-90.0, 180.0)).is_ok());
        assert_eq!(fields(&location(90.5, 0.0)), ["content.location.latitude"]);
        assert_eq!(fields(&location(0.0, -180.5)), ["content.location.longitude"]);
        assert_eq!(
            fields(&location(f64::NAN, f64::INFINITY)),
            ["content.location.latitude", "content.location.longitude"]
        );
        assert_eq!(body(&location(1.5, -2.0))["location"], json!({"latitude": 1.5, "longitude": -2.0}));
    }

    #[test]
    fn contacts_need_cards_with_formatted_names() {
        assert_eq!(fields(&send(Kind::Contacts(pb::Contacts::default()))), ["content.contacts.contacts"]);
        let good = pb::ContactCard {
            name: Some(pb::ContactName { formatted_name: "Ana".into(), ..Default::default() }),
            ..Default::default()
        };
        let nameless = pb::ContactCard { name: None, ..Default::default() };
        let unformatted = pb::ContactCard {
            name: Some(pb::ContactName { first_name: "Ana".into(), ..Default::default() }),
            birthday: "1990-13-01".into(),
            ..Default::default()
        };
        let req = send(Kind::Contacts(pb::Contacts { contacts: vec![good, nameless, unformatted] }));
        assert_eq!(
            fields(&req),
            [
                "content.contacts.contacts[1].name.formatted_name",
                "content.contacts.contacts[2].name.formatted_name",
                "content.contacts.contacts[2].birthday",
            ]
        );
    }

    #[test]
    fn dates_are_checked_without_panicking() {
        assert!(is_date("2011-05-01"));
        for bad in ["2011-5-1", "2011-00-10", "2011-01-32", "20110501xx", "é011-05-01", "2011-05-0é", ""] {
            assert!(!is_date(bad), "{bad:?}");
        }
    }

    // --- interactive ---

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
        assert!(send_message_body(&with_body("b".repeat(1024), two())).is_ok());
        assert!(send_message_body(&with_body("b".repeat(4096), one_row())).is_ok());
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
        assert!(send_message_body(&req).is_ok());
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
        assert!(send_message_body(&cta(&"d".repeat(20), "http://example.com")).is_ok());
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
    fn structs_become_json_objects() {
        let list = prost_types::Value {
            kind: Some(StructKind::ListValue(prost_types::ListValue {
                values: vec![number(1.0), number(f64::NAN), prost_types::Value { kind: None }],
            })),
        };
        let nested = prost_types::Value {
            kind: Some(StructKind::StructValue(object(vec![(
                "deep",
                prost_types::Value { kind: Some(StructKind::BoolValue(true)) },
            )]))),
        };
        let data = object(vec![
            ("int", number(3.0)),
            ("float", number(2.5)),
            ("negative", number(-7.0)),
            ("huge", number(1e300)),
            ("null", prost_types::Value { kind: Some(StructKind::NullValue(0)) }),
            ("text", string("x")),
            ("list", list),
            ("nested", nested),
        ]);
        let mut violations = Vec::new();
        let json = struct_json(&mut Checker::root(&mut violations).at("data"), &data);
        assert_eq!(
            json,
            json!({"int": 3, "float": 2.5, "negative": -7, "huge": 1e300, "null": null, "text": "x",
                   "list": [1, null, null], "nested": {"deep": true}})
        );
        assert_eq!(violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["data.list[1]"]);
    }

    #[test]
    fn product_list_limits() {
        let req =
            |action| send(Kind::Interactive(pb::Interactive { header: text_header("Picks"), ..interactive(action) }));
        assert!(send_message_body(&req(products(&[("A", 15), ("B", 15)]))).is_ok());
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

    // --- reactions ---

    #[test]
    fn reactions_need_a_message_and_a_short_emoji() {
        let reaction = |message_id: &str, emoji: &str| {
            send(Kind::Reaction(pb::Reaction { message_id: message_id.into(), emoji: emoji.into() }))
        };
        assert_eq!(fields(&reaction("", "👍")), ["content.reaction.message_id"]);
        assert_eq!(fields(&reaction(WAMID, "this is not an emoji")), ["content.reaction.emoji"]);
        // A family emoji is 7 code points (ZWJ sequence).
        assert!(send_message_body(&reaction(WAMID, "👨‍👩‍👧‍👦")).is_ok());
    }

    // --- templates ---

    #[test]
    fn template_name_and_language_are_required() {
        let req = send(Kind::Template(pb::TemplateMessage::default()));
        assert_eq!(fields(&req), ["content.template.name", "content.template.language_code"]);
        let req = send(Kind::Template(pb::TemplateMessage { name: "Order-Shipped".into(), ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.name"]);
        let req = send(Kind::Template(pb::TemplateMessage { name: "a".repeat(513), ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.name"]);
    }

    #[test]
    fn template_without_parameters_has_no_components() {
        let req = send(Kind::Template(pb::TemplateMessage { name: "hello_world".into(), ..template(vec![]) }));
        assert_eq!(
            body(&req)["template"],
            json!({"name": "hello_world", "language": {"code": "en_US", "policy": "deterministic"}})
        );
    }

    #[test]
    fn template_text_parameters_are_checked() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param(&"h".repeat(61))],
            ..template(vec![
                text_param(""),
                text_param("two\nlines"),
                text_param("a\ttab"),
                text_param("wide    gap"),
                text_param("three   spaces are fine"),
                text_param(&"b".repeat(32769)),
            ])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters[0].text",
                "content.template.body_parameters[0].text",
                "content.template.body_parameters[1].text",
                "content.template.body_parameters[2].text",
                "content.template.body_parameters[3].text",
                "content.template.body_parameters[5].text",
            ]
        );
        assert!(send_message_body(&send(Kind::Template(template(vec![text_param(&"b".repeat(32768))])))).is_ok());
    }

    #[test]
    fn template_value_kinds_are_checked() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param("a"), text_param("b")],
            ..template(vec![
                param(ParamValue::Currency(pb::CurrencyParameter {
                    fallback_value: String::new(),
                    code: "usd".into(),
                    amount_1000: 0,
                })),
                param(ParamValue::DateTime(pb::DateTimeParameter::default())),
                param(ParamValue::Image(pb::MediaSource { source: Some(Source::Id("1".into())) })),
                pb::TemplateParameter { parameter_name: String::new(), value: None },
            ])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters",
                "content.template.body_parameters[0].currency.fallback_value",
                "content.template.body_parameters[0].currency.code",
                "content.template.body_parameters[0].currency.amount_1000",
                "content.template.body_parameters[1].date_time.fallback_value",
                "content.template.body_parameters[2]",
                "content.template.body_parameters[3]",
            ]
        );
    }

    #[test]
    fn template_header_media_and_locations_convert() {
        let header = |value| {
            send(Kind::Template(pb::TemplateMessage { header_parameters: vec![param(value)], ..template(vec![]) }))
        };
        let document =
            header(ParamValue::Document(pb::DocumentParameter { media: by_id("55"), filename: "menu.pdf".into() }));
        assert_eq!(
            body(&document)["template"]["components"],
            json!([{"type": "header", "parameters": [
                {"type": "document", "document": {"id": "55", "filename": "menu.pdf"}}]}])
        );
        let location = header(ParamValue::Location(pb::Location {
            latitude: 37.5,
            longitude: -122.25,
            name: "Store".into(),
            address: String::new(),
        }));
        assert_eq!(
            body(&location)["template"]["components"][0]["parameters"][0],
            json!({"type": "location",
                   "location": {"latitude": 37.5, "longitude": -122.25, "name": "Store"}})
        );
        let video =
            header(ParamValue::Video(pb::MediaSource { source: Some(Source::Link("https://v.example/a.mp4".into())) }));
        assert_eq!(
            body(&video)["template"]["components"][0]["parameters"][0],
            json!({"type": "video", "video": {"link": "https://v.example/a.mp4"}})
        );
        let broken = header(ParamValue::Document(pb::DocumentParameter { media: None, filename: String::new() }));
        assert_eq!(fields(&broken), ["content.template.header_parameters[0].document.media"]);
        let far = header(ParamValue::Location(pb::Location { latitude: 91.0, ..Default::default() }));
        assert_eq!(fields(&far), ["content.template.header_parameters[0].location.latitude"]);
    }

    #[test]
    fn named_and_positional_values_do_not_mix() {
        let req = send(Kind::Template(pb::TemplateMessage {
            header_parameters: vec![text_param("Ana")],
            ..template(vec![named("party_size", "4"), text_param("Saturday")])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.header_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
            ]
        );
    }

    #[test]
    fn parameter_names_are_snake_case_and_unique() {
        let req = send(Kind::Template(template(vec![
            named("Party", "4"),
            named("9lives", "x"),
            named("ok_name_2", "y"),
            named("ok_name_2", "z"),
            named("_private", "w"),
        ])));
        assert_eq!(
            fields(&req),
            [
                "content.template.body_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
                "content.template.body_parameters[3].parameter_name",
            ]
        );
    }

    #[test]
    fn template_buttons_are_checked() {
        use pb::TemplateButtonSubType as SubType;
        let req = send(Kind::Template(pb::TemplateMessage {
            buttons: vec![
                pb::TemplateButtonParameters { sub_type: 0, index: 0, parameters: vec![] },
                template_button(SubType::Url, 0, ButtonValue::Text(String::new())),
                template_button(SubType::QuickReply, 10, ButtonValue::Text("STOP".into())),
                pb::TemplateButtonParameters {
                    sub_type: 42,
                    index: 3,
                    parameters: vec![pb::TemplateButtonParameter { value: None }],
                },
            ],
            ..template(vec![])
        }));
        assert_eq!(
            fields(&req),
            [
                "content.template.buttons[0].sub_type",
                "content.template.buttons[0].parameters",
                "content.template.buttons[1].index",
                "content.template.buttons[1].parameters[0].text",
                "content.template.buttons[2].index",
                "content.template.buttons[2].parameters[0]",
                "content.template.buttons[3].sub_type",
                "content.template.buttons[3].parameters[0]",
            ]
        );
        assert!(
            violation(&req, "content.template.buttons[2].parameters[0]").contains("quick_reply button takes payload")
        );
    }

    #[test]
    fn template_button_kinds_convert() {
        use pb::TemplateButtonSubType as SubType;
        let req = send(Kind::Template(pb::TemplateMessage {
            buttons: vec![
                template_button(SubType::CopyCode, 0, ButtonValue::CouponCode("25OFF".into())),
                template_button(
                    SubType::Flow,
                    1,
                    ButtonValue::Action(pb::TemplateFlowButtonAction {
                        flow_token: "tok".into(),
                        flow_action_data: Some(object(vec![("step", number(2.0))])),
                    }),
                ),
                template_button(SubType::Catalog, 2, ButtonValue::Action(pb::TemplateFlowButtonAction::default())),
            ],
            ..template(vec![])
        }));
        assert_eq!(
            body(&req)["template"]["components"],
            json!([
                {"type": "button", "sub_type": "copy_code", "index": "0",
                 "parameters": [{"type": "coupon_code", "coupon_code": "25OFF"}]},
                {"type": "button", "sub_type": "flow", "index": "1",
                 "parameters": [{"type": "action",
                  "action": {"flow_token": "tok", "flow_action_data": {"step": 2}}}]},
                {"type": "button", "sub_type": "catalog", "index": "2",
                 "parameters": [{"type": "action", "action": {}}]},
            ])
        );
        let too_many =
            (0..11).map(|i| template_button(SubType::QuickReply, i, ButtonValue::Payload("p".into()))).collect();
        let req = send(Kind::Template(pb::TemplateMessage { buttons: too_many, ..template(vec![]) }));
        assert_eq!(fields(&req), ["content.template.buttons", "content.template.buttons[10].index"]);
    }

    // --- robustness ---

    #[test]
    fn odd_inputs_never_panic() {
        let odd = ["", " ", "\u{0}", "é", "👨‍👩‍👧‍👦", "\u{10FFFF}", "https://", "+", "US.ENT.", "((((", "0"];
        for s in odd {
            let _ = recipient(s);
            let _ = is_http_url(s);
            let _ = is_date(s);
            let _ = quoted(s);
            let req = pb::SendMessageRequest {
                to: s.into(),
                reply_to_message_id: s.into(),
                content: Some(pb::MessageContent { kind: Some(text(s)) }),
                ..Default::default()
            };
            let _ = send_message_body(&req);
        }
        let _ = send_message_body(&pb::SendMessageRequest::default());
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
            assert!(send_message_body(&send(kind)).is_err());
        }
    }
}
