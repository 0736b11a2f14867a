//! The event bus: webhook events are published once and delivered to every
//! subscriber of every gateway replica, replayable by cursor.
//!
//! Guarantees, for both backends:
//! - `publish` returns only after the events are stored: the webhook listener
//!   acknowledges Meta only then. An error means nothing of the batch may be
//!   assumed stored, and Meta must redeliver.
//! - A redelivered event (same [`pb::Event::id`]) within the dedup window is
//!   dropped, across replicas.
//! - A status lower than the message's furthest one (a `delivered` after its
//!   `read`) is stored with `superseded = true`; it never moves state back.
//! - A subscription replays from its start and continues live, with no gap and
//!   no duplicate. A subscriber that falls more than its buffer behind gets
//!   [`BusError::Lagged`] with the last cursor it was sent, and resumes there.
//! - A consumer group delivers each event to one of its subscribers; what is
//!   not acknowledged within `ack_timeout` is delivered again.

mod memory;
mod redis;

use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tokio::sync::mpsc;
use tokio_stream::Stream;

use crate::{config::PhoneNumbers, pb};

pub use self::redis::RedisBus;
pub use memory::MemoryBus;

/// Tuning shared by both backends.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// How many events are retained for replay (Redis: `MAXLEN ~`).
    pub history: usize,
    /// How long events are retained at most (Redis: `MINID`); `None` keeps `history` only.
    pub max_age: Option<Duration>,
    /// How long a delivered event id is remembered to drop Meta's redeliveries.
    pub dedup_window: Duration,
    /// How long a consumer group waits for an acknowledgement before redelivering.
    pub ack_timeout: Duration,
    /// How many events may wait for a slow subscriber before it is cut off.
    pub subscriber_buffer: usize,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            history: 100_000,
            max_age: Some(Duration::from_secs(7 * 24 * 3600)),
            dedup_window: Duration::from_secs(7 * 24 * 3600),
            ack_timeout: Duration::from_secs(30),
            subscriber_buffer: 1024,
        }
    }
}

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
            phone_number_ids: HashSet::new(),
            kinds: HashSet::new(),
            contacts: HashSet::new(),
        }
    }

    /// Whether `event` passes. Events without a phone number (template
    /// updates) pass the phone filters: they concern the whole account.
    pub fn matches(&self, event: &pb::Event) -> bool {
        let phone = event.phone_number_id.as_str();
        if !phone.is_empty()
            && (!self.allowed.allows(phone)
                || (!self.phone_number_ids.is_empty() && !self.phone_number_ids.contains(phone)))
        {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&kind_of(event)) {
            return false;
        }
        self.contacts.is_empty() || self.contacts.contains(contact_of(event))
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
    #[error("{0:?} is not a cursor of this event log")]
    InvalidCursor(String),
    /// The subscriber fell more than its buffer behind.
    #[error("the subscriber fell too far behind; resume after cursor {last_cursor:?}")]
    Lagged {
        /// The cursor of the last event it was sent (empty when none).
        last_cursor: String,
    },
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
    /// consumers. `start` applies when the group is created.
    pub async fn subscribe_group(
        &self,
        group: &str,
        consumer: &str,
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
