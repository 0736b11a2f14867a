//! Signed webhook delivery, as Meta does it (REFERENCE.md §5.3–5.8).
//!
//! Guarantees:
//! - every POST body is the §5.4 envelope written by `wire::to_meta_json`
//!   (non-ASCII `\u`-escaped) and signed with `X-Hub-Signature-256:
//!   sha256=<hex HMAC-SHA256(app secret, exact body bytes)>`;
//! - everything due by the time the queue wakes goes out in one POST (at most
//!   1000 updates), statuses of one number in one `value`;
//! - delivery is in due order: a failed POST (non-2xx or no answer) pauses the
//!   whole queue with exponential backoff (doubling, capped at 30 s) and is
//!   retried first, so a later status of a message never overtakes an earlier
//!   one; updates older than the retry horizon are dropped.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock},
    time::Duration,
};

use hmac::{Hmac, Mac as _};
use serde_json::Value;
use sha2::Sha256;
use tokio::{sync::Notify, time::Instant};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    config::EmulatorConfig,
    errors::ERROR_CODES_HREF,
    ids::unix_now,
    wire::{self, Change, ChangeValue, Entry, Envelope, MessagesValue, Metadata, Pricing, Status, WebhookError},
};

/// Meta's documented cap on updates per webhook POST.
const MAX_BATCH: usize = 1000;
/// The longest pause between retries of a failing endpoint.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long one POST may take before it counts as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Updates kept while the endpoint fails; beyond this the oldest are dropped.
const MAX_QUEUED: usize = 100_000;

/// The `X-Hub-Signature-256` value for `body`: `sha256=` + lowercase hex of
/// HMAC-SHA256 keyed by the app secret.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_hex(app_secret, body))
}

/// Lowercase hex HMAC-SHA256.
pub(crate) fn hmac_hex(key: &str, message: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256>>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!("hmac accepts any key length"));
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// One update waiting to be delivered.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// An outbound message status.
    Status { phone_number_id: String, status: Status },
    /// An inbound message and its contact.
    Inbound { phone_number_id: String, contact: Value, message: Value },
    /// A template webhook (`message_template_status_update`, …), with the
    /// event time that goes into `entry.time`.
    Template { field: &'static str, value: Value, time: i64 },
}

/// The webhook queue and its delivery task.
#[derive(Debug, Clone)]
pub(crate) struct Dispatcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    queue: Mutex<Queue>,
    wake: Notify,
    url: RwLock<Option<String>>,
    secret: String,
    waba_id: String,
    display_phone_number: String,
    http: reqwest::Client,
    initial_backoff: Duration,
    horizon: Duration,
}

#[derive(Debug, Default)]
struct Queue {
    /// Keyed by (due, insertion order): iteration order is delivery order.
    items: BTreeMap<(Instant, u64), Queued>,
    next_seq: u64,
    failures: u32,
    paused_until: Option<Instant>,
    /// Bumped by `clear` so a batch in flight during a reset is not requeued.
    epoch: u64,
}

/// Updates taken for one POST, under their queue keys.
type Batch = BTreeMap<(Instant, u64), Queued>;

#[derive(Debug)]
struct Queued {
    item: Item,
    first_due: Instant,
}

// === impl Dispatcher ===

impl Dispatcher {
    /// A dispatcher for `config`, with one pooled HTTP client.
    pub(crate) fn new(config: &EmulatorConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(POST_TIMEOUT).user_agent("facebookexternalua").build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                queue: Mutex::default(),
                wake: Notify::new(),
                url: RwLock::new(config.webhook_url.clone()),
                secret: config.app_secret.clone(),
                waba_id: config.waba_id.clone(),
                display_phone_number: config.display_phone_number.clone(),
                http,
                initial_backoff: config.webhook_retry_initial_backoff.max(Duration::from_millis(1)),
                horizon: config.webhook_retry_horizon,
            }),
        })
    }

    /// Starts the delivery task; it ends when `stop` is cancelled.
    pub(crate) fn spawn(&self, tasks: &TaskTracker, stop: CancellationToken) {
        let inner = Arc::clone(&self.inner);
        tasks.spawn(async move { inner.run(stop).await });
    }

    /// Queues `item` for delivery at `due`.
    pub(crate) fn enqueue(&self, due: std::time::Instant, item: Item) {
        self.enqueue_all([(due, item)]);
    }

    /// Queues several items at once, in order.
    pub(crate) fn enqueue_all(&self, items: impl IntoIterator<Item = (std::time::Instant, Item)>) {
        {
            let mut queue = self.inner.lock();
            for (due, item) in items {
                let due = Instant::from_std(due);
                let seq = queue.next_seq;
                queue.next_seq += 1;
                queue.items.insert((due, seq), Queued { item, first_due: due });
            }
            while queue.items.len() > MAX_QUEUED {
                if queue.items.pop_first().is_some() {
                    tracing::warn!("emulator webhook queue full; dropped the oldest update");
                }
            }
        }
        self.inner.wake.notify_one();
    }

    /// Changes the target URL; `None` drops updates as they fall due.
    pub(crate) fn set_url(&self, url: Option<String>) {
        *self.inner.url.write().unwrap_or_else(PoisonError::into_inner) = url;
        self.inner.wake.notify_one();
    }

    /// Drops everything queued and forgets past failures.
    pub(crate) fn clear(&self) {
        let mut queue = self.inner.lock();
        queue.items.clear();
        queue.failures = 0;
        queue.paused_until = None;
        queue.epoch += 1;
        drop(queue);
        self.inner.wake.notify_one();
    }
}

// === impl Inner ===

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn run(&self, stop: CancellationToken) {
        loop {
            let wake_at = {
                let queue = self.lock();
                queue.items.first_key_value().map(|((due, _), _)| match queue.paused_until {
                    Some(paused) => paused.max(*due),
                    None => *due,
                })
            };
            let sleep = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.wake.notified() => continue,
                () = sleep => {}
            }

            let Some((epoch, batch)) = self.take_due(Instant::now()) else { continue };
            let url = self.url.read().unwrap_or_else(PoisonError::into_inner).clone();
            let Some(url) = url else { continue };
            let body = wire::to_meta_json(&self.envelope(batch.values().map(|q| &q.item)));
            let delivered = tokio::select! {
                () = stop.cancelled() => return,
                ok = self.post(&url, body) => ok,
            };
            self.settle(epoch, batch, delivered);
        }
    }

    /// Removes and returns the updates due at `now` (dropping expired ones),
    /// or `None` while paused or when nothing is due.
    fn take_due(&self, now: Instant) -> Option<(u64, Batch)> {
        let mut queue = self.lock();
        if queue.paused_until.is_some_and(|paused| paused > now) {
            return None;
        }
        let mut batch = BTreeMap::new();
        while batch.len() < MAX_BATCH {
            let Some(entry) = queue.items.first_entry() else { break };
            if entry.key().0 > now {
                break;
            }
            let (key, queued) = entry.remove_entry();
            if now.duration_since(queued.first_due) > self.horizon {
                tracing::warn!("emulator dropped a webhook update past the retry horizon");
                continue;
            }
            batch.insert(key, queued);
        }
        (!batch.is_empty()).then_some((queue.epoch, batch))
    }

    /// Records a delivery attempt: success resets the backoff; failure puts
    /// the batch back in front, under its original keys, and pauses.
    fn settle(&self, epoch: u64, batch: Batch, delivered: bool) {
        let mut queue = self.lock();
        if delivered {
            queue.failures = 0;
            queue.paused_until = None;
            return;
        }
        if queue.epoch != epoch {
            return;
        }
        let shift = queue.failures.min(16);
        let backoff = self.initial_backoff.saturating_mul(1 << shift).min(MAX_BACKOFF);
        queue.failures = queue.failures.saturating_add(1);
        queue.paused_until = Some(Instant::now() + backoff);
        queue.items.extend(batch);
    }

    async fn post(&self, url: &str, body: Vec<u8>) -> bool {
        let signature = signature(&self.secret, &body);
        let sent = self
            .http
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => true,
            Ok(response) => {
                tracing::debug!(status = %response.status(), "emulator webhook refused; will retry");
                false
            }
            Err(error) => {
                tracing::debug!(%error, "emulator webhook failed; will retry");
                false
            }
        }
    }

    /// Builds one envelope: `messages` updates share an entry (one change per
    /// number and kind), each template update gets an entry with its `time`.
    fn envelope<'a>(&self, items: impl Iterator<Item = &'a Item>) -> Envelope {
        let mut messages: Vec<Change> = Vec::new();
        let mut others: Vec<Entry> = Vec::new();
        for item in items {
            match item {
                Item::Status { phone_number_id, status } => {
                    let value = self.messages_value(&mut messages, phone_number_id, false);
                    value.statuses.push(status.clone());
                }
                Item::Inbound { phone_number_id, contact, message } => {
                    let value = self.messages_value(&mut messages, phone_number_id, true);
                    if !value.contacts.contains(contact) {
                        value.contacts.push(contact.clone());
                    }
                    value.messages.push(message.clone());
                }
                Item::Template { field, value, time } => others.push(Entry {
                    id: self.waba_id.clone(),
                    time: Some(*time),
                    changes: vec![Change { value: ChangeValue::Template(value.clone()), field }],
                }),
            }
        }
        let mut entry = Vec::with_capacity(others.len() + 1);
        if !messages.is_empty() {
            entry.push(Entry { id: self.waba_id.clone(), time: None, changes: messages });
        }
        entry.extend(others);
        Envelope { object: "whatsapp_business_account", entry }
    }

    /// The `messages` value for this number and kind (inbound or statuses),
    /// created on first use.
    fn messages_value<'c>(
        &self,
        changes: &'c mut Vec<Change>,
        phone_number_id: &str,
        inbound: bool,
    ) -> &'c mut MessagesValue {
        let at = changes.iter().position(|c| match &c.value {
            ChangeValue::Messages(v) => {
                v.metadata.phone_number_id == phone_number_id && v.statuses.is_empty() == inbound
            }
            ChangeValue::Template(_) => false,
        });
        let at = at.unwrap_or_else(|| {
            changes.push(Change {
                value: ChangeValue::Messages(MessagesValue {
                    messaging_product: "whatsapp",
                    metadata: Metadata {
                        display_phone_number: self.display_phone_number.clone(),
                        phone_number_id: phone_number_id.to_owned(),
                    },
                    contacts: Vec::new(),
                    messages: Vec::new(),
                    statuses: Vec::new(),
                }),
                field: "messages",
            });
            changes.len() - 1
        });
        match &mut changes[at].value {
            ChangeValue::Messages(value) => value,
            ChangeValue::Template(_) => unreachable!("position() only matches messages values"),
        }
    }
}

// === status plans ===

/// What the emulator knows about an accepted message when it plans statuses.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) wamid: String,
    /// `recipient_id` (a wa_id or group id), absent for BSUID sends.
    pub(crate) recipient_id: Option<String>,
    pub(crate) recipient_user_id: Option<String>,
    pub(crate) group: bool,
    pub(crate) biz_opaque_callback_data: Option<String>,
    /// `None` for free-form messages, else the template's category.
    pub(crate) template_category: Option<String>,
    pub(crate) window_open: bool,
    pub(crate) read_receipts: bool,
    pub(crate) voice: bool,
}

/// The statuses Meta would send for `outcome`, with their delay from now:
/// `failed` 131047 alone when a free-form message meets a closed window
/// (and `enforce_window`), else `sent`, `delivered`, then `read` (and
/// `played` for voice notes) when the contact has read receipts on.
/// Pricing rides on `sent` and `delivered` only.
pub(crate) fn plan_statuses(outcome: &Outcome, interval: Duration, enforce_window: bool) -> Vec<(Duration, Status)> {
    let now = unix_now();
    let at = |steps: u32| {
        let delay = interval.saturating_mul(steps);
        let timestamp = now.saturating_add(i64::try_from(delay.as_secs()).unwrap_or(i64::MAX));
        (delay, timestamp.to_string())
    };
    let status = |name: &'static str, timestamp: String, pricing: Option<Pricing>| Status {
        id: outcome.wamid.clone(),
        status: name,
        timestamp,
        recipient_id: outcome.recipient_id.clone(),
        recipient_type: outcome.group.then_some("group"),
        recipient_user_id: outcome.recipient_user_id.clone(),
        biz_opaque_callback_data: outcome.biz_opaque_callback_data.clone(),
        pricing,
        errors: None,
    };

    if outcome.template_category.is_none() && !outcome.window_open && enforce_window && !outcome.group {
        let (delay, timestamp) = at(1);
        let mut failed = status("failed", timestamp, None);
        failed.errors = Some(vec![WebhookError {
            code: 131047,
            title: "Re-engagement message".into(),
            message: "Re-engagement message".into(),
            error_data: wire::WebhookErrorData {
                details: "Message failed to send because more than 24 hours have passed since the customer last \
                          replied to this number."
                    .into(),
            },
            href: ERROR_CODES_HREF,
        }]);
        return vec![(delay, failed)];
    }

    let pricing = pricing(outcome);
    let mut plan = Vec::with_capacity(4);
    let (delay, timestamp) = at(1);
    plan.push((delay, status("sent", timestamp, Some(pricing.clone()))));
    let (delay, timestamp) = at(2);
    plan.push((delay, status("delivered", timestamp, Some(pricing))));
    if outcome.read_receipts {
        let (delay, timestamp) = at(3);
        plan.push((delay, status("read", timestamp, None)));
        if outcome.voice {
            let (delay, timestamp) = at(4);
            plan.push((delay, status("played", timestamp, None)));
        }
    }
    plan
}

/// PMP pricing: service messages and utility templates inside an open window
/// are free; other templates are billed at their category.
fn pricing(outcome: &Outcome) -> Pricing {
    let (kind, category, billable) = match outcome.template_category.as_deref().map(str::to_ascii_lowercase) {
        None => ("free_customer_service", "service".to_owned(), false),
        Some(c) if c == "utility" && outcome.window_open => ("free_customer_service", c, false),
        Some(c) => ("regular", c, true),
    };
    Pricing { pricing_model: "PMP", kind, category, billable }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::samples;

    #[test]
    fn signs_the_reference_example() {
        // Copied from shared/cloud-api/samples/webhook-signature-example.json.
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"109348720013455","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15557771234","phone_number_id":"113502948871204"},"contacts":[{"profile":{"name":"Ana Souza"},"wa_id":"14155550123"}],"messages":[{"from":"14155550123","id":"wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=","timestamp":"1784020325","type":"text","text":{"body":"Hi! Does the jacket come in another colour?"}}]},"field":"messages"}]}]}"#;
        assert_eq!(
            signature("3f9a1c5e7b2d4f60a8c1e3b5d7f90a2c", body.as_bytes()),
            "sha256=221b8b4da9d076234c604de209504d4000f4e85a69a6961e9baed54c444438bd"
        );
    }

    #[test]
    fn signatures_are_lowercase_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn outcome() -> Outcome {
        Outcome {
            wamid: "wamid.X".into(),
            recipient_id: Some("14155550123".into()),
            recipient_user_id: None,
            group: false,
            biz_opaque_callback_data: Some("cb".into()),
            template_category: None,
            window_open: true,
            read_receipts: true,
            voice: false,
        }
    }

    #[test]
    fn free_form_in_window_is_sent_delivered_read_with_pricing_twice() {
        let plan = plan_statuses(&outcome(), Duration::from_millis(10), true);
        let names: Vec<_> = plan.iter().map(|(_, s)| s.status).collect();
        assert_eq!(names, ["sent", "delivered", "read"]);
        assert_eq!(plan.iter().filter(|(_, s)| s.pricing.is_some()).count(), 2);
        assert!(plan.iter().all(|(_, s)| s.biz_opaque_callback_data.as_deref() == Some("cb")));
        assert!(plan.windows(2).all(|w| w[0].0 < w[1].0));
        let v = serde_json::to_value(&plan[0].1).expect("json");
        assert_eq!(
            v["pricing"],
            json!({"pricing_model":"PMP","type":"free_customer_service","category":"service","billable":false})
        );
        assert!(v.get("conversation").is_none());
    }

    #[test]
    fn read_receipts_off_means_no_read() {
        let plan = plan_statuses(&Outcome { read_receipts: false, ..outcome() }, Duration::ZERO, true);
        assert_eq!(plan.iter().map(|(_, s)| s.status).collect::<Vec<_>>(), ["sent", "delivered"]);
    }

    #[test]
    fn closed_window_fails_with_131047_only_when_enforced() {
        let closed = Outcome { window_open: false, ..outcome() };
        let plan = plan_statuses(&closed, Duration::ZERO, true);
        assert_eq!(plan.len(), 1);
        let v = serde_json::to_value(&plan[0].1).expect("json");
        assert_eq!(v["status"], "failed");
        assert_eq!(v["errors"][0]["code"], 131047);
        assert_eq!(v["errors"][0]["title"], "Re-engagement message");
        assert!(v.get("pricing").is_none());
        assert_eq!(plan_statuses(&closed, Duration::ZERO, false).len(), 3);
    }

    #[test]
    fn templates_are_billed_by_category_outside_the_window() {
        let t = Outcome { template_category: Some("UTILITY".into()), window_open: false, ..outcome() };
        let plan = plan_statuses(&t, Duration::ZERO, true);
        assert_eq!(
            plan[0].1.pricing.as_ref().map(|p| (p.kind, p.category.as_str(), p.billable)),
            Some(("regular", "utility", true))
        );
        let inside = Outcome { window_open: true, ..t };
        let plan = plan_statuses(&inside, Duration::ZERO, true);
        assert_eq!(plan[0].1.pricing.as_ref().map(|p| p.kind), Some("free_customer_service"));
    }

    #[test]
    fn voice_notes_are_also_played() {
        let plan = plan_statuses(&Outcome { voice: true, ..outcome() }, Duration::ZERO, true);
        assert_eq!(plan.last().map(|(_, s)| s.status), Some("played"));
    }

    #[test]
    fn statuses_have_the_sample_shapes() {
        let outcome = Outcome {
            wamid: "wamid.X".into(),
            recipient_id: Some("14155550123".into()),
            recipient_user_id: None,
            group: false,
            biz_opaque_callback_data: None,
            template_category: None,
            window_open: true,
            read_receipts: true,
            voice: false,
        };
        let ours: Vec<Value> = plan_statuses(&outcome, Duration::ZERO, true)
            .into_iter()
            .map(|(_, s)| serde_json::to_value(s).expect("json"))
            .collect();
        let closed = Outcome { window_open: false, ..outcome };
        let failed = serde_json::to_value(&plan_statuses(&closed, Duration::ZERO, true)[0].1).expect("json");
        for (name, ours) in [
            ("webhook-status-sent.json", &ours[0]),
            ("webhook-status-delivered.json", &ours[1]),
            ("webhook-status-read.json", &ours[2]),
            ("webhook-status-failed.json", &failed),
        ] {
            for (_, sample) in samples::load(name) {
                let theirs = &sample["entry"][0]["changes"][0]["value"]["statuses"][0];
                assert_eq!(samples::keys(ours), samples::keys(theirs), "{name}");
                if let Some(pricing) = theirs.get("pricing") {
                    assert_eq!(&ours["pricing"], pricing, "{name}");
                }
                if let Some(errors) = theirs.get("errors") {
                    assert_eq!(samples::keys(&ours["errors"][0]), samples::keys(&errors[0]), "{name}");
                    assert_eq!(ours["errors"][0]["title"], errors[0]["title"], "{name}");
                }
            }
        }
    }
}
