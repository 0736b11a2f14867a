//! Template sends checked before Meta sees them: the approved-template cache
//! and the placeholder check.
//!
//! Guarantees:
//! - A template send names a template that exists in its language
//!   (NOT_FOUND otherwise), that is APPROVED (FAILED_PRECONDITION otherwise),
//!   and fills exactly its placeholders: the header's text placeholder or
//!   media, the body's placeholders (their count when POSITIONAL, their exact
//!   names when NAMED) and each dynamic button by index and sub-type
//!   (INVALID_ARGUMENT naming `content.template.…` otherwise).
//! - Only APPROVED templates are cached, keyed by (WABA, name, language). A
//!   miss (or an entry older than the cache's max age) asks Graph, listing by
//!   name. A template status or category event for a key evicts it as it
//!   passes the bus; an invalidation that happens while a lookup is in flight
//!   keeps that lookup's (possibly stale) answer out of the cache.
//! - Edits and deletions made through this gateway evict at once
//!   ([`TemplateCache::forget_id`], [`TemplateCache::forget_name`]); other
//!   replicas learn of edits from the status events, and of deletions (which
//!   Meta posts no event for) from Meta's own refusal or the max age.
//! - The cache only stores while its invalidator is subscribed to the bus
//!   ([`TemplateCache::run_invalidator`]): without one, or after the
//!   subscription broke (and the cache was cleared), every send asks Graph.
//! - When Graph cannot be asked (an outage, a token without template
//!   permission), or when more templates match the name than a lookup reads
//!   ([`LOOKUP_PAGES`] pages: Graph's name filter matches parts of names), the
//!   send is not blocked: Meta checks it anyway, and the failure is logged.
//! - [`placeholders`] is the gateway's one reading of `{{…}}` placeholders;
//!   template creation ([`crate::grpc::template_convert`]) checks the names
//!   it yields.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use futures_util::StreamExt as _;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{
    bus::{Bus, Filter, Start},
    error::{Error, FieldViolation},
    graph::{self, GraphTemplate, TemplateQuery, vocab},
    pb::{self, template_parameter::Value as ParamValue},
};

/// How long an approved template is trusted without an event about it.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// The page size of a lookup by name.
const LOOKUP_PAGE: u32 = 100;
/// The most pages a lookup by name reads.
pub const LOOKUP_PAGES: u32 = 5;

/// The field of a send that holds the template.
const FIELD: &str = "content.template";

// === the shape of a template ===

/// What a template send must fill, read from the template's components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateShape {
    /// The template id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The language code.
    pub language: String,
    /// The status, as Graph spells it (APPROVED, PENDING, PAUSED, …).
    pub status: String,
    /// Whether its placeholders are named (`{{first_name}}`) rather than positional.
    pub named: bool,
    /// The header.
    pub header: HeaderShape,
    /// The body's placeholders, distinct, in order of first appearance.
    pub body: Vec<String>,
    /// The buttons, by index.
    pub buttons: Vec<ButtonShape>,
}

/// What a template's header takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderShape {
    /// No header.
    None,
    /// A text header, with its placeholder if it has one.
    Text(Option<String>),
    /// A media header: `image`, `video` or `document`.
    Media(&'static str),
    /// A location header.
    Location,
    /// A format the check does not know (e.g. PRODUCT): not checked.
    Other,
}

/// One button of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonShape {
    /// A quick reply: an optional payload.
    QuickReply,
    /// A URL; `dynamic` when it ends in `{{1}}` and so needs a value.
    Url {
        /// Whether the URL has a placeholder.
        dynamic: bool,
    },
    /// A copy-code button: needs a coupon code.
    CopyCode,
    /// A flow button: an optional action.
    Flow,
    /// A catalog or multi-product button: an optional action.
    Catalog,
    /// Any other (phone number, voice call, …): takes nothing.
    Static(String),
}

impl TemplateShape {
    /// Reads the shape of a template as Graph returns it.
    pub fn from_graph(t: &GraphTemplate) -> Self {
        let kind = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
        let text_vars = |c: &Value| c.get("text").and_then(Value::as_str).map(placeholders).unwrap_or_default();
        let mut shape = Self {
            id: t.id.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            status: t.status.to_ascii_uppercase(),
            named: false,
            header: HeaderShape::None,
            body: Vec::new(),
            buttons: Vec::new(),
        };
        let mut all_vars = Vec::new();
        for c in &t.components {
            match kind(c, "type").as_str() {
                "HEADER" => {
                    shape.header = match kind(c, "format").as_str() {
                        "TEXT" => {
                            let vars = text_vars(c);
                            all_vars.extend(vars.iter().cloned());
                            HeaderShape::Text(vars.into_iter().next())
                        }
                        "IMAGE" => HeaderShape::Media("image"),
                        "VIDEO" | "GIF" => HeaderShape::Media("video"),
                        "DOCUMENT" => HeaderShape::Media("document"),
                        "LOCATION" => HeaderShape::Location,
                        _ => HeaderShape::Other,
                    };
                }
                "BODY" => {
                    shape.body = text_vars(c);
                    all_vars.extend(shape.body.iter().cloned());
                }
                "BUTTONS" => {
                    let buttons = c.get("buttons").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                    shape.buttons = buttons
                        .iter()
                        .map(|b| match kind(b, "type").as_str() {
                            "QUICK_REPLY" => ButtonShape::QuickReply,
                            "URL" | "OTP" => ButtonShape::Url {
                                dynamic: kind(b, "type") == "OTP"
                                    || b.get("url")
                                        .and_then(Value::as_str)
                                        .is_some_and(|u| !placeholders(u).is_empty()),
                            },
                            "COPY_CODE" => ButtonShape::CopyCode,
                            "FLOW" => ButtonShape::Flow,
                            "CATALOG" | "MPM" => ButtonShape::Catalog,
                            other => ButtonShape::Static(other.to_owned()),
                        })
                        .collect();
                }
                _ => {}
            }
        }
        shape.named = match vocab::parameter_format_from_graph(t.parameter_format.as_deref()) {
            pb::TemplateParameterFormat::Named => true,
            pb::TemplateParameterFormat::Positional => false,
            pb::TemplateParameterFormat::Unspecified => all_vars.iter().any(|v| !v.bytes().all(|b| b.is_ascii_digit())),
        };
        shape
    }

    /// Whether it can be sent.
    pub fn is_approved(&self) -> bool {
        vocab::template_status_from_graph(&self.status) == pb::TemplateStatus::Approved
    }

    fn label(&self) -> String {
        format!("template {} ({})", self.name, self.language)
    }
}

/// A `{{` that no `}}` closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedPlaceholder;

/// Every `{{…}}` placeholder of `text` as written (trimmed, possibly empty),
/// in order, repeats included; a `{{` that is never closed ends the scan
/// with [`UnclosedPlaceholder`].
pub fn scan_placeholders(text: &str) -> impl Iterator<Item = Result<&str, UnclosedPlaceholder>> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let Some(open) = current.find("{{") else {
            rest = None;
            return None;
        };
        let after = &current[open + 2..];
        match after.find("}}") {
            Some(close) => {
                rest = Some(&after[close + 2..]);
                Some(Ok(after[..close].trim()))
            }
            None => {
                rest = None;
                Some(Err(UnclosedPlaceholder))
            }
        }
    })
}

/// The distinct, non-empty placeholders of `text`, in order of first
/// appearance, up to an unclosed `{{`. Lenient, as Meta already accepted the
/// templates this reads; creation checks the names first.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for name in scan_placeholders(text).map_while(Result::ok) {
        if !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    }
    found
}

fn braces(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| braces(n)).collect::<Vec<_>>().join(", ")
}

// === the placeholder check ===

/// Checks a send's values against an approved template's placeholders;
/// every mismatch is reported, under its `content.template.…` path.
pub fn check_send(shape: &TemplateShape, send: &pb::TemplateMessage) -> Result<(), Vec<FieldViolation>> {
    let mut violations = Vec::new();
    check_header(shape, send, &mut violations);
    check_body(shape, send, &mut violations);
    check_buttons(shape, send, &mut violations);
    if violations.is_empty() { Ok(()) } else { Err(violations) }
}

fn value_kind(p: &pb::TemplateParameter) -> &'static str {
    match p.value {
        Some(ParamValue::Text(_)) => "text",
        Some(ParamValue::Currency(_)) => "currency",
        Some(ParamValue::DateTime(_)) => "date_time",
        Some(ParamValue::Image(_)) => "image",
        Some(ParamValue::Video(_)) => "video",
        Some(ParamValue::Document(_)) => "document",
        Some(ParamValue::Location(_)) => "location",
        None => "nothing",
    }
}

fn is_text_like(p: &pb::TemplateParameter) -> bool {
    matches!(p.value, Some(ParamValue::Text(_) | ParamValue::Currency(_) | ParamValue::DateTime(_)))
}

fn check_header(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    let field = format!("{FIELD}.header_parameters");
    let params = &send.header_parameters;
    let label = shape.label();
    let expect_one = |what: &str, out: &mut Vec<FieldViolation>| {
        if params.len() != 1 {
            out.push(FieldViolation::new(
                &field,
                format!("{label} has {what}: send exactly one header value, got {}", params.len()),
            ));
            false
        } else {
            true
        }
    };
    match &shape.header {
        HeaderShape::Other => {}
        HeaderShape::None if !params.is_empty() => out.push(FieldViolation::new(
            &field,
            format!("{label} has no header placeholder: send no header values, got {}", params.len()),
        )),
        HeaderShape::Text(None) if !params.is_empty() => out.push(FieldViolation::new(
            &field,
            format!("{label} has a fixed text header: send no header values, got {}", params.len()),
        )),
        HeaderShape::None | HeaderShape::Text(None) => {}
        HeaderShape::Text(Some(var)) => {
            if !expect_one(&format!("a text header with the placeholder {}", braces(var)), out) {
                return;
            }
            let p = &params[0];
            if !is_text_like(p) {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!("{label} has a text header: send text, got {}", value_kind(p)),
                ));
            }
            if shape.named && p.parameter_name != *var {
                out.push(FieldViolation::new(
                    format!("{field}[0].parameter_name"),
                    format!("{label} names its header placeholder {}; got {:?}", braces(var), p.parameter_name),
                ));
            }
        }
        HeaderShape::Media(kind) => {
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            if expect_one(&format!("{article} {kind} header"), out) && value_kind(&params[0]) != *kind {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!(
                        "{label} has {article} {kind} header: send {article} {kind}, got {}",
                        value_kind(&params[0])
                    ),
                ));
            }
        }
        HeaderShape::Location => {
            if expect_one("a location header", out) && value_kind(&params[0]) != "location" {
                out.push(FieldViolation::new(
                    format!("{field}[0]"),
                    format!("{label} has a location header: send a location, got {}", value_kind(&params[0])),
                ));
            }
        }
    }
}

fn check_body(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    let field = format!("{FIELD}.body_parameters");
    let params = &send.body_parameters;
    let label = shape.label();
    let vars: Vec<&str> = shape.body.iter().map(String::as_str).collect();
    if !shape.named {
        if params.len() != vars.len() {
            out.push(FieldViolation::new(
                &field,
                format!(
                    "{label} has {} body placeholder(s){}: send {} value(s) in order, got {}",
                    vars.len(),
                    if vars.is_empty() { String::new() } else { format!(" ({})", list(&vars)) },
                    vars.len(),
                    params.len()
                ),
            ));
        }
        for (i, p) in params.iter().enumerate().filter(|(_, p)| !p.parameter_name.is_empty()) {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{label} is POSITIONAL: leave parameter_name empty, got {:?}", p.parameter_name),
            ));
        }
        return;
    }
    let expected: HashSet<&str> = vars.iter().copied().collect();
    let mut given = HashSet::new();
    for (i, p) in params.iter().enumerate() {
        let name = p.parameter_name.as_str();
        if name.is_empty() {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{label} is NAMED: name the placeholder this value fills ({})", list(&vars)),
            ));
        } else if !expected.contains(name) {
            out.push(FieldViolation::new(
                format!("{field}[{i}].parameter_name"),
                format!("{} is not a body placeholder of {label}; it has {}", braces(name), list(&vars)),
            ));
        } else {
            given.insert(name);
        }
    }
    let missing: Vec<&str> = vars.iter().copied().filter(|v| !given.contains(v)).collect();
    if !missing.is_empty() {
        out.push(FieldViolation::new(&field, format!("{label} needs a value for {}", list(&missing))));
    }
}

fn check_buttons(shape: &TemplateShape, send: &pb::TemplateMessage, out: &mut Vec<FieldViolation>) {
    use pb::TemplateButtonSubType as Sub;

    let field = format!("{FIELD}.buttons");
    let label = shape.label();
    let mut given = HashSet::new();
    for (i, b) in send.buttons.iter().enumerate() {
        let Ok(index) = usize::try_from(b.index) else { continue };
        given.insert(index);
        let Some(button) = shape.buttons.get(index) else {
            out.push(FieldViolation::new(
                format!("{field}[{i}].index"),
                match shape.buttons.len() {
                    0 => format!("{label} has no buttons"),
                    n => format!("{label} has {n} button(s), indexes 0 to {}; got {index}", n - 1),
                },
            ));
            continue;
        };
        let sub = Sub::try_from(b.sub_type).unwrap_or(Sub::Unspecified);
        let fits = match button {
            ButtonShape::QuickReply => sub == Sub::QuickReply,
            ButtonShape::Url { dynamic: true } => sub == Sub::Url,
            ButtonShape::CopyCode => sub == Sub::CopyCode,
            ButtonShape::Flow => sub == Sub::Flow,
            ButtonShape::Catalog => sub == Sub::Catalog,
            ButtonShape::Url { dynamic: false } | ButtonShape::Static(_) => {
                out.push(FieldViolation::new(
                    format!("{field}[{i}]"),
                    format!("button {index} of {label} is {}: it takes no value", describe(button)),
                ));
                continue;
            }
        };
        if !fits && sub != Sub::Unspecified {
            out.push(FieldViolation::new(
                format!("{field}[{i}].sub_type"),
                format!(
                    "button {index} of {label} is {}; got sub_type {}",
                    describe(button),
                    sub.as_str_name().trim_start_matches("TEMPLATE_BUTTON_SUB_TYPE_")
                ),
            ));
        }
    }
    for (index, button) in shape.buttons.iter().enumerate() {
        let needed = matches!(button, ButtonShape::Url { dynamic: true } | ButtonShape::CopyCode);
        if needed && !given.contains(&index) {
            out.push(FieldViolation::new(
                &field,
                format!(
                    "button {index} of {label} is {} and needs a value: add a button with index {index}",
                    describe(button)
                ),
            ));
        }
    }
}

fn describe(button: &ButtonShape) -> String {
    match button {
        ButtonShape::QuickReply => "a QUICK_REPLY button".into(),
        ButtonShape::Url { dynamic: true } => "a URL button with a {{1}} suffix".into(),
        ButtonShape::Url { dynamic: false } => "a static URL button".into(),
        ButtonShape::CopyCode => "a COPY_CODE button".into(),
        ButtonShape::Flow => "a FLOW button".into(),
        ButtonShape::Catalog => "a CATALOG button".into(),
        ButtonShape::Static(kind) => format!("a {kind} button"),
    }
}

// === the cache ===

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    waba_id: String,
    name: String,
    language: String,
}

impl Key {
    fn new(waba_id: &str, name: &str, language: &str) -> Self {
        Self { waba_id: waba_id.to_owned(), name: name.to_owned(), language: language_key(language) }
    }
}

/// Language codes match across `en_US` / `en-US` spellings.
fn language_key(language: &str) -> String {
    language.trim().replace('-', "_")
}

struct Entry {
    shape: Arc<TemplateShape>,
    fetched: Instant,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Bumped by every invalidation: a lookup that started in an older epoch
    /// does not store its answer.
    epoch: u64,
    /// Whether an invalidator is subscribed to the bus.
    live: bool,
}

/// Why the templates of a name could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Graph failed.
    #[error(transparent)]
    Graph(#[from] graph::Error),
    /// More templates match the name than a lookup reads, so the one looked
    /// for may be on a page it did not read.
    #[error(
        "more than {max} templates match the name {name:?}; the lookup stopped after {LOOKUP_PAGES} pages",
        max = LOOKUP_PAGE * LOOKUP_PAGES
    )]
    TooManyMatches {
        /// The name looked up.
        name: String,
    },
}

/// What Graph knows about a (name, language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The template, in any status.
    Found(Arc<TemplateShape>),
    /// No template by that name in that language; the languages it has, if any.
    Missing {
        /// The other languages of the name.
        other_languages: Vec<String>,
    },
}

/// The approved templates of every account, as last seen.
pub struct TemplateCache {
    inner: Mutex<Inner>,
    max_age: Duration,
}

impl std::fmt::Debug for TemplateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("TemplateCache")
            .field("entries", &inner.entries.len())
            .field("live", &inner.live)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Default for TemplateCache {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_AGE)
    }
}

impl TemplateCache {
    /// An empty cache whose entries are trusted for `max_age`.
    pub fn new(max_age: Duration) -> Self {
        Self { inner: Mutex::default(), max_age }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many templates are cached.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks a template send of WABA `waba_id` before it goes to Meta: see
    /// the module guarantees.
    pub async fn check(&self, graph: &graph::Client, waba_id: &str, send: &pb::TemplateMessage) -> Result<(), Error> {
        let lookup = match self.lookup(graph, waba_id, &send.name, &send.language_code).await {
            Ok(lookup) => lookup,
            Err(e) => {
                tracing::warn!(error = %e, template = %send.name, "cannot look the template up; leaving the check to Meta");
                return Ok(());
            }
        };
        let shape = match lookup {
            Lookup::Missing { other_languages } => {
                let hint = if other_languages.is_empty() {
                    String::new()
                } else {
                    format!(" (it exists in {})", other_languages.join(", "))
                };
                return Err(Error::NotFound(format!(
                    "template {} does not exist in {} on WhatsApp Business Account {waba_id}{hint}",
                    send.name, send.language_code
                )));
            }
            Lookup::Found(shape) => shape,
        };
        if !shape.is_approved() {
            let why = match vocab::template_status_from_graph(&shape.status) {
                pb::TemplateStatus::Pending => "it is still under review",
                pb::TemplateStatus::Rejected => "Meta rejected it; edit it to have it reviewed again",
                pb::TemplateStatus::Paused => "Meta paused it for low quality",
                pb::TemplateStatus::Disabled => "Meta disabled it after repeated pauses",
                _ => "only APPROVED templates can be sent",
            };
            return Err(Error::Precondition {
                reason: "TEMPLATE_NOT_APPROVED",
                message: format!("{} is {}, not APPROVED: {why}", shape.label(), shape.status),
            });
        }
        check_send(&shape, send).map_err(Error::Invalid)
    }

    /// The template `name` in `language`: from the cache when it is there and
    /// fresh, else from Graph (storing it when it is APPROVED).
    pub async fn lookup(
        &self,
        graph: &graph::Client,
        waba_id: &str,
        name: &str,
        language: &str,
    ) -> Result<Lookup, LookupError> {
        let key = Key::new(waba_id, name, language);
        let epoch = {
            let mut inner = self.lock();
            if let Some(entry) = inner.entries.get(&key) {
                if entry.fetched.elapsed() < self.max_age {
                    return Ok(Lookup::Found(entry.shape.clone()));
                }
                inner.entries.remove(&key);
            }
            inner.epoch
        };
        let found = templates_named(graph, waba_id, name, None).await?;
        let mut inner = self.lock();
        let store = inner.live && inner.epoch == epoch;
        let mut answer = None;
        let mut other_languages = Vec::new();
        for t in found {
            let shape = Arc::new(TemplateShape::from_graph(&t));
            let this_key = Key::new(waba_id, &shape.name, &shape.language);
            if store && shape.is_approved() {
                inner.entries.insert(this_key.clone(), Entry { shape: shape.clone(), fetched: Instant::now() });
            }
            if this_key == key {
                answer = Some(shape);
            } else {
                other_languages.push(shape.language.clone());
            }
        }
        Ok(match answer {
            Some(shape) => Lookup::Found(shape),
            None => Lookup::Missing { other_languages },
        })
    }

    /// Evicts what `event` makes stale: a template status or category update
    /// evicts its (WABA, name, language) and its id.
    pub fn observe(&self, event: &pb::Event) {
        use pb::event::Kind;
        let (id, name, language) = match &event.kind {
            Some(Kind::TemplateStatus(u)) => (&u.template_id, &u.template_name, &u.language),
            Some(Kind::TemplateCategory(u)) => (&u.template_id, &u.template_name, &u.language),
            _ => return,
        };
        let language = language_key(language);
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.retain(|key, entry| {
            let same_id = !id.is_empty() && entry.shape.id == *id;
            let same_key = !name.is_empty()
                && key.name == *name
                && (language.is_empty() || key.language == language)
                && (event.waba_id.is_empty() || key.waba_id == event.waba_id);
            !(same_id || same_key)
        });
    }

    /// Evicts the template `id`, e.g. after this gateway edited it (an edit
    /// sends it back to review).
    pub fn forget_id(&self, id: &str) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.retain(|_, entry| entry.shape.id != id);
    }

    /// Evicts every language of `name` in WABA `waba_id`, e.g. after this
    /// gateway deleted it (Meta posts no event for a deletion).
    pub fn forget_name(&self, waba_id: &str, name: &str) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.retain(|key, _| !(key.waba_id == waba_id && key.name == name));
    }

    /// Starts or stops storing; stopping clears the cache (events may be missed).
    fn set_live(&self, live: bool) {
        let mut inner = self.lock();
        if !live {
            inner.entries.clear();
        }
        inner.epoch += 1;
        inner.live = live;
    }

    /// Keeps the cache in step with the bus until `shutdown`: subscribes from
    /// the newest event to template status and category updates and evicts
    /// what they make stale. When the subscription breaks (a lag, a Redis
    /// outage) the cache is cleared and stops storing until it is back.
    pub async fn run_invalidator(self: Arc<Self>, bus: Bus, shutdown: CancellationToken) {
        let filter =
            Filter { kinds: [pb::EventKind::TemplateStatus, pb::EventKind::TemplateCategory].into(), ..Filter::all() };
        let mut backoff = Duration::from_millis(250);
        loop {
            let subscribed = tokio::select! {
                () = shutdown.cancelled() => break,
                subscribed = bus.subscribe(Start::Newest, filter.clone()) => subscribed,
            };
            let mut subscription = match subscribed {
                Ok(subscription) => subscription,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "template cache cannot subscribe to the bus");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            };
            self.set_live(true);
            backoff = Duration::from_millis(250);
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => None,
                    next = subscription.next() => Some(next),
                };
                match next {
                    None => {
                        self.set_live(false);
                        return;
                    }
                    Some(Some(Ok(event))) => self.observe(&event),
                    Some(Some(Err(e))) => {
                        tracing::warn!(error = %e, "template cache subscription broke; clearing and resubscribing");
                        break;
                    }
                    Some(None) => break,
                }
            }
            self.set_live(false);
        }
        self.set_live(false);
    }
}

/// Every template of WABA `waba_id` named exactly `name`, in `language` or
/// in any. Graph's name filter matches parts of names, so this pages through
/// every match, up to [`LOOKUP_PAGES`] pages: more is
/// [`LookupError::TooManyMatches`], never a partial answer.
pub async fn templates_named(
    graph: &graph::Client,
    waba_id: &str,
    name: &str,
    language: Option<&str>,
) -> Result<Vec<GraphTemplate>, LookupError> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..LOOKUP_PAGES {
        let query = TemplateQuery {
            limit: LOOKUP_PAGE,
            after: after.as_deref(),
            name: Some(name),
            languages: language.into_iter().collect(),
            ..Default::default()
        };
        let page = graph.list_templates(waba_id, &query).await?;
        found.extend(page.templates.into_iter().filter(|t| t.name == name));
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(found),
        }
    }
    Err(LookupError::TooManyMatches { name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pb::{TemplateButtonSubType as Sub, template_button_parameter::Value as ButtonValue};

    fn template(format: Option<&str>, components: Value) -> TemplateShape {
        let t: GraphTemplate = serde_json::from_value(json!({
            "id": "77", "name": "order_shipped", "language": "en_US", "status": "APPROVED",
            "category": "UTILITY", "parameter_format": format, "components": components,
        }))
        .unwrap();
        TemplateShape::from_graph(&t)
    }

    fn shipped() -> TemplateShape {
        let t: GraphTemplate =
            serde_json::from_str(include_str!("../../tests/fixtures/cloud-api/template-get-response.json")).unwrap();
        TemplateShape::from_graph(&t)
    }

    fn text(name: &str, value: &str) -> pb::TemplateParameter {
        pb::TemplateParameter { parameter_name: name.into(), value: Some(ParamValue::Text(value.into())) }
    }

    fn image() -> pb::TemplateParameter {
        pb::TemplateParameter {
            parameter_name: String::new(),
            value: Some(ParamValue::Image(pb::MediaSource {
                source: Some(pb::media_source::Source::Link("https://x.example/a.jpg".into())),
            })),
        }
    }

    fn button(sub: Sub, index: u32, value: ButtonValue) -> pb::TemplateButtonParameters {
        pb::TemplateButtonParameters {
            sub_type: sub.into(),
            index,
            parameters: vec![pb::TemplateButtonParameter { value: Some(value) }],
        }
    }

    fn shipped_send(body: usize) -> pb::TemplateMessage {
        pb::TemplateMessage {
            name: "order_shipped".into(),
            language_code: "en_US".into(),
            header_parameters: vec![image()],
            body_parameters: (0..body).map(|i| text("", &format!("v{i}"))).collect(),
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("8F3K2".into()))],
        }
    }

    fn fields(result: Result<(), Vec<FieldViolation>>) -> Vec<String> {
        result.expect_err("violations").into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn shapes_are_read_from_graph_components() {
        let shape = shipped();
        assert_eq!(shape.header, HeaderShape::Media("image"));
        assert_eq!(shape.body, ["1", "2", "3"]);
        assert_eq!(shape.buttons, [ButtonShape::Url { dynamic: true }, ButtonShape::QuickReply]);
        assert!(!shape.named && shape.is_approved());
        let named = template(
            None,
            json!([{"type": "HEADER", "format": "TEXT", "text": "For {{guest_name}}"},
                   {"type": "BODY", "text": "{{party_size}} on {{visit_date}}, {{party_size}} again"}]),
        );
        assert!(named.named, "named placeholders imply NAMED");
        assert_eq!(named.header, HeaderShape::Text(Some("guest_name".into())));
        assert_eq!(named.body, ["party_size", "visit_date"]);
    }

    #[test]
    fn a_matching_send_passes() {
        assert_eq!(check_send(&shipped(), &shipped_send(3)), Ok(()));
        let mut with_quick_reply = shipped_send(3);
        with_quick_reply.buttons.push(button(Sub::QuickReply, 1, ButtonValue::Payload("STOP".into())));
        assert_eq!(check_send(&shipped(), &with_quick_reply), Ok(()));
    }

    #[test]
    fn body_counts_must_match_for_positional_templates() {
        assert_eq!(fields(check_send(&shipped(), &shipped_send(2))), ["content.template.body_parameters"]);
        let violations = check_send(&shipped(), &shipped_send(4)).unwrap_err();
        assert!(
            violations[0]
                .description
                .contains("3 body placeholder(s) ({{1}}, {{2}}, {{3}}): send 3 value(s) in order, got 4"),
            "{violations:?}"
        );
        let mut named_value = shipped_send(3);
        named_value.body_parameters[1].parameter_name = "total".into();
        assert_eq!(
            fields(check_send(&shipped(), &named_value)),
            ["content.template.body_parameters[1].parameter_name"]
        );
    }

    #[test]
    fn named_templates_need_exactly_their_names() {
        let shape = template(
            Some("NAMED"),
            json!([{"type": "HEADER", "format": "TEXT", "text": "For {{guest_name}}"},
                   {"type": "BODY", "text": "A table for {{party_size}} on {{visit_date}}."}]),
        );
        let send = |header: Vec<pb::TemplateParameter>, body: Vec<pb::TemplateParameter>| pb::TemplateMessage {
            header_parameters: header,
            body_parameters: body,
            ..Default::default()
        };
        let good = send(vec![text("guest_name", "Ana")], vec![text("visit_date", "Sat"), text("party_size", "4")]);
        assert_eq!(check_send(&shape, &good), Ok(()));
        let wrong = send(vec![text("guest", "Ana")], vec![text("party_size", "4"), text("date", "Sat")]);
        let violations = check_send(&shape, &wrong).unwrap_err();
        let found: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            found,
            [
                "content.template.header_parameters[0].parameter_name",
                "content.template.body_parameters[1].parameter_name",
                "content.template.body_parameters"
            ]
        );
        assert!(violations[2].description.contains("needs a value for {{visit_date}}"), "{violations:?}");
    }

    #[test]
    fn headers_must_match_their_format() {
        let mut no_header = shipped_send(3);
        no_header.header_parameters.clear();
        assert_eq!(fields(check_send(&shipped(), &no_header)), ["content.template.header_parameters"]);
        let mut text_header = shipped_send(3);
        text_header.header_parameters = vec![text("", "hi")];
        let violations = check_send(&shipped(), &text_header).unwrap_err();
        assert_eq!(violations[0].field, "content.template.header_parameters[0]");
        assert!(violations[0].description.contains("has an image header: send an image, got text"), "{violations:?}");
        let fixed = template(
            None,
            json!([{"type": "HEADER", "format": "TEXT", "text": "Hello"}, {"type": "BODY", "text": "Hi"}]),
        );
        let send = pb::TemplateMessage { header_parameters: vec![text("", "x")], ..Default::default() };
        assert_eq!(fields(check_send(&fixed, &send)), ["content.template.header_parameters"]);
    }

    #[test]
    fn buttons_are_checked_by_index_and_sub_type() {
        let mut missing = shipped_send(3);
        missing.buttons.clear();
        let violations = check_send(&shipped(), &missing).unwrap_err();
        assert_eq!(violations[0].field, "content.template.buttons");
        assert!(violations[0].description.contains("button 0"), "{violations:?}");
        let mut wrong_sub = shipped_send(3);
        wrong_sub.buttons[0].sub_type = Sub::QuickReply.into();
        let violations = check_send(&shipped(), &wrong_sub).unwrap_err();
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].field, "content.template.buttons[0].sub_type");
        assert!(violations[0].description.contains("a URL button with a {{1}} suffix; got sub_type QUICK_REPLY"));
        let mut out_of_range = shipped_send(3);
        out_of_range.buttons.push(button(Sub::QuickReply, 5, ButtonValue::Payload("x".into())));
        assert_eq!(fields(check_send(&shipped(), &out_of_range)), ["content.template.buttons[1].index"]);
        let phone = template(
            None,
            json!([{"type": "BODY", "text": "Hi"}, {"type": "BUTTONS", "buttons": [
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1555"},
                {"type": "COPY_CODE", "example": "SAVE"}]}]),
        );
        let send = pb::TemplateMessage {
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("x".into()))],
            ..Default::default()
        };
        assert_eq!(fields(check_send(&phone, &send)), ["content.template.buttons[0]", "content.template.buttons"]);
    }

    #[test]
    fn authentication_otp_buttons_need_the_code() {
        let otp = template(
            None,
            json!([{"type": "BODY", "text": "*{{1}}* is your verification code."},
                   {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Copy code",
                     "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}]}]),
        );
        let send = pb::TemplateMessage {
            body_parameters: vec![text("", "482913")],
            buttons: vec![button(Sub::Url, 0, ButtonValue::Text("482913".into()))],
            ..Default::default()
        };
        assert_eq!(check_send(&otp, &send), Ok(()));
    }

    fn status_event(waba: &str, name: &str, language: &str, id: &str) -> pb::Event {
        pb::Event {
            waba_id: waba.into(),
            kind: Some(pb::event::Kind::TemplateStatus(pb::TemplateStatusUpdate {
                template_id: id.into(),
                template_name: name.into(),
                language: language.into(),
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    fn seed(cache: &TemplateCache, waba: &str, name: &str, language: &str, id: &str) {
        let mut shape = shipped();
        shape.name = name.into();
        shape.language = language.into();
        shape.id = id.into();
        cache
            .lock()
            .entries
            .insert(Key::new(waba, name, language), Entry { shape: Arc::new(shape), fetched: Instant::now() });
    }

    #[test]
    fn events_evict_their_template_only() {
        let cache = TemplateCache::default();
        seed(&cache, "w", "a", "en_US", "1");
        seed(&cache, "w", "a", "pt_BR", "2");
        seed(&cache, "w", "b", "en_US", "3");
        cache.observe(&status_event("w", "a", "en-US", ""));
        assert_eq!(cache.len(), 2);
        cache.observe(&status_event("", "", "", "3"));
        assert_eq!(cache.len(), 1, "by id alone");
        cache.observe(&status_event("other-waba", "a", "pt_BR", ""));
        assert_eq!(cache.len(), 1, "another WABA's template of the same name");
        let epoch = cache.lock().epoch;
        cache.observe(&pb::Event::default());
        assert_eq!(cache.lock().epoch, epoch, "other events change nothing");
    }

    #[test]
    fn local_edits_and_deletions_evict() {
        let cache = TemplateCache::default();
        seed(&cache, "w", "a", "en_US", "1");
        seed(&cache, "w", "a", "pt_BR", "2");
        seed(&cache, "w", "b", "en_US", "3");
        cache.forget_id("3");
        assert_eq!(cache.len(), 2);
        cache.forget_name("other", "a");
        assert_eq!(cache.len(), 2);
        cache.forget_name("w", "a");
        assert!(cache.is_empty());
    }

    #[test]
    fn placeholders_are_distinct_and_ordered() {
        assert_eq!(placeholders("{{2}} {{1}} {{ 2 }}"), ["2", "1"]);
        assert_eq!(placeholders("no vars"), Vec::<String>::new());
        assert_eq!(placeholders("open {{1"), Vec::<String>::new());
        assert_eq!(placeholders("{{}} {{a}} then {{b"), ["a"]);
    }

    #[test]
    fn a_scan_yields_every_placeholder_as_written() {
        let scanned: Vec<_> = scan_placeholders("{{ 1 }}{{}}{{1}} {{x").collect();
        assert_eq!(scanned, [Ok("1"), Ok(""), Ok("1"), Err(UnclosedPlaceholder)]);
        assert_eq!(scan_placeholders("}} no {{ opening").count(), 1);
        assert_eq!(scan_placeholders("plain").next(), None);
    }
}
