//! The event bus: webhook events are published once and delivered to every
//! subscriber of every gateway replica, replayable by cursor.
//!
//! Guarantees, for both backends:
//! - `publish` returns only after the events are stored: the webhook listener
//!   acknowledges Meta only then. An error means nothing of the batch may be
//!   assumed stored, and Meta must redeliver.
//! - A redelivered event (same [`pb::Event::id`]) within the dedup window is
//!   dropped, across replicas. In memory, the window also ends after the
//!   newest `max(4 × history, 100 000)` ids, so memory stays bounded.
//! - A status lower than the message's furthest one (a `delivered` after its
//!   `read`) is stored with `superseded = true`; it never moves state back
//!   (in memory: while the message is among the ranks remembered, as above).
//! - A subscriber sees only what its [`Filter`] lets through. An event without
//!   a phone number (template updates, account-level fields, errors without
//!   metadata) is seen only by keys allowed a phone number of its WABA.
//! - A subscription replays from its start and continues live, with no gap and
//!   no duplicate. A subscriber that falls more than its buffer behind gets
//!   [`BusError::Lagged`] with the last cursor it was sent, and resumes there.
//! - Cursors are only accepted by the log that issued them: a cursor the log
//!   could not have issued is [`BusError::InvalidCursor`], never a silent skip.
//!   The in-memory log starts empty with each process, so its cursors carry
//!   the run they come from and a cursor of a previous run is refused.
//! - A consumer group delivers each event to one of its subscribers; what is
//!   not acknowledged within `ack_timeout` is delivered again. A group has one
//!   filter, fixed by its first subscriber: a subscriber with another filter is
//!   refused with [`BusError::GroupFilterMismatch`], so the events the group
//!   skips are those none of its subscribers wants.
//! - Events evicted from the history before a group read them are lost to it.
//!   In memory, the next group subscriber gets [`BusError::Lagged`] once (with
//!   an empty cursor), and the group goes on from the oldest retained event;
//!   on Redis the group goes on from there without a notice.

mod memory;
mod redis;

use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::sync::mpsc;
use tokio_stream::Stream;

use crate::{access::PhoneNumbers, pb};

pub use crate::config::BusSettings;

pub use self::redis::{ConnectError, Fsync, Persistence, Protection, RedisBus, Role, Version};
pub use memory::MemoryBus;

/// Where a subscription starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Only events published after subscribing.
    Newest,
    /// The oldest retained event.
    Oldest,
    /// Right after the event with this cursor (or the oldest retained one,
    /// when the cursor is older than the history).
    After(String),
}

/// Which events a subscriber receives.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The phone numbers the subscriber's key may see.
    pub allowed: PhoneNumbers,
    /// The WhatsApp Business Accounts the subscriber's key may see: those of
    /// its phone numbers. They decide who sees the events without a phone
    /// number. `None` means all, and is only honoured with `allowed` set to
    /// [`PhoneNumbers::All`]: a key restricted to some numbers without its
    /// WABAs sees no event without a phone number.
    pub allowed_wabas: Option<HashSet<String>>,
    /// Only these phone number ids; empty means all allowed.
    pub phone_number_ids: HashSet<String>,
    /// Only these kinds; empty means all.
    pub kinds: HashSet<pb::EventKind>,
    /// Only events about these contacts; empty means all.
    pub contacts: HashSet<String>,
}

impl Filter {
    /// Everything.
    pub fn all() -> Self {
        Self {
            allowed: PhoneNumbers::All,
            allowed_wabas: None,
            phone_number_ids: HashSet::new(),
            kinds: HashSet::new(),
            contacts: HashSet::new(),
        }
    }

    /// Whether `event` passes. Events without a phone number (template
    /// updates, account-level events) concern a whole account: they pass the
    /// phone filters when the key may see their WABA.
    pub fn matches(&self, event: &pb::Event) -> bool {
        let phone = event.phone_number_id.as_str();
        if phone.is_empty() {
            let waba_allowed = match (&self.allowed_wabas, &self.allowed) {
                (Some(wabas), _) => wabas.contains(&event.waba_id),
                (None, PhoneNumbers::All) => true,
                // Restricted numbers but unknown accounts: fail closed.
                (None, PhoneNumbers::Only(_)) => false,
            };
            if !waba_allowed {
                return false;
            }
        } else if !self.allowed.allows(phone)
            || (!self.phone_number_ids.is_empty() && !self.phone_number_ids.contains(phone))
        {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&kind_of(event)) {
            return false;
        }
        self.contacts.is_empty() || self.contacts.contains(contact_of(event))
    }

    /// What the subscriber chose (phone numbers, kinds, contacts), as a string
    /// equal for equal choices in any order: a consumer group stores it when
    /// it is created and compares every later subscriber's with it.
    ///
    /// What the key may see (`allowed`, `allowed_wabas`) is left out: it
    /// follows from the key, which callers make part of the group name, and a
    /// change of the key's configuration must not lock its groups.
    pub fn canonical(&self) -> String {
        fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
            let mut items: Vec<&str> = items.collect();
            items.sort_unstable();
            items
        }
        serde_json::json!({
            "phone_number_ids": sorted(self.phone_number_ids.iter().map(String::as_str)),
            "kinds": sorted(self.kinds.iter().map(|kind| kind.as_str_name())),
            "contacts": sorted(self.contacts.iter().map(String::as_str)),
        })
        .to_string()
    }
}

/// The kind of an event.
pub fn kind_of(event: &pb::Event) -> pb::EventKind {
    use pb::event::Kind;
    match event.kind {
        Some(Kind::Message(_)) => pb::EventKind::Message,
        Some(Kind::Status(_)) => pb::EventKind::Status,
        Some(Kind::TemplateStatus(_)) => pb::EventKind::TemplateStatus,
        Some(Kind::TemplateCategory(_)) => pb::EventKind::TemplateCategory,
        Some(Kind::TemplateQuality(_)) => pb::EventKind::TemplateQuality,
        Some(Kind::Error(_)) => pb::EventKind::Error,
        Some(Kind::Unknown(_)) | None => pb::EventKind::Unknown,
    }
}

/// The contact an event concerns: the sender of an inbound message, the
/// recipient of a status; empty otherwise.
pub fn contact_of(event: &pb::Event) -> &str {
    use pb::event::Kind;
    match &event.kind {
        Some(Kind::Message(m)) if !m.from.is_empty() => &m.from,
        Some(Kind::Message(m)) => &m.from_user_id,
        Some(Kind::Status(s)) if !s.recipient_id.is_empty() => &s.recipient_id,
        Some(Kind::Status(s)) => &s.recipient_user_id,
        _ => "",
    }
}

/// `id` (an event id or a message id) within the event's account: what
/// deduplication and the furthest-status rule key on, so that nothing stored
/// for one account can suppress or supersede another's.
pub fn account_scoped(event: &pb::Event, id: &str) -> String {
    format!("{}:{id}", event.waba_id)
}

/// A status's place in a message's life: a lower rank arriving after a higher
/// one is superseded. `failed` is final.
pub fn status_rank(event: &pb::Event) -> Option<(&str, u8)> {
    use pb::MessageStatus as S;
    let pb::event::Kind::Status(status) = event.kind.as_ref()? else { return None };
    let rank = match status.status() {
        S::Sent => 1,
        S::Delivered => 2,
        S::Read => 3,
        S::Played => 4,
        S::Failed => 5,
        S::Unspecified => return None,
    };
    Some((status.message_id.as_str(), rank))
}

/// Marks a status event superseded.
pub fn mark_superseded(event: &mut pb::Event) {
    if let Some(pb::event::Kind::Status(status)) = event.kind.as_mut() {
        status.superseded = true;
    }
}

/// Why a bus operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// The store (Redis) cannot be reached; nothing was stored.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// A cursor this bus did not issue.
    #[error("{cursor:?} is not a cursor of this event log: {reason}")]
    InvalidCursor {
        /// The cursor as given.
        cursor: String,
        /// Why it is refused.
        reason: String,
    },
    /// The subscriber fell more than its buffer behind.
    #[error("the subscriber fell too far behind; resume after cursor {last_cursor:?}")]
    Lagged {
        /// The cursor of the last event it was sent (empty when none).
        last_cursor: String,
    },
    /// A consumer group's subscribers must share one filter: this one's differs.
    #[error("consumer group {group:?} was created with another filter")]
    GroupFilterMismatch {
        /// The group, as the bus was given it.
        group: String,
    },
}

impl BusError {
    pub(crate) fn invalid_cursor(cursor: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidCursor { cursor: cursor.into(), reason: reason.into() }
    }
}

/// A live, filtered stream of events; ends with [`BusError::Lagged`] when the
/// subscriber falls behind. Dropping it stops its producer.
pub struct Subscription {
    rx: mpsc::Receiver<Result<pb::Event, BusError>>,
}

impl Subscription {
    /// A subscription fed by a producer task holding `tx`.
    pub(crate) fn channel(buffer: usize) -> (Feeder, Self) {
        // One slot more than the buffer, kept for the final Lagged error.
        let (tx, rx) = mpsc::channel(buffer.max(1) + 1);
        (Feeder { tx, buffer: buffer.max(1), last_cursor: String::new() }, Self { rx })
    }
}

impl Stream for Subscription {
    type Item = Result<pb::Event, BusError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// The producer side of a [`Subscription`].
pub(crate) struct Feeder {
    tx: mpsc::Sender<Result<pb::Event, BusError>>,
    buffer: usize,
    last_cursor: String,
}

/// What happened to an event offered to a subscriber.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Queued.
    Sent,
    /// The subscriber is gone, or was cut off for lagging: stop producing.
    Stop,
}

impl Feeder {
    /// Queues a replayed `event`, waiting for room: replay goes at the
    /// subscriber's pace, since the events are safe in the log meanwhile.
    pub(crate) async fn feed_paced(&mut self, event: Arc<pb::Event>) -> Fed {
        // Two permits: one for the event, one left free for a final error.
        let Ok(mut permits) = self.tx.reserve_many(2).await else { return Fed::Stop };
        let Some(permit) = permits.next() else { return Fed::Stop };
        self.last_cursor.clone_from(&event.cursor);
        permit.send(Ok(Arc::unwrap_or_clone(event)));
        Fed::Sent
    }

    /// Queues a live `event`, or cuts the subscriber off when its buffer is
    /// full, so one slow subscriber never holds events for the others.
    pub(crate) fn feed(&mut self, event: Arc<pb::Event>) -> Fed {
        // Capacity counts the reserved slot: a full buffer leaves exactly one.
        if self.tx.capacity() <= 1 {
            let last_cursor = std::mem::take(&mut self.last_cursor);
            let _ = self.tx.try_send(Err(BusError::Lagged { last_cursor }));
            return Fed::Stop;
        }
        let cursor = event.cursor.clone();
        match self.tx.try_send(Ok(Arc::unwrap_or_clone(event))) {
            Ok(()) => {
                self.last_cursor = cursor;
                Fed::Sent
            }
            Err(_) => Fed::Stop,
        }
    }

    /// Ends the stream with an error.
    pub(crate) fn fail(self, error: BusError) {
        let _ = self.tx.try_send(Err(error));
    }

    /// Waits until an event could be queued without waiting; `false` when the
    /// subscriber is gone. Consumer groups claim an event only then, so an
    /// acknowledgement deadline never runs while the event sits unread.
    pub(crate) async fn room(&self) -> bool {
        self.tx.reserve_many(2).await.is_ok()
    }

    /// How many events the buffer holds at most.
    pub(crate) fn buffer(&self) -> usize {
        self.buffer
    }

    /// Completes when the subscriber drops its stream.
    pub(crate) async fn closed(&self) {
        self.tx.closed().await;
    }
}

/// The bus, in memory (one process) or on Redis (any number of replicas).
#[derive(Clone)]
pub enum Bus {
    /// In-process.
    Memory(Arc<MemoryBus>),
    /// On Redis, shared by every replica.
    Redis(Arc<RedisBus>),
}

impl Bus {
    /// An in-memory bus.
    pub fn memory(settings: BusSettings) -> Self {
        Self::Memory(Arc::new(MemoryBus::new(settings)))
    }

    /// Stores `events` in order (dropping redeliveries, marking superseded
    /// statuses) and returns the ones stored, with their cursors.
    pub async fn publish(&self, events: Vec<pb::Event>) -> Result<Vec<pb::Event>, BusError> {
        match self {
            Self::Memory(bus) => Ok(bus.publish(events)),
            Self::Redis(bus) => bus.publish(events).await,
        }
    }

    /// A subscription from `start`, filtered.
    pub async fn subscribe(&self, start: Start, filter: Filter) -> Result<Subscription, BusError> {
        match self {
            Self::Memory(bus) => bus.subscribe(start, filter),
            Self::Redis(bus) => bus.subscribe(start, filter).await,
        }
    }

    /// A subscription sharing `group`'s events with the group's other
    /// consumers. `start` applies when the group is created, and so does
    /// `filter`: every later subscriber must have the same
    /// ([`Filter::canonical`]), or it is refused with
    /// [`BusError::GroupFilterMismatch`]. Group names should name who holds
    /// them, since what a key may see is not compared.
    ///
    /// `consumer` names the subscriber within the group; `None` makes a
    /// one-off name, forgotten (on Redis) when the subscription ends with
    /// nothing left pending for it.
    pub async fn subscribe_group(
        &self,
        group: &str,
        consumer: Option<&str>,
        start: Start,
        filter: Filter,
    ) -> Result<Subscription, BusError> {
        match self {
            Self::Memory(bus) => bus.subscribe_group(group, consumer, start, filter),
            Self::Redis(bus) => bus.subscribe_group(group, consumer, start, filter).await,
        }
    }

    /// Acknowledges events delivered to `group`; returns how many were pending.
    pub async fn ack(&self, group: &str, cursors: &[String]) -> Result<u32, BusError> {
        match self {
            Self::Memory(bus) => bus.ack(group, cursors),
            Self::Redis(bus) => bus.ack(group, cursors).await,
        }
    }

    /// Whether the store answers (always, in memory).
    pub async fn ping(&self) -> Result<(), BusError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(bus) => bus.ping().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WABA: &str = "109348720013455";
    const OTHER_WABA: &str = "209348720013455";

    fn template_status(waba_id: &str) -> pb::Event {
        pb::Event {
            id: format!("tpl-{waba_id}"),
            waba_id: waba_id.into(),
            kind: Some(pb::event::Kind::TemplateStatus(pb::TemplateStatusUpdate::default())),
            ..Default::default()
        }
    }

    fn message(phone_number_id: &str) -> pb::Event {
        pb::Event {
            id: "wamid.1".into(),
            waba_id: WABA.into(),
            phone_number_id: phone_number_id.into(),
            kind: Some(pb::event::Kind::Message(pb::InboundMessage {
                from: "14155550123".into(),
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    fn restricted(phones: &[&str], wabas: Option<&[&str]>) -> Filter {
        Filter {
            allowed: PhoneNumbers::Only(phones.iter().map(|p| (*p).to_owned()).collect()),
            allowed_wabas: wabas.map(|w| w.iter().map(|w| (*w).to_owned()).collect()),
            ..Filter::all()
        }
    }

    #[test]
    fn events_without_a_phone_number_go_only_to_keys_allowed_their_waba() {
        let unknown = pb::Event {
            waba_id: WABA.into(),
            kind: Some(pb::event::Kind::Unknown(pb::UnknownEvent::default())),
            ..Default::default()
        };
        let other_account = restricted(&["222"], Some(&[OTHER_WABA]));
        assert!(!other_account.matches(&template_status(WABA)), "another account's template update");
        assert!(!other_account.matches(&unknown), "another account's account-level field");
        assert!(other_account.matches(&template_status(OTHER_WABA)));

        let same_account = restricted(&["111"], Some(&[WABA]));
        assert!(same_account.matches(&template_status(WABA)));
        assert!(same_account.matches(&unknown));
        assert!(!same_account.matches(&template_status("")), "an event without a WABA is nobody's");

        // Restricted numbers without their accounts: fail closed.
        assert!(!restricted(&["111"], None).matches(&template_status(WABA)));
        // A key allowed every number sees every account.
        assert!(Filter::all().matches(&template_status(WABA)));
        assert!(Filter::all().matches(&template_status("")));
    }

    #[test]
    fn events_with_a_phone_number_go_by_the_number() {
        let filter = restricted(&["111"], Some(&[OTHER_WABA]));
        assert!(filter.matches(&message("111")), "the WABA set does not restrict numbered events");
        assert!(!filter.matches(&message("222")));
        let mut chosen = Filter::all();
        chosen.phone_number_ids.insert("222".into());
        assert!(chosen.matches(&message("222")));
        assert!(!chosen.matches(&message("111")));
        assert!(chosen.matches(&template_status(WABA)), "account-level events pass the chosen numbers");
    }

    #[test]
    fn the_canonical_filter_ignores_order_and_the_keys_permissions() {
        let mut a = Filter::all();
        a.kinds.extend([pb::EventKind::Status, pb::EventKind::Message]);
        a.contacts.extend(["1".to_owned(), "2".to_owned()]);
        let mut b = restricted(&["111"], Some(&[WABA]));
        b.kinds.extend([pb::EventKind::Message, pb::EventKind::Status]);
        b.contacts.extend(["2".to_owned(), "1".to_owned()]);
        assert_eq!(a.canonical(), b.canonical());

        let mut c = a.clone();
        c.contacts.remove("2");
        assert_ne!(a.canonical(), c.canonical());
        let mut d = a.clone();
        d.phone_number_ids.insert("111".into());
        assert_ne!(a.canonical(), d.canonical());
        // No ambiguity between fields or within one.
        let mut e = Filter::all();
        e.contacts.insert("1\",\"2".into());
        let mut f = Filter::all();
        f.contacts.extend(["1".to_owned(), "2".to_owned()]);
        assert_ne!(e.canonical(), f.canonical());
    }
}
