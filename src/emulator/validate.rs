//! Validation of `POST /{phone_number_id}/messages` bodies (REFERENCE.md
//! §2.1–2.5, §4.6, §7.6).
//!
//! Pure functions over the JSON: they never consult the store, and return
//! what the handler must still check against it (media ids, the template).
//! Error codes follow one rule: a missing required parameter is 131008, a
//! value outside a limit (length, count, range, format) is 131009, and a
//! value of the wrong kind (JSON type, unknown enum value, not a phone
//! number) is 100. `error_data.details` names the parameter the way Meta
//! does, e.g. `interactive['action']['buttons'][3]`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{errors::GraphError, state::is_bsuid};

type Object = Map<String, Value>;
type Result<T> = std::result::Result<T, GraphError>;

/// The message types `/messages` accepts.
const MESSAGE_TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// A valid `/messages` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    /// `{"status":"read","message_id":…}`.
    MarkRead(MarkRead),
    /// A message to send.
    Send(Send),
}

/// A mark-read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkRead {
    pub(crate) message_id: String,
    pub(crate) typing_indicator: bool,
}

/// A message to send, with what remains to check against the store.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Send {
    pub(crate) recipient: Recipient,
    /// The message `type`.
    pub(crate) kind: String,
    pub(crate) biz_opaque_callback_data: Option<String>,
    /// Uploaded media ids the message refers to.
    pub(crate) media: Vec<MediaRef>,
    pub(crate) template: Option<TemplateSend>,
    /// An audio message sent as a voice note.
    pub(crate) voice: bool,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    /// A phone number: `input` as given, `wa_id` its digits.
    Phone { input: String, wa_id: String },
    /// A business-scoped user id.
    User { input: String, user_id: String },
    /// A group id (`recipient_type: group`).
    Group { id: String },
}

/// What an uploaded media id is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaUse {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

/// A reference to uploaded media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaRef {
    /// Where it was, e.g. `image['id']`.
    pub(crate) path: String,
    pub(crate) id: String,
    pub(crate) used_as: MediaUse,
}

/// A template send, for the checks against the stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateSend {
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) components: Vec<SendComponent>,
}

/// One `template.components[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendComponent {
    pub(crate) kind: SendComponentKind,
    pub(crate) params: Vec<SendParam>,
}

/// The component's `type` (and for buttons, `sub_type` and `index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendComponentKind {
    Header,
    Body,
    /// `sub_type` lowercased.
    Button {
        sub_type: String,
        index: usize,
    },
    /// Carousel, limited-time offer…: passed through unchecked.
    Other,
}

/// One parameter: its `type` and, for named templates, `parameter_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendParam {
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
}

/// Validates a `/messages` body.
pub(crate) fn message_request(body: &Value) -> Result<Request> {
    let m = body.as_object().ok_or_else(|| GraphError::invalid_param("The request body must be a JSON object."))?;
    match field(m, "messaging_product") {
        None => return Err(GraphError::invalid_param("The parameter messaging_product is required.")),
        Some(Value::String(p)) if p == "whatsapp" => {}
        Some(other) => return Err(one_of("messaging_product", &["whatsapp"], other)),
    }
    if field(m, "status").is_some() {
        return mark_read(m).map(Request::MarkRead);
    }

    let group = match opt_str(m, "", "recipient_type")? {
        None | Some("individual") => false,
        Some("group") => true,
        Some(other) => return Err(one_of("recipient_type", &["individual", "group"], &Value::from(other))),
    };
    let recipient = recipient(m, group)?;
    let kind = match field(m, "type") {
        // Meta defaults a missing type to text.
        None => "text",
        Some(Value::String(t)) if MESSAGE_TYPES.contains(&t.as_str()) => t.as_str(),
        Some(other) => return Err(one_of("type", MESSAGE_TYPES, other)),
    };
    if let Some(context) = field(m, "context") {
        let context = as_object(context, "context")?;
        req_text(context, "context", "message_id")?;
    }
    let biz_opaque_callback_data = opt_str(m, "", "biz_opaque_callback_data")?.map(str::to_owned);
    if let Some(data) = &biz_opaque_callback_data {
        max_chars(data, 512, "biz_opaque_callback_data")?;
    }

    let mut send = Send {
        recipient,
        kind: kind.to_owned(),
        biz_opaque_callback_data,
        media: Vec::new(),
        template: None,
        voice: false,
    };
    let object = req(m, "", kind)?;
    match kind {
        "text" => text(object)?,
        "image" => send.media.extend(media(object, "image", MediaUse::Image, MediaOptions::CAPTION)?),
        "video" => send.media.extend(media(object, "video", MediaUse::Video, MediaOptions::CAPTION)?),
        "document" => send.media.extend(media(object, "document", MediaUse::Document, MediaOptions::DOCUMENT)?),
        "sticker" => send.media.extend(media(object, "sticker", MediaUse::Sticker, MediaOptions::NONE)?),
        "audio" => {
            send.media.extend(media(object, "audio", MediaUse::Audio, MediaOptions::AUDIO)?);
            send.voice = object.get("voice").and_then(Value::as_bool).unwrap_or(false);
        }
        "location" => location(as_object(object, "location")?, "location")?,
        "contacts" => contacts(object)?,
        "interactive" => interactive(object, &mut send.media)?,
        "template" => send.template = Some(template(object, &mut send.media)?),
        "reaction" => reaction(object)?,
        _ => unreachable!("type was checked against MESSAGE_TYPES"),
    }
    Ok(Request::Send(send))
}

fn mark_read(m: &Object) -> Result<MarkRead> {
    match field(m, "status") {
        Some(Value::String(s)) if s == "read" => {}
        Some(other) => return Err(one_of("status", &["read"], other)),
        None => unreachable!("mark_read is only called when status is present"),
    }
    let message_id = req_text(m, "", "message_id")?.to_owned();
    let typing_indicator = match field(m, "typing_indicator") {
        None => false,
        Some(v) => {
            let t = as_object(v, "typing_indicator")?;
            match req(t, "typing_indicator", "type")? {
                Value::String(s) if s == "text" => true,
                other => return Err(one_of("typing_indicator['type']", &["text"], other)),
            }
        }
    };
    Ok(MarkRead { message_id, typing_indicator })
}

fn recipient(m: &Object, group: bool) -> Result<Recipient> {
    // `to` wins when both are present (REFERENCE.md §2.1).
    if let Some(to) = opt_str(m, "", "to")? {
        let to = to.trim();
        if to.is_empty() {
            return Err(GraphError::missing_param("to"));
        }
        if group {
            return Ok(Recipient::Group { id: to.to_owned() });
        }
        if is_bsuid(to) {
            return Ok(Recipient::User { input: to.to_owned(), user_id: to.to_owned() });
        }
        return phone(to).map(|wa_id| Recipient::Phone { input: to.to_owned(), wa_id });
    }
    match opt_str(m, "", "recipient")? {
        Some(r) if is_bsuid(r.trim()) => Ok(Recipient::User { input: r.to_owned(), user_id: r.trim().to_owned() }),
        Some(_) => Err(GraphError::invalid_param("Parameter 'recipient' is not a valid business-scoped user id.")),
        None => Err(GraphError::missing_param("to")),
    }
}

/// The digits of a phone number written with `+`, spaces, dashes, dots or
/// parentheses; E.164 allows at most 15 digits.
fn phone(to: &str) -> Result<String> {
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    if !to.chars().all(allowed) || !(5..=15).contains(&digits.len()) {
        return Err(GraphError::invalid_param("Parameter 'to' is not a valid phone number."));
    }
    Ok(wa_id_of(digits))
}

/// Meta's WhatsApp id for a number, which can differ from the number as
/// written (REFERENCE.md §1.4): Mexican mobile numbers dialled with the old
/// `1` after the country code (`52 1 …`) have the WhatsApp id `52 …`.
fn wa_id_of(digits: String) -> String {
    match digits.strip_prefix("521") {
        Some(national) if national.len() == 10 => format!("52{national}"),
        _ => digits,
    }
}

fn text(v: &Value) -> Result<()> {
    let t = as_object(v, "text")?;
    let body = req_text(t, "text", "body")?;
    max_chars(body, 4096, "text['body']")?;
    opt_bool(t, "text", "preview_url")?;
    Ok(())
}

/// Which optional keys a media object may carry.
#[derive(Debug, Clone, Copy)]
struct MediaOptions {
    caption: bool,
    filename: bool,
    voice: bool,
}

impl MediaOptions {
    const NONE: Self = Self { caption: false, filename: false, voice: false };
    const CAPTION: Self = Self { caption: true, ..Self::NONE };
    const DOCUMENT: Self = Self { caption: true, filename: true, voice: false };
    const AUDIO: Self = Self { voice: true, ..Self::NONE };
}

/// A media object: exactly one of `id` | `link`, plus the keys its kind allows.
fn media(v: &Value, path: &str, used_as: MediaUse, options: MediaOptions) -> Result<Option<MediaRef>> {
    let o = as_object(v, path)?;
    let id = opt_str(o, path, "id")?;
    let link = opt_str(o, path, "link")?;
    let found = match (id, link) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_value(format!("Param {path} must contain only one of 'id' or 'link'.")));
        }
        (None, None) => {
            return Err(GraphError::missing(format!("The parameter {path}['id'] or {path}['link'] is required.")));
        }
        (Some(id), None) if id.trim().is_empty() => return Err(GraphError::missing_param(&key(path, "id"))),
        (Some(id), None) => Some(MediaRef { path: key(path, "id"), id: id.trim().to_owned(), used_as }),
        (None, Some(link)) => {
            url(link, &key(path, "link"))?;
            None
        }
    };
    match (options.caption, opt_str(o, path, "caption")?) {
        (true, Some(caption)) => max_chars(caption, 1024, &key(path, "caption"))?,
        (false, Some(_)) => {
            return Err(GraphError::invalid_param(format!(
                "Param {} is not supported for {path} messages.",
                key(path, "caption")
            )));
        }
        (_, None) => {}
    }
    if options.filename {
        opt_str(o, path, "filename")?;
    }
    if options.voice {
        opt_bool(o, path, "voice")?;
    }
    Ok(found)
}

/// An http(s) URL with a host.
fn url(link: &str, path: &str) -> Result<()> {
    let rest = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !link.contains(char::is_whitespace) => Ok(()),
        _ => Err(GraphError::invalid_value(format!("Param {path} must be a valid http(s) URL."))),
    }
}

fn location(o: &Object, path: &str) -> Result<()> {
    coordinate(o, path, "latitude", 90.0)?;
    coordinate(o, path, "longitude", 180.0)?;
    opt_str(o, path, "name")?;
    opt_str(o, path, "address")?;
    Ok(())
}

/// Meta documents coordinates as strings, SDKs send numbers: accept both.
fn coordinate(o: &Object, parent: &str, name: &str, limit: f64) -> Result<()> {
    let path = key(parent, name);
    let value = match req(o, parent, name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() && v.abs() <= limit => Ok(()),
        Some(_) => Err(GraphError::invalid_value(format!("Param {path} must be between -{limit} and {limit}."))),
        None => Err(GraphError::invalid_param(format!("Param {path} must be a number."))),
    }
}

fn contacts(v: &Value) -> Result<()> {
    let cards = as_array(v, "contacts")?;
    if cards.is_empty() {
        return Err(GraphError::invalid_value("Param contacts must contain at least one contact."));
    }
    for (i, card) in cards.iter().enumerate() {
        let path = format!("contacts[{i}]");
        let c = as_object(card, &path)?;
        let name_path = key(&path, "name");
        let name = as_object(req(c, &path, "name")?, &name_path)?;
        req_text(name, &name_path, "formatted_name")?;
        for k in ["first_name", "last_name", "middle_name", "prefix", "suffix"] {
            opt_str(name, &name_path, k)?;
        }
        for (list, keys) in [
            ("phones", &["phone", "type", "wa_id"][..]),
            ("emails", &["email", "type"][..]),
            ("urls", &["url", "type"][..]),
            ("addresses", &["street", "city", "state", "zip", "country", "country_code", "type"][..]),
        ] {
            let Some(items) = field(c, list) else { continue };
            let list_path = key(&path, list);
            for (j, item) in as_array(items, &list_path)?.iter().enumerate() {
                let item_path = format!("{list_path}[{j}]");
                let item = as_object(item, &item_path)?;
                for k in keys {
                    opt_str(item, &item_path, k)?;
                }
            }
        }
        if let Some(org) = field(c, "org") {
            let org_path = key(&path, "org");
            let org = as_object(org, &org_path)?;
            for k in ["company", "department", "title"] {
                opt_str(org, &org_path, k)?;
            }
        }
        if let Some(birthday) = opt_str(c, &path, "birthday")?
            && !is_date(birthday)
        {
            return Err(GraphError::invalid_value(format!(
                "Param {} must be a date as YYYY-MM-DD.",
                key(&path, "birthday")
            )));
        }
    }
    Ok(())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

fn reaction(v: &Value) -> Result<()> {
    let r = as_object(v, "reaction")?;
    req_text(r, "reaction", "message_id")?;
    // An empty emoji removes the reaction, so only presence is required.
    match req(r, "reaction", "emoji")? {
        Value::String(emoji) => max_chars(emoji, 16, "reaction['emoji']"),
        _ => Err(GraphError::invalid_param("Param reaction['emoji'] must be a string.")),
    }
}

// === interactive (§2.4) ===

const INTERACTIVE_TYPES: &[&str] =
    &["button", "list", "cta_url", "flow", "location_request_message", "product", "product_list", "catalog_message"];

/// Which headers an interactive type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderRule {
    Forbidden,
    TextOnly,
    TextRequired,
    Any,
}

fn interactive(v: &Value, refs: &mut Vec<MediaRef>) -> Result<()> {
    const P: &str = "interactive";
    let o = as_object(v, P)?;
    let kind = match req(o, P, "type")? {
        Value::String(t) if INTERACTIVE_TYPES.contains(&t.as_str()) => t.as_str(),
        other => return Err(one_of("interactive['type']", INTERACTIVE_TYPES, other)),
    };
    let (header_rule, body_required, body_max) = match kind {
        "button" | "cta_url" | "flow" => (HeaderRule::Any, true, 1024),
        // Meta's list page allows 4096; the emulator accepts it (REFERENCE.md §2.4).
        "list" => (HeaderRule::TextOnly, true, 4096),
        "location_request_message" => (HeaderRule::Forbidden, true, 1024),
        "product" => (HeaderRule::Forbidden, false, 1024),
        "product_list" => (HeaderRule::TextRequired, true, 1024),
        _ => (HeaderRule::TextOnly, true, 1024),
    };

    match (field(o, "header"), header_rule) {
        (None, HeaderRule::TextRequired) => return Err(GraphError::missing_param("interactive['header']")),
        (None, _) => {}
        (Some(_), HeaderRule::Forbidden) => {
            return Err(GraphError::invalid_param(format!(
                "Param interactive['header'] is not supported for {kind} messages."
            )));
        }
        (Some(h), rule) => header(h, rule, refs)?,
    }
    match field(o, "body") {
        Some(b) => {
            let text = req_text(as_object(b, "interactive['body']")?, "interactive['body']", "text")?;
            max_chars(text, body_max, "interactive['body']['text']")?;
        }
        None if body_required => return Err(GraphError::missing_param("interactive['body']")),
        None => {}
    }
    if let Some(f) = field(o, "footer") {
        let text = req_text(as_object(f, "interactive['footer']")?, "interactive['footer']", "text")?;
        max_chars(text, 60, "interactive['footer']['text']")?;
    }

    let action_path = "interactive['action']";
    let action = as_object(req(o, P, "action")?, action_path)?;
    match kind {
        "button" => buttons(action),
        "list" => list(action),
        "cta_url" => {
            named_action(action, "cta_url")?;
            let p = "interactive['action']['parameters']";
            let params = as_object(req(action, action_path, "parameters")?, p)?;
            max_chars(req_text(params, p, "display_text")?, 20, &key(p, "display_text"))?;
            url(req_text(params, p, "url")?, &key(p, "url"))
        }
        "flow" => flow(action),
        "location_request_message" => named_action(action, "send_location"),
        "product" => {
            req_text(action, action_path, "catalog_id")?;
            req_text(action, action_path, "product_retailer_id")?;
            Ok(())
        }
        "product_list" => product_list(action),
        "catalog_message" => {
            named_action(action, "catalog_message")?;
            if let Some(params) = field(action, "parameters") {
                let p = "interactive['action']['parameters']";
                opt_str(as_object(params, p)?, p, "thumbnail_product_retailer_id")?;
            }
            Ok(())
        }
        _ => unreachable!("interactive type was checked against INTERACTIVE_TYPES"),
    }
}

fn header(v: &Value, rule: HeaderRule, refs: &mut Vec<MediaRef>) -> Result<()> {
    const P: &str = "interactive['header']";
    let h = as_object(v, P)?;
    let allowed: &[&str] = if rule == HeaderRule::Any { &["text", "image", "video", "document"] } else { &["text"] };
    let kind = match req(h, P, "type")? {
        Value::String(t) if allowed.contains(&t.as_str()) => t.as_str(),
        other => return Err(one_of("interactive['header']['type']", allowed, other)),
    };
    let used_as = match kind {
        "text" => return max_chars(req_text(h, P, "text")?, 60, "interactive['header']['text']"),
        "image" => MediaUse::Image,
        "video" => MediaUse::Video,
        _ => MediaUse::Document,
    };
    let path = key(P, kind);
    refs.extend(media(req(h, P, kind)?, &path, used_as, MediaOptions::DOCUMENT)?);
    Ok(())
}

fn named_action(action: &Object, name: &str) -> Result<()> {
    match req(action, "interactive['action']", "name")? {
        Value::String(n) if n == name => Ok(()),
        other => Err(one_of("interactive['action']['name']", &[name], other)),
    }
}

fn buttons(action: &Object) -> Result<()> {
    const P: &str = "interactive['action']['buttons']";
    let list = as_array(req(action, "interactive['action']", "buttons")?, P)?;
    if list.is_empty() || list.len() > 3 {
        return Err(GraphError::invalid_value(format!(
            "Param {P} must have between 1 and 3 buttons; got {}.",
            list.len()
        )));
    }
    let mut titles = HashSet::new();
    let mut ids = HashSet::new();
    for (i, b) in list.iter().enumerate() {
        let path = format!("{P}[{i}]");
        let b = as_object(b, &path)?;
        match req(b, &path, "type")? {
            Value::String(t) if t == "reply" => {}
            other => return Err(one_of(&key(&path, "type"), &["reply"], other)),
        }
        let reply_path = key(&path, "reply");
        let reply = as_object(req(b, &path, "reply")?, &reply_path)?;
        let id = req_text(reply, &reply_path, "id")?;
        max_chars(id, 256, &key(&reply_path, "id"))?;
        if id.trim() != id {
            return Err(GraphError::invalid_value(format!(
                "Param {} must not have leading or trailing spaces.",
                key(&reply_path, "id")
            )));
        }
        let title = req_text(reply, &reply_path, "title")?;
        max_chars(title, 20, &key(&reply_path, "title"))?;
        if !titles.insert(title) {
            return Err(GraphError::invalid_value(format!(
                "Button titles must be unique; {path} repeats \"{title}\"."
            )));
        }
        if !ids.insert(id) {
            return Err(GraphError::invalid_value(format!("Button ids must be unique; {path} repeats \"{id}\".")));
        }
    }
    Ok(())
}

fn list(action: &Object) -> Result<()> {
    const A: &str = "interactive['action']";
    max_chars(req_text(action, A, "button")?, 20, "interactive['action']['button']")?;
    let sections_path = key(A, "sections");
    let sections = as_array(req(action, A, "sections")?, &sections_path)?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::invalid_value(format!(
            "Param {sections_path} must have between 1 and 10 sections; got {}.",
            sections.len()
        )));
    }
    let mut rows_total = 0;
    let mut row_ids = HashSet::new();
    for (i, s) in sections.iter().enumerate() {
        let path = format!("{sections_path}[{i}]");
        let s = as_object(s, &path)?;
        match opt_str(s, &path, "title")? {
            Some(title) if !title.is_empty() => max_chars(title, 24, &key(&path, "title"))?,
            _ if sections.len() > 1 => return Err(GraphError::missing_param(&key(&path, "title"))),
            _ => {}
        }
        let rows_path = key(&path, "rows");
        let rows = as_array(req(s, &path, "rows")?, &rows_path)?;
        if rows.is_empty() {
            return Err(GraphError::invalid_value(format!("Param {rows_path} must have at least one row.")));
        }
        for (j, r) in rows.iter().enumerate() {
            let row_path = format!("{rows_path}[{j}]");
            let r = as_object(r, &row_path)?;
            let id = req_text(r, &row_path, "id")?;
            max_chars(id, 200, &key(&row_path, "id"))?;
            if !row_ids.insert(id) {
                return Err(GraphError::invalid_value(format!("Row ids must be unique; {row_path} repeats \"{id}\".")));
            }
            max_chars(req_text(r, &row_path, "title")?, 24, &key(&row_path, "title"))?;
            if let Some(d) = opt_str(r, &row_path, "description")? {
                max_chars(d, 72, &key(&row_path, "description"))?;
            }
        }
        rows_total += rows.len();
    }
    if rows_total > 10 {
        return Err(GraphError::invalid_value(format!("A list can have at most 10 rows in total; got {rows_total}.")));
    }
    Ok(())
}

fn flow(action: &Object) -> Result<()> {
    const P: &str = "interactive['action']['parameters']";
    named_action(action, "flow")?;
    let p = as_object(req(action, "interactive['action']", "parameters")?, P)?;
    match req(p, P, "flow_message_version")? {
        Value::String(v) if v == "3" => {}
        other => return Err(one_of(&key(P, "flow_message_version"), &["3"], other)),
    }
    match (opt_str(p, P, "flow_id")?, opt_str(p, P, "flow_name")?) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_value(format!(
                "Param {P} must contain only one of 'flow_id' or 'flow_name'."
            )));
        }
        (None, None) => {
            return Err(GraphError::missing(format!("The parameter {P}['flow_id'] or {P}['flow_name'] is required.")));
        }
        _ => {}
    }
    opt_str(p, P, "flow_token")?;
    // Meta's OpenAPI advises ≤30; the emulator accepts that (REFERENCE.md §2.4).
    let cta = req_text(p, P, "flow_cta")?;
    max_chars(cta, 30, &key(P, "flow_cta"))?;
    if cta.chars().any(is_emoji) {
        return Err(GraphError::invalid_value(format!("Param {} must not contain emoji.", key(P, "flow_cta"))));
    }
    if let Some(mode) = field(p, "mode") {
        match mode {
            Value::String(m) if m == "draft" || m == "published" => {}
            other => return Err(one_of(&key(P, "mode"), &["draft", "published"], other)),
        }
    }
    let navigate = match field(p, "flow_action") {
        None => true,
        Some(Value::String(a)) if a == "navigate" => true,
        Some(Value::String(a)) if a == "data_exchange" => false,
        Some(other) => return Err(one_of(&key(P, "flow_action"), &["navigate", "data_exchange"], other)),
    };
    if let Some(payload) = field(p, "flow_action_payload") {
        let path = key(P, "flow_action_payload");
        let payload = as_object(payload, &path)?;
        if navigate {
            req_text(payload, &path, "screen")?;
        }
        if let Some(data) = field(payload, "data") {
            let data_path = key(&path, "data");
            if as_object(data, &data_path)?.is_empty() {
                return Err(GraphError::invalid_value(format!("Param {data_path} must not be empty when present.")));
            }
        }
    }
    Ok(())
}

/// A rough emoji test: the pictographic and symbol blocks.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F)
}

fn product_list(action: &Object) -> Result<()> {
    const A: &str = "interactive['action']";
    req_text(action, A, "catalog_id")?;
    let sections_path = key(A, "sections");
    let sections = as_array(req(action, A, "sections")?, &sections_path)?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::invalid_value(format!(
            "Param {sections_path} must have between 1 and 10 sections; got {}.",
            sections.len()
        )));
    }
    let mut total = 0;
    for (i, s) in sections.iter().enumerate() {
        let path = format!("{sections_path}[{i}]");
        let s = as_object(s, &path)?;
        max_chars(req_text(s, &path, "title")?, 24, &key(&path, "title"))?;
        let items_path = key(&path, "product_items");
        let items = as_array(req(s, &path, "product_items")?, &items_path)?;
        if items.is_empty() {
            return Err(GraphError::invalid_value(format!("Param {items_path} must have at least one product.")));
        }
        for (j, item) in items.iter().enumerate() {
            let item_path = format!("{items_path}[{j}]");
            req_text(as_object(item, &item_path)?, &item_path, "product_retailer_id")?;
        }
        total += items.len();
    }
    if total > 30 {
        return Err(GraphError::invalid_value(format!(
            "A product list can have at most 30 products in total; got {total}."
        )));
    }
    Ok(())
}

// === template sends (§4.6) ===

const COMPONENT_TYPES: &[&str] = &["header", "body", "button", "carousel", "limited_time_offer"];
const PARAM_TYPES: &[&str] = &[
    "text",
    "currency",
    "date_time",
    "image",
    "video",
    "document",
    "location",
    "payload",
    "coupon_code",
    "action",
    "limited_time_offer",
    "product",
];

fn template(v: &Value, refs: &mut Vec<MediaRef>) -> Result<TemplateSend> {
    const P: &str = "template";
    let t = as_object(v, P)?;
    let name = req_text(t, P, "name")?.to_owned();
    let language_path = key(P, "language");
    let language = as_object(req(t, P, "language")?, &language_path)?;
    let code = req_text(language, &language_path, "code")?.to_owned();
    if let Some(policy) = field(language, "policy") {
        match policy {
            Value::String(p) if p == "deterministic" => {}
            other => return Err(one_of(&key(&language_path, "policy"), &["deterministic"], other)),
        }
    }
    let mut components = Vec::new();
    if let Some(list) = field(t, "components") {
        let list_path = key(P, "components");
        for (i, c) in as_array(list, &list_path)?.iter().enumerate() {
            components.push(template_component(c, &format!("{list_path}[{i}]"), refs)?);
        }
    }
    Ok(TemplateSend { name, language: code, components })
}

fn template_component(v: &Value, path: &str, refs: &mut Vec<MediaRef>) -> Result<SendComponent> {
    let c = as_object(v, path)?;
    let type_path = key(path, "type");
    let kind = match req(c, path, "type")? {
        Value::String(t) if COMPONENT_TYPES.contains(&t.to_ascii_lowercase().as_str()) => t.to_ascii_lowercase(),
        other => return Err(one_of(&type_path, COMPONENT_TYPES, other)),
    };
    let kind = match kind.as_str() {
        "header" => SendComponentKind::Header,
        "body" => SendComponentKind::Body,
        "button" => {
            let sub_type = req_text(c, path, "sub_type")?.to_ascii_lowercase();
            // Meta's own examples send the index both as "0" and as 0.
            let index = match req(c, path, "index")? {
                Value::String(s) => s.trim().parse::<usize>().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                _ => None,
            };
            match index {
                Some(index) if index <= 9 => SendComponentKind::Button { sub_type, index },
                _ => {
                    return Err(GraphError::invalid_value(format!(
                        "Param {} must be an index from 0 to 9.",
                        key(path, "index")
                    )));
                }
            }
        }
        _ => SendComponentKind::Other,
    };
    let mut params = Vec::new();
    if let Some(list) = field(c, "parameters") {
        let list_path = key(path, "parameters");
        for (j, p) in as_array(list, &list_path)?.iter().enumerate() {
            let param_path = format!("{list_path}[{j}]");
            params.push(template_param(p, &param_path, &kind, refs)?);
        }
    }
    Ok(SendComponent { kind, params })
}

fn template_param(v: &Value, path: &str, component: &SendComponentKind, refs: &mut Vec<MediaRef>) -> Result<SendParam> {
    let p = as_object(v, path)?;
    let kind = match req(p, path, "type")? {
        Value::String(t) if PARAM_TYPES.contains(&t.as_str()) => t.clone(),
        other => return Err(one_of(&key(path, "type"), PARAM_TYPES, other)),
    };
    match kind.as_str() {
        "text" => {
            let text = req_text(p, path, "text")?;
            let max = if *component == SendComponentKind::Header { 60 } else { 32768 };
            max_chars(text, max, &key(path, "text"))?;
        }
        "currency" => {
            let cp = key(path, "currency");
            let cur = as_object(req(p, path, "currency")?, &cp)?;
            req_text(cur, &cp, "fallback_value")?;
            let code = req_text(cur, &cp, "code")?;
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(GraphError::invalid_value(format!("Param {} must be an ISO 4217 code.", key(&cp, "code"))));
            }
            match req(cur, &cp, "amount_1000")? {
                Value::Number(n) if n.as_i64().is_some_and(|a| a > 0) => {}
                _ => {
                    return Err(GraphError::invalid_value(format!(
                        "Param {} must be a positive integer.",
                        key(&cp, "amount_1000")
                    )));
                }
            }
        }
        "date_time" => {
            let dp = key(path, "date_time");
            req_text(as_object(req(p, path, "date_time")?, &dp)?, &dp, "fallback_value")?;
        }
        "image" | "video" | "document" => {
            let used_as = match kind.as_str() {
                "image" => MediaUse::Image,
                "video" => MediaUse::Video,
                _ => MediaUse::Document,
            };
            let options = if used_as == MediaUse::Document { MediaOptions::DOCUMENT } else { MediaOptions::CAPTION };
            refs.extend(media(req(p, path, &kind)?, &key(path, &kind), used_as, options)?);
        }
        "location" => {
            let lp = key(path, "location");
            location(as_object(req(p, path, "location")?, &lp)?, &lp)?;
        }
        "payload" => {
            req_text(p, path, "payload")?;
        }
        "coupon_code" => {
            max_chars(req_text(p, path, "coupon_code")?, 15, &key(path, "coupon_code"))?;
        }
        _ => {
            // action, limited_time_offer, product: an object named after the type.
            as_object(req(p, path, &kind)?, &key(path, &kind))?;
        }
    }
    let name = opt_str(p, path, "parameter_name")?.map(str::to_owned);
    Ok(SendParam { kind, name })
}

// === helpers ===

/// `parent['key']`, or `key` at the top level.
pub(crate) fn key(parent: &str, k: &str) -> String {
    if parent.is_empty() { k.to_owned() } else { format!("{parent}['{k}']") }
}

/// A present, non-null field.
fn field<'a>(o: &'a Object, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

fn req<'a>(o: &'a Object, parent: &str, k: &str) -> Result<&'a Value> {
    field(o, k).ok_or_else(|| GraphError::missing_param(&key(parent, k)))
}

/// A required, non-blank string.
fn req_text<'a>(o: &'a Object, parent: &str, k: &str) -> Result<&'a str> {
    match req(o, parent, k)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        Value::String(_) => Err(GraphError::missing_param(&key(parent, k))),
        _ => Err(GraphError::invalid_param(format!("Param {} must be a string.", key(parent, k)))),
    }
}

fn opt_str<'a>(o: &'a Object, parent: &str, k: &str) -> Result<Option<&'a str>> {
    match field(o, k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GraphError::invalid_param(format!("Param {} must be a string.", key(parent, k)))),
    }
}

fn opt_bool(o: &Object, parent: &str, k: &str) -> Result<Option<bool>> {
    match field(o, k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(GraphError::invalid_param(format!("Param {} must be a boolean.", key(parent, k)))),
    }
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Object> {
    v.as_object().ok_or_else(|| GraphError::invalid_param(format!("Param {path} must be a JSON object.")))
}

fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| GraphError::invalid_param(format!("Param {path} must be an array.")))
}

fn max_chars(s: &str, max: usize, path: &str) -> Result<()> {
    let n = s.chars().count();
    if n > max {
        return Err(GraphError::invalid_value(format!("Param {path} must be at most {max} characters long; got {n}.")));
    }
    Ok(())
}

/// 100 for a value outside an enumeration, in Graph's wording.
fn one_of(path: &str, allowed: &[&str], got: &Value) -> GraphError {
    let allowed: Vec<String> = allowed.iter().map(|a| a.to_ascii_uppercase()).collect();
    GraphError::invalid_param(format!("Param {path} must be one of {{{}}} - got {got}.", allowed.join(", ")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn send(body: Value) -> Send {
        match message_request(&body) {
            Ok(Request::Send(s)) => s,
            other => panic!("expected a send, got {other:?}"),
        }
    }

    fn err(body: Value) -> GraphError {
        match message_request(&body) {
            Err(e) => e,
            Ok(ok) => panic!("expected an error, got {ok:?}"),
        }
    }

    fn code_and_details(body: Value) -> (i64, String) {
        let e = err(body);
        (e.code, e.details.unwrap_or_default())
    }

    fn msg(kind: &str, object: Value) -> Value {
        json!({"messaging_product":"whatsapp","to":"+1 (415) 555-0123","type":kind, kind: object})
    }

    #[test]
    fn a_text_message_is_valid_and_the_number_is_normalized() {
        let s = send(msg("text", json!({"body":"hi","preview_url":true})));
        assert_eq!(s.recipient, Recipient::Phone { input: "+1 (415) 555-0123".into(), wa_id: "14155550123".into() });
        assert_eq!(wa_id_of("5215512345678".into()), "525512345678", "Mexico drops the mobile 1");
        assert_eq!(wa_id_of("525512345678".into()), "525512345678");
        assert_eq!(s.kind, "text");
    }

    #[test]
    fn type_defaults_to_text_and_recipient_type_to_individual() {
        let s = send(json!({"messaging_product":"whatsapp","to":"14155550123","text":{"body":"hi"}}));
        assert_eq!(s.kind, "text");
    }

    #[test]
    fn messaging_product_is_required() {
        assert_eq!(code_and_details(json!({"to":"14155550123","text":{"body":"x"}})).0, 100);
        assert_eq!(code_and_details(json!({"messaging_product":"sms","to":"1415555","text":{"body":"x"}})).0, 100);
    }

    #[test]
    fn a_missing_text_body_is_131008_like_the_sample() {
        assert_eq!(
            code_and_details(msg("text", json!({}))),
            (131008, "The parameter text['body'] is required.".into())
        );
        assert_eq!(code_and_details(msg("text", json!({"body":""}))).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","to":"14155550123","type":"text"})).0,
            131008
        );
    }

    #[test]
    fn text_is_limited_to_4096_characters() {
        assert!(message_request(&msg("text", json!({"body":"é".repeat(4096)}))).is_ok());
        let (code, details) = code_and_details(msg("text", json!({"body":"x".repeat(4097)})));
        assert_eq!(code, 131009);
        assert!(details.contains("text['body']"), "{details}");
    }

    #[test]
    fn bad_recipients_are_rejected() {
        let (code, details) = code_and_details(json!({"messaging_product":"whatsapp","to":"12ab","text":{"body":"x"}}));
        assert_eq!((code, details.as_str()), (100, "Parameter 'to' is not a valid phone number."));
        assert_eq!(code_and_details(json!({"messaging_product":"whatsapp","text":{"body":"x"}})).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","to":"1234567890123456","text":{"body":"x"}})).0,
            100
        );
    }

    #[test]
    fn bsuids_are_accepted_in_to_or_recipient() {
        let s = send(json!({"messaging_product":"whatsapp","recipient":"US.13491208655302741918","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::User { ref user_id, .. } if user_id == "US.13491208655302741918"));
        let s = send(json!({"messaging_product":"whatsapp","to":"US.1349","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::User { .. }));
        let s = send(json!({"messaging_product":"whatsapp","to":"14155550123","recipient":"US.1","text":{"body":"x"}}));
        assert!(matches!(s.recipient, Recipient::Phone { .. }));
    }

    #[test]
    fn unknown_types_are_100() {
        let (code, details) = code_and_details(msg("poll", json!({})));
        assert_eq!(code, 100);
        assert!(details.starts_with("Param type must be one of"), "{details}");
    }

    #[test]
    fn media_takes_exactly_one_of_id_or_link() {
        let s = send(msg("image", json!({"id":"123","caption":"c"})));
        assert_eq!(s.media, vec![MediaRef { path: "image['id']".into(), id: "123".into(), used_as: MediaUse::Image }]);
        assert!(send(msg("image", json!({"link":"https://x.example/a.jpg"}))).media.is_empty());
        assert_eq!(code_and_details(msg("image", json!({"id":"1","link":"https://x.example/a.jpg"}))).0, 131009);
        assert_eq!(code_and_details(msg("image", json!({"caption":"c"}))).0, 131008);
        assert_eq!(code_and_details(msg("image", json!({"link":"ftp://x"}))).0, 131009);
        assert_eq!(code_and_details(msg("video", json!({"id":"1","caption":"x".repeat(1025)}))).0, 131009);
        assert_eq!(code_and_details(msg("audio", json!({"id":"1","caption":"no"}))).0, 100);
        assert!(send(msg("audio", json!({"id":"1","voice":true}))).voice);
        assert!(message_request(&msg("document", json!({"id":"1","filename":"a.pdf","caption":"c"}))).is_ok());
    }

    #[test]
    fn locations_accept_strings_and_numbers() {
        assert!(message_request(&msg("location", json!({"latitude":"37.44","longitude":"-122.16"}))).is_ok());
        assert!(message_request(&msg("location", json!({"latitude":37.44,"longitude":-122.16,"name":"n"}))).is_ok());
        assert_eq!(code_and_details(msg("location", json!({"latitude":"north","longitude":1}))).0, 100);
        assert_eq!(code_and_details(msg("location", json!({"latitude":91,"longitude":1}))).0, 131009);
        assert_eq!(code_and_details(msg("location", json!({"latitude":1}))).0, 131008);
    }

    #[test]
    fn contacts_need_a_formatted_name() {
        let ok = json!([{"name":{"formatted_name":"Ana","first_name":"Ana"},"phones":[{"phone":"+1 415","type":"CELL"}],"birthday":"1990-07-15"}]);
        assert!(message_request(&msg("contacts", ok)).is_ok());
        let (code, details) = code_and_details(msg("contacts", json!([{"name":{"first_name":"Ana"}}])));
        assert_eq!(
            (code, details.as_str()),
            (131008, "The parameter contacts[0]['name']['formatted_name'] is required.")
        );
        assert_eq!(
            code_and_details(msg("contacts", json!([{"name":{"formatted_name":"A"},"birthday":"15/07/1990"}]))).0,
            131009
        );
    }

    fn buttons(n: usize) -> Value {
        let list: Vec<Value> = (0..n)
            .map(|i| json!({"type":"reply","reply":{"id":format!("id{i}"),"title":format!("Title {i}")}}))
            .collect();
        json!({"type":"button","body":{"text":"pick"},"action":{"buttons":list}})
    }

    #[test]
    fn reply_buttons_are_one_to_three_with_unique_short_titles() {
        assert!(message_request(&msg("interactive", buttons(3))).is_ok());
        let (code, details) = code_and_details(msg("interactive", buttons(4)));
        assert_eq!(code, 131009);
        assert!(details.contains("interactive['action']['buttons']"), "{details}");
        assert_eq!(code_and_details(msg("interactive", buttons(0))).0, 131009);
        let mut dup = buttons(2);
        dup["action"]["buttons"][1]["reply"]["title"] = json!("Title 0");
        assert_eq!(code_and_details(msg("interactive", dup)).0, 131009);
        let mut long = buttons(1);
        long["action"]["buttons"][0]["reply"]["title"] = json!("x".repeat(21));
        let (code, details) = code_and_details(msg("interactive", long));
        assert_eq!(code, 131009);
        assert!(details.contains("interactive['action']['buttons'][0]['reply']['title']"), "{details}");
        let mut spaced = buttons(1);
        spaced["action"]["buttons"][0]["reply"]["id"] = json!(" a");
        assert_eq!(code_and_details(msg("interactive", spaced)).0, 131009);
        let mut no_body = buttons(1);
        no_body.as_object_mut().map(|o| o.remove("body"));
        assert_eq!(code_and_details(msg("interactive", no_body)).0, 131008);
    }

    fn list_message(sections: usize, rows_each: usize, body: &str) -> Value {
        let sections: Vec<Value> = (0..sections)
            .map(|s| {
                let rows: Vec<Value> =
                    (0..rows_each).map(|r| json!({"id":format!("r{s}-{r}"),"title":"Row","description":"d"})).collect();
                json!({"title":format!("S{s}"),"rows":rows})
            })
            .collect();
        json!({"type":"list","header":{"type":"text","text":"h"},"body":{"text":body},
            "action":{"button":"Choose","sections":sections}})
    }

    #[test]
    fn lists_allow_ten_rows_and_a_4096_body() {
        assert!(message_request(&msg("interactive", list_message(2, 5, &"b".repeat(4096)))).is_ok());
        assert_eq!(code_and_details(msg("interactive", list_message(2, 6, "b"))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", list_message(11, 0, "b"))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", list_message(1, 1, &"b".repeat(4097)))).0, 131009);
        let mut media_header = list_message(1, 1, "b");
        media_header["header"] = json!({"type":"image","image":{"link":"https://x.example/a.jpg"}});
        assert_eq!(code_and_details(msg("interactive", media_header)).0, 100);
        let mut untitled = list_message(2, 1, "b");
        untitled["action"]["sections"][1].as_object_mut().map(|o| o.remove("title"));
        assert_eq!(code_and_details(msg("interactive", untitled)).0, 131008);
    }

    #[test]
    fn cta_urls_and_flows_follow_their_limits() {
        let cta = |text: &str| {
            json!({"type":"cta_url","header":{"type":"image","image":{"id":"9"}},"body":{"text":"b"},
                "action":{"name":"cta_url","parameters":{"display_text":text,"url":"https://x.example"}}})
        };
        let s = send(msg("interactive", cta("Open")));
        assert_eq!(s.media.len(), 1);
        assert_eq!(code_and_details(msg("interactive", cta(&"x".repeat(21)))).0, 131009);

        let flow = |cta: &str| {
            json!({"type":"flow","body":{"text":"b"},"action":{"name":"flow","parameters":{
                "flow_message_version":"3","flow_id":"1","flow_cta":cta,"flow_action":"navigate",
                "flow_action_payload":{"screen":"WELCOME","data":{"k":"v"}}}}})
        };
        assert!(message_request(&msg("interactive", flow(&"x".repeat(30)))).is_ok());
        assert_eq!(code_and_details(msg("interactive", flow(&"x".repeat(31)))).0, 131009);
        assert_eq!(code_and_details(msg("interactive", flow("Go 🚀"))).0, 131009);
        let mut both = flow("Go");
        both["action"]["parameters"]["flow_name"] = json!("n");
        assert_eq!(code_and_details(msg("interactive", both)).0, 131009);
        let mut empty_data = flow("Go");
        empty_data["action"]["parameters"]["flow_action_payload"]["data"] = json!({});
        assert_eq!(code_and_details(msg("interactive", empty_data)).0, 131009);
    }

    #[test]
    fn other_interactive_kinds() {
        let loc = json!({"type":"location_request_message","body":{"text":"where?"},"action":{"name":"send_location"}});
        assert!(message_request(&msg("interactive", loc)).is_ok());
        let product = json!({"type":"product","action":{"catalog_id":"1","product_retailer_id":"sku"}});
        assert!(message_request(&msg("interactive", product)).is_ok());
        let with_header = json!({"type":"product","header":{"type":"text","text":"h"},
            "action":{"catalog_id":"1","product_retailer_id":"sku"}});
        assert_eq!(code_and_details(msg("interactive", with_header)).0, 100);
        let items: Vec<Value> = (0..31).map(|i| json!({"product_retailer_id":format!("s{i}")})).collect();
        let plist = json!({"type":"product_list","header":{"type":"text","text":"h"},"body":{"text":"b"},
            "action":{"catalog_id":"1","sections":[{"title":"All","product_items":items}]}});
        assert_eq!(code_and_details(msg("interactive", plist)).0, 131009);
        assert_eq!(code_and_details(msg("interactive", json!({"type":"carousel_x","action":{}}))).0, 100);
    }

    #[test]
    fn reactions_may_remove_with_an_empty_emoji() {
        assert!(message_request(&msg("reaction", json!({"message_id":"wamid.X","emoji":""}))).is_ok());
        assert_eq!(code_and_details(msg("reaction", json!({"message_id":"wamid.X"}))).0, 131008);
    }

    #[test]
    fn templates_parse_components_and_parameters() {
        let body = json!({"name":"order_shipped","language":{"code":"en_US","policy":"deterministic"},"components":[
            {"type":"header","parameters":[{"type":"image","image":{"id":"55"}}]},
            {"type":"body","parameters":[{"type":"text","text":"Ana"},
                {"type":"currency","currency":{"fallback_value":"$1","code":"USD","amount_1000":1000}},
                {"type":"date_time","date_time":{"fallback_value":"July 15"}}]},
            {"type":"button","sub_type":"URL","index":0,"parameters":[{"type":"text","text":"8F3K2"}]},
            {"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP"}]}]});
        let s = send(msg("template", body));
        let t = s.template.expect("template");
        assert_eq!((t.name.as_str(), t.language.as_str()), ("order_shipped", "en_US"));
        assert_eq!(t.components.len(), 4);
        assert_eq!(t.components[2].kind, SendComponentKind::Button { sub_type: "url".into(), index: 0 });
        assert_eq!(s.media.len(), 1);
        assert_eq!(code_and_details(msg("template", json!({"name":"x"}))).0, 131008);
        assert_eq!(
            code_and_details(msg(
                "template",
                json!({"name":"x","language":{"code":"en"},"components":[{"type":"body",
                "parameters":[{"type":"text","text":""}]}]})
            ))
            .0,
            131008
        );
        assert_eq!(
            code_and_details(msg(
                "template",
                json!({"name":"x","language":{"code":"en"},"components":[{"type":"footer"}]})
            ))
            .0,
            100
        );
    }

    #[test]
    fn mark_read_with_and_without_typing() {
        let m = message_request(&json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.A",
            "typing_indicator":{"type":"text"}}));
        assert_eq!(m, Ok(Request::MarkRead(MarkRead { message_id: "wamid.A".into(), typing_indicator: true })));
        assert_eq!(code_and_details(json!({"messaging_product":"whatsapp","status":"read"})).0, 131008);
        assert_eq!(
            code_and_details(json!({"messaging_product":"whatsapp","status":"delivered","message_id":"w"})).0,
            100
        );
        assert_eq!(
            code_and_details(
                json!({"messaging_product":"whatsapp","status":"read","message_id":"w","typing_indicator":{"type":"x"}})
            )
            .0,
            100
        );
    }

    #[test]
    fn callback_data_is_limited_to_512() {
        let mut m = msg("text", json!({"body":"x"}));
        m["biz_opaque_callback_data"] = json!("c".repeat(512));
        assert_eq!(send(m.clone()).biz_opaque_callback_data.map(|d| d.len()), Some(512));
        m["biz_opaque_callback_data"] = json!("c".repeat(513));
        assert_eq!(code_and_details(m).0, 131009);
    }
}
