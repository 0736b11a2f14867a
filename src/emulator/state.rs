//! The emulator's in-memory store and its background work.
//!
//! One mutex guards everything a request reads or changes (media, templates,
//! contacts, windows, throughput counters, faults, the sent log), so each
//! request sees and applies its checks atomically; it is never held across an
//! `.await`. Background work (webhook delivery, template reviews) runs on a
//! task tracker that [`Shared::stop`] cancels and drains.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq as _;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    config::EmulatorConfig,
    control::{EmulatorError, Fault, FaultKind, InboundSpec, SentMessage},
    ids::{Direction, contact_key, graph_id, is_bsuid, same_language, unix_now, wamid},
    media::Media,
    templates::{Strictness, Template, create::validate_new},
    webhooks::{Dispatcher, Item, hmac_hex},
};

/// The sent log keeps this many entries; a long-running emulator (a benchmark)
/// must not grow without bound.
const SENT_LOG_CAP: usize = 100_000;

/// How long an inbound message keeps the customer-service window open.
pub(crate) const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Everything the handlers and the background tasks share.
pub(crate) struct Shared {
    /// The configuration the emulator was bound with.
    pub(crate) config: EmulatorConfig,
    /// Base of the URLs the emulator hands out (media downloads, paging).
    pub(crate) base_url: String,
    /// The signed webhook queue.
    pub(crate) webhooks: Dispatcher,
    inner: Mutex<Inner>,
    background: CancellationToken,
    tasks: TaskTracker,
}

/// The mutable store.
#[derive(Default)]
pub(crate) struct Inner {
    sent: VecDeque<SentMessage>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) media: HashMap<String, Media>,
    /// In creation order (the list endpoint pages over it).
    pub(crate) templates: Vec<Template>,
    /// (name, language) of deleted APPROVED templates, which Meta blocks for 30 days.
    pub(crate) deleted_names: HashMap<(String, String), Instant>,
    receipts_off: HashSet<String>,
    /// (phone_number_id, contact) → when the window closes.
    windows: HashMap<(String, String), Instant>,
    /// Inbound wamid → (phone_number_id, contact), for mark-read.
    pub(crate) inbound: HashMap<String, (String, String)>,
    /// phone_number_id → (start of the current 1 s window, messages in it).
    throughput: HashMap<String, (Instant, u32)>,
}

// === impl Shared ===

// === impl Shared ===

impl Shared {
    /// Builds the shared state and starts webhook delivery.
    pub(crate) fn start(
        config: EmulatorConfig,
        base_url: String,
        background: CancellationToken,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let tasks = TaskTracker::new();
        let webhooks = Dispatcher::new(&config)?;
        webhooks.spawn(&tasks, background.clone());
        Ok(Arc::new(Self { config, base_url, webhooks, inner: Mutex::default(), background, tasks }))
    }

    /// Stops background work and waits for it to finish.
    pub(crate) async fn stop(&self) {
        self.background.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The store. A panic while it was held cannot leave it half-updated in a
    /// way that matters to an emulator, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `token` is the configured access token (constant time).
    pub(crate) fn token_ok(&self, token: &str) -> bool {
        bool::from(token.as_bytes().ct_eq(self.config.access_token.as_bytes()))
    }

    /// Whether `id` is an emulated business phone number.
    pub(crate) fn is_phone_number(&self, id: &str) -> bool {
        id == self.config.phone_number_id
    }

    /// Takes one use of the first fault matching `path`, if any.
    pub(crate) fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut inner = self.lock();
        let at = inner
            .faults
            .iter()
            .position(|f| f.count > 0 && f.path_contains.as_deref().is_none_or(|needle| path.contains(needle)))?;
        let fault = &mut inner.faults[at];
        fault.count -= 1;
        let kind = fault.kind.clone();
        if fault.count == 0 {
            inner.faults.remove(at);
        }
        Some(kind)
    }

    pub(crate) fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.iter().cloned().collect()
    }

    pub(crate) fn clear_sent(&self) {
        self.lock().sent.clear();
    }

    pub(crate) fn inject_fault(&self, fault: Fault) {
        if fault.count > 0 {
            self.lock().faults.push(fault);
        }
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub(crate) fn set_read_receipts(&self, contact: &str, on: bool) {
        let contact = contact_key(contact);
        let mut inner = self.lock();
        if on {
            inner.receipts_off.remove(&contact);
        } else {
            inner.receipts_off.insert(contact);
        }
    }

    pub(crate) fn open_window(&self, phone_number_id: &str, contact: &str) {
        self.lock().open_window(phone_number_id, contact, Instant::now());
    }

    pub(crate) fn close_window(&self, phone_number_id: &str, contact: &str) {
        self.lock().windows.remove(&(phone_number_id.to_owned(), contact_key(contact)));
    }

    /// Clears every store and the webhook queue.
    pub(crate) fn reset(&self) {
        *self.lock() = Inner::default();
        self.webhooks.clear();
    }

    /// See [`super::EmulatorHandle::inject_inbound`].
    pub(crate) fn inject_inbound(&self, spec: InboundSpec) -> Result<String, EmulatorError> {
        let phone_number_id = spec.phone_number_id.unwrap_or_else(|| self.config.phone_number_id.clone());
        if !self.is_phone_number(&phone_number_id) {
            return Err(EmulatorError::UnknownPhoneNumber(phone_number_id));
        }
        let from = spec.from.trim().trim_start_matches('+').to_owned();
        let bsuid = is_bsuid(&from);
        if !bsuid && (from.is_empty() || !from.bytes().all(|b| b.is_ascii_digit())) {
            return Err(EmulatorError::InvalidInbound(format!(
                "from must be a wa_id (digits) or a BSUID such as US.1234, got {:?}",
                spec.from
            )));
        }
        let Value::Object(mut message) = spec.message else {
            return Err(EmulatorError::InvalidInbound("message must be a JSON object".into()));
        };
        let kind = match message.get("type") {
            Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
            _ => return Err(EmulatorError::InvalidInbound("message.type is required (e.g. \"text\")".into())),
        };
        for key in ["id", "from", "from_user_id", "timestamp"] {
            message.remove(key);
        }

        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(defaults) = inbound_media_defaults(&kind) {
            let object = message.entry(kind.clone()).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(object) = object else {
                return Err(EmulatorError::InvalidInbound(format!("message.{kind} must be a JSON object")));
            };
            if !object.contains_key("id") {
                let mime_type = match object.get("mime_type") {
                    Some(Value::String(m)) => m.clone(),
                    _ => defaults.mime_type.to_owned(),
                };
                let bytes = Bytes::from(format!("emulated inbound {kind} from {from}").into_bytes());
                let media = Media::new(phone_number_id.clone(), mime_type.clone(), bytes);
                let id = graph_id();
                object.insert("id".into(), json!(id));
                object.insert("mime_type".into(), json!(mime_type));
                object.insert("sha256".into(), json!(base64::engine::general_purpose::STANDARD.encode(media.sha256)));
                object.insert("url".into(), json!(self.media_url(&id)));
                inner.media.insert(id, media);
            }
            if let Some((key, value)) = defaults.flag {
                object.entry(key).or_insert(Value::Bool(value));
            }
        }

        let wamid = wamid(&from, Direction::Inbound);
        if bsuid {
            message.insert("from_user_id".into(), json!(from));
        } else {
            message.insert("from".into(), json!(from));
        }
        message.insert("id".into(), json!(wamid));
        message.insert("timestamp".into(), json!(unix_now().to_string()));
        let profile = json!({"name": spec.profile_name.unwrap_or_else(|| "Emulator User".to_owned())});
        let contact = if bsuid {
            json!({"profile": profile, "user_id": from})
        } else {
            json!({"profile": profile, "wa_id": from})
        };
        // System notices (number changes) are not user messages and open nothing.
        if kind != "system" {
            inner.open_window(&phone_number_id, &from, now);
        }
        inner.inbound.insert(wamid.clone(), (phone_number_id.clone(), from));
        drop(inner);
        self.webhooks.enqueue(now, Item::Inbound { phone_number_id, contact, message: Value::Object(message) });
        Ok(wamid)
    }

    /// See [`super::EmulatorHandle::add_template`].
    pub(crate) fn add_template(
        &self,
        name: &str,
        language: &str,
        category: &str,
        components: Value,
    ) -> Result<String, EmulatorError> {
        let body = json!({"name": name, "language": language, "category": category, "components": components});
        let new = validate_new(&body, Strictness::Seed)
            .map_err(|e| EmulatorError::InvalidTemplate(e.details.unwrap_or(e.message)))?;
        let mut inner = self.lock();
        if inner.templates.iter().any(|t| t.name == new.name && same_language(&t.language, &new.language)) {
            return Err(EmulatorError::InvalidTemplate(format!("{name} already exists in {language}")));
        }
        let mut template = new.into_template();
        template.status = "APPROVED".into();
        let id = template.id.clone();
        inner.templates.push(template);
        Ok(id)
    }

    /// A fresh, signed download URL for a media id (valid 5 minutes, as Meta's).
    pub(crate) fn media_url(&self, id: &str) -> String {
        let expires = unix_now() + 300;
        format!("{}/_media/{id}?mid={id}&ext={expires}&hash={}", self.base_url, self.media_hash(id, expires))
    }

    /// The token-free hash that makes a download URL unguessable and expiring.
    pub(crate) fn media_hash(&self, id: &str, expires: i64) -> String {
        let full = hmac_hex(&self.config.app_secret, format!("media:{id}:{expires}").as_bytes());
        full[..24].to_owned()
    }

    /// Flips the first byte of a stored media object, keeping the SHA-256 and
    /// size recorded at upload: its next download is a tampered one.
    pub(crate) fn corrupt_media(&self, id: &str) -> Result<(), EmulatorError> {
        let mut inner = self.lock();
        let media = inner.media.get_mut(id).ok_or_else(|| EmulatorError::UnknownMedia(id.to_owned()))?;
        let mut bytes = media.bytes.to_vec();
        if let Some(first) = bytes.first_mut() {
            *first ^= 0xFF;
        }
        media.bytes = Bytes::from(bytes);
        Ok(())
    }

    /// Runs `work` after the review delay unless the emulator stops first.
    pub(crate) fn spawn_after(self: &Arc<Self>, delay: Duration, work: impl FnOnce(&Shared) + Send + 'static) {
        let shared = Arc::clone(self);
        let stop = self.background.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(delay) => work(&shared),
            }
        });
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("phone_number_id", &self.config.phone_number_id)
            .field("waba_id", &self.config.waba_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

// === impl Inner ===

impl Inner {
    pub(crate) fn open_window(&mut self, phone_number_id: &str, contact: &str, now: Instant) {
        self.windows.insert((phone_number_id.to_owned(), contact_key(contact)), now + WINDOW);
    }

    /// Appends to the sent log, dropping the oldest entry beyond the cap.
    pub(crate) fn log_sent(&mut self, sent: SentMessage) {
        if self.sent.len() >= SENT_LOG_CAP {
            self.sent.pop_front();
        }
        self.sent.push_back(sent);
    }

    pub(crate) fn window_open(&self, phone_number_id: &str, contact: &str, now: Instant) -> bool {
        self.windows.get(&(phone_number_id.to_owned(), contact_key(contact))).is_some_and(|closes| *closes > now)
    }

    pub(crate) fn read_receipts(&self, contact: &str) -> bool {
        !self.receipts_off.contains(&contact_key(contact))
    }

    /// Counts one message against the number's throughput; false when the
    /// current 1 s window is already full. `limit` 0 means unlimited.
    pub(crate) fn take_throughput(&mut self, phone_number_id: &str, limit: u32, now: Instant) -> bool {
        if limit == 0 {
            return true;
        }
        let slot = self.throughput.entry(phone_number_id.to_owned()).or_insert((now, 0));
        if now.duration_since(slot.0) >= Duration::from_secs(1) {
            *slot = (now, 0);
        }
        if slot.1 >= limit {
            return false;
        }
        slot.1 += 1;
        true
    }

    pub(crate) fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    pub(crate) fn template_mut(&mut self, id: &str) -> Option<&mut Template> {
        self.templates.iter_mut().find(|t| t.id == id)
    }
}

/// Defaults for inbound media objects that arrive without an id.
struct InboundMedia {
    mime_type: &'static str,
    flag: Option<(String, bool)>,
}

fn inbound_media_defaults(kind: &str) -> Option<InboundMedia> {
    let (mime_type, flag) = match kind {
        "image" => ("image/jpeg", None),
        "video" => ("video/mp4", None),
        "audio" => ("audio/ogg; codecs=opus", Some(("voice", false))),
        "document" => ("application/pdf", None),
        "sticker" => ("image/webp", Some(("animated", false))),
        _ => return None,
    };
    Some(InboundMedia { mime_type, flag: flag.map(|(k, v)| (k.to_owned(), v)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn throughput_counts_per_one_second_window() {
        let mut inner = Inner::default();
        let t0 = Instant::now();
        assert!(inner.take_throughput("p", 2, t0));
        assert!(inner.take_throughput("p", 2, t0));
        assert!(!inner.take_throughput("p", 2, t0 + Duration::from_millis(999)));
        assert!(inner.take_throughput("other", 2, t0));
        assert!(inner.take_throughput("p", 2, t0 + Duration::from_secs(1)));
        assert!(inner.take_throughput("p", 0, t0));
    }
}
