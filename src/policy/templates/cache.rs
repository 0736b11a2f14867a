//! The cache of approved templates and its invalidator, which keeps it in
//! step with the template events passing the bus.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::{
    check::check_send,
    lookup::{LookupError, templates_named},
    shape::TemplateShape,
};
use crate::policy::PolicyError;
use crate::{
    backoff::Backoff,
    bus::{Bus, Filter, Start},
    graph::{self, vocab},
    pb,
};

/// How long an approved template is trusted without an event about it.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(15 * 60);

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
    pub async fn check(
        &self,
        graph: &graph::Client,
        waba_id: &str,
        send: &pb::TemplateMessage,
    ) -> Result<(), PolicyError> {
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
                return Err(PolicyError::NotFound(format!(
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
            return Err(PolicyError::Refused {
                reason: "TEMPLATE_NOT_APPROVED",
                message: format!("{} is {}, not APPROVED: {why}", shape.label(), shape.status),
            });
        }
        check_send(&shape, send).map_err(PolicyError::Invalid)
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
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
        loop {
            let subscribed = tokio::select! {
                () = shutdown.cancelled() => break,
                subscribed = bus.subscribe(Start::Newest, filter.clone()) => subscribed,
            };
            let mut subscription = match subscribed {
                Ok(subscription) => subscription,
                Err(e) => {
                    let delay = backoff.failed("the template cache subscribing to the bus", &e);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                    continue;
                }
            };
            self.set_live(true);
            backoff.recovered("the template cache subscribing to the bus");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::templates::testing::shipped;

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
}
