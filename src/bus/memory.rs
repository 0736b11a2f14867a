//! The in-process bus: a bounded log of events, a `watch` that announces the
//! newest sequence number, and one producer task per subscriber that reads the
//! log by cursor. A subscriber never skips events: it reads them from the log
//! at its own pace while replaying, and is cut off with its last cursor when,
//! live, its buffer fills or the log evicted what it had yet to read.
//!
//! Cursors are the decimal sequence numbers of the log (from 1). The log
//! starts empty with the process, so a cursor from before a restart is refused.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::{BusError, BusSettings, Fed, Feeder, Filter, Start, Subscription, mark_superseded, status_rank};
use crate::pb;

/// How many events a producer reads from the log per lock.
const BATCH: usize = 256;

/// How many claimed events a group consumer may hold unread.
const GROUP_READ_AHEAD: usize = 16;

/// The in-memory bus of one process.
pub struct MemoryBus {
    inner: Arc<Mutex<Inner>>,
    newest: watch::Sender<u64>,
    settings: BusSettings,
}

struct Inner {
    /// `log[i]` has sequence number `first_seq + i`.
    log: VecDeque<Arc<pb::Event>>,
    first_seq: u64,
    next_seq: u64,
    seen: Expiring<()>,
    ranks: Expiring<u8>,
    groups: HashMap<String, Group>,
}

/// A map whose entries expire after a fixed time, oldest first.
struct Expiring<V> {
    map: HashMap<String, (V, Instant)>,
    order: VecDeque<(Instant, String)>,
    ttl: Duration,
}

struct Group {
    /// The next sequence number no consumer has been given yet.
    next_seq: u64,
    /// Delivered, not yet acknowledged: sequence → redelivery deadline.
    pending: BTreeMap<u64, Instant>,
}

// === impl MemoryBus ===

impl MemoryBus {
    /// An empty bus.
    pub fn new(settings: BusSettings) -> Self {
        let inner = Inner {
            log: VecDeque::new(),
            first_seq: 1,
            next_seq: 1,
            seen: Expiring::new(settings.dedup_window),
            ranks: Expiring::new(settings.dedup_window),
            groups: HashMap::new(),
        };
        Self { inner: Arc::new(Mutex::new(inner)), newest: watch::Sender::new(0), settings }
    }

    /// Stores `events` in order; see [`super::Bus::publish`].
    pub fn publish(&self, events: Vec<pb::Event>) -> Vec<pb::Event> {
        let mut stored = Vec::with_capacity(events.len());
        let mut inner = lock(&self.inner);
        let now = Instant::now();
        inner.seen.expire(now);
        inner.ranks.expire(now);
        for mut event in events {
            if !inner.seen.insert(&event.id, (), now) {
                continue;
            }
            if let Some((message_id, rank)) = status_rank(&event) {
                let furthest = inner.ranks.get(message_id).copied().unwrap_or(0);
                if rank < furthest {
                    mark_superseded(&mut event);
                } else {
                    let message_id = message_id.to_owned();
                    inner.ranks.upsert(&message_id, rank, now);
                }
            }
            let seq = inner.next_seq;
            inner.next_seq += 1;
            event.cursor = seq.to_string();
            inner.log.push_back(Arc::new(event.clone()));
            stored.push(event);
        }
        while inner.log.len() > self.settings.history {
            inner.log.pop_front();
            inner.first_seq += 1;
        }
        let newest = inner.next_seq - 1;
        drop(inner);
        self.newest.send_replace(newest);
        stored
    }

    /// A subscription from `start`; see [`super::Bus::subscribe`].
    pub fn subscribe(&self, start: Start, filter: Filter) -> Result<Subscription, BusError> {
        let after = lock(&self.inner).resolve(&start)?;
        let (feeder, subscription) = Subscription::channel(self.settings.subscriber_buffer);
        tokio::spawn(produce(self.inner.clone(), self.newest.subscribe(), after, filter, feeder));
        Ok(subscription)
    }

    /// A subscription sharing `group`'s events; see [`super::Bus::subscribe_group`].
    pub fn subscribe_group(
        &self,
        group: &str,
        _consumer: &str,
        start: Start,
        filter: Filter,
    ) -> Result<Subscription, BusError> {
        {
            let mut inner = lock(&self.inner);
            if !inner.groups.contains_key(group) {
                let after = inner.resolve(&start)?;
                inner.groups.insert(group.to_owned(), Group { next_seq: after + 1, pending: BTreeMap::new() });
            }
        }
        // A group consumer reads ahead little: every event it holds is claimed.
        let (feeder, subscription) = Subscription::channel(self.settings.subscriber_buffer.min(GROUP_READ_AHEAD));
        let consumer = GroupConsumer {
            inner: self.inner.clone(),
            newest: self.newest.subscribe(),
            group: group.to_owned(),
            filter,
            ack_timeout: self.settings.ack_timeout,
        };
        tokio::spawn(consumer.run(feeder));
        Ok(subscription)
    }

    /// Acknowledges `cursors` for `group`; returns how many were pending.
    pub fn ack(&self, group: &str, cursors: &[String]) -> Result<u32, BusError> {
        let seqs = cursors.iter().map(|c| parse_cursor(c)).collect::<Result<Vec<_>, _>>()?;
        let mut inner = lock(&self.inner);
        let Some(group) = inner.groups.get_mut(group) else { return Ok(0) };
        Ok(seqs.into_iter().filter(|seq| group.pending.remove(seq).is_some()).count() as u32)
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // Every critical section leaves the state consistent before it can panic.
    inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn parse_cursor(cursor: &str) -> Result<u64, BusError> {
    cursor.parse().map_err(|_| BusError::InvalidCursor(cursor.to_owned()))
}

// === impl Inner ===

impl Inner {
    /// The sequence number a subscription starts after.
    fn resolve(&self, start: &Start) -> Result<u64, BusError> {
        let newest = self.next_seq - 1;
        match start {
            Start::Newest => Ok(newest),
            Start::Oldest => Ok(self.first_seq - 1),
            Start::After(cursor) => {
                let seq = parse_cursor(cursor)?;
                if seq > newest {
                    return Err(BusError::InvalidCursor(format!(
                        "{cursor} (newer than the newest event {newest}; the in-memory log restarts empty)"
                    )));
                }
                // Older than the history: everything still retained.
                Ok(seq.max(self.first_seq - 1))
            }
        }
    }

    /// Up to `BATCH` events after `after`; `None` when `after` was evicted:
    /// the reader has a gap.
    fn read_after(&self, after: u64) -> Option<Vec<(u64, Arc<pb::Event>)>> {
        if after + 1 < self.first_seq {
            return None;
        }
        let from = (after + 1 - self.first_seq) as usize;
        let batch = self.log.iter().skip(from).take(BATCH).enumerate();
        Some(batch.map(|(i, e)| (after + 1 + i as u64, e.clone())).collect())
    }
}

/// Feeds one plain subscriber from the log until it goes away or lags.
async fn produce(
    inner: Arc<Mutex<Inner>>,
    mut newest: watch::Receiver<u64>,
    mut after: u64,
    filter: Filter,
    mut feeder: Feeder,
) {
    // Replay is paced by the subscriber; once it has caught up, it is live
    // and must keep up within its buffer.
    let mut live = false;
    loop {
        // Mark the announcement seen before reading, so none is missed.
        newest.borrow_and_update();
        let read = lock(&inner).read_after(after);
        let Some(batch) = read else {
            feeder.fail(BusError::Lagged { last_cursor: after.to_string() });
            return;
        };
        if batch.is_empty() {
            live = true;
            tokio::select! {
                changed = newest.changed() => if changed.is_err() { return },
                () = feeder.closed() => return,
            }
            continue;
        }
        for (seq, event) in batch {
            after = seq;
            if !filter.matches(&event) {
                continue;
            }
            let fed = if live { feeder.feed(event) } else { feeder.feed_paced(event).await };
            if fed == Fed::Stop {
                return;
            }
        }
    }
}

/// One consumer of a group: takes the group's next event, or one whose
/// acknowledgement is overdue.
struct GroupConsumer {
    inner: Arc<Mutex<Inner>>,
    newest: watch::Receiver<u64>,
    group: String,
    filter: Filter,
    ack_timeout: Duration,
}

enum Claimed {
    Event(Arc<pb::Event>),
    /// Nothing now; the earliest redelivery deadline, if any.
    Wait(Option<Instant>),
    /// The group's position was evicted from the log.
    Gap,
}

impl GroupConsumer {
    async fn run(mut self, mut feeder: Feeder) {
        loop {
            if !feeder.room().await {
                return;
            }
            self.newest.borrow_and_update();
            match self.claim() {
                Claimed::Event(event) => {
                    if feeder.feed_paced(event).await == Fed::Stop {
                        return;
                    }
                }
                Claimed::Gap => {
                    feeder.fail(BusError::Lagged { last_cursor: String::new() });
                    return;
                }
                Claimed::Wait(deadline) => {
                    let sleep = async {
                        match deadline {
                            Some(at) => tokio::time::sleep_until(at.into()).await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        changed = self.newest.changed() => if changed.is_err() { return },
                        () = sleep => {}
                        () = feeder.closed() => return,
                    }
                }
            }
        }
    }

    fn claim(&self) -> Claimed {
        let mut inner = lock(&self.inner);
        let now = Instant::now();
        let Inner { groups, log, first_seq, next_seq, .. } = &mut *inner;
        let (first_seq, next_seq) = (*first_seq, *next_seq);
        let Some(group) = groups.get_mut(&self.group) else { return Claimed::Wait(None) };
        let event_at = |seq: u64| log.get(seq.checked_sub(first_seq)? as usize).cloned();

        // Overdue first: they were delivered and never acknowledged.
        let overdue = group.pending.iter().find(|(_, deadline)| **deadline <= now).map(|(seq, _)| *seq);
        if let Some(seq) = overdue {
            match event_at(seq) {
                Some(event) => {
                    group.pending.insert(seq, now + self.ack_timeout);
                    return Claimed::Event(event);
                }
                // Evicted before anyone acknowledged it: nothing left to redeliver.
                None => {
                    group.pending.remove(&seq);
                }
            }
        }
        if group.next_seq < first_seq {
            return Claimed::Gap;
        }
        while group.next_seq < next_seq {
            let seq = group.next_seq;
            group.next_seq += 1;
            let Some(event) = event_at(seq) else { continue };
            if self.filter.matches(&event) {
                group.pending.insert(seq, now + self.ack_timeout);
                return Claimed::Event(event);
            }
        }
        Claimed::Wait(group.pending.values().min().copied())
    }
}

// === impl Expiring ===

impl<V> Expiring<V> {
    fn new(ttl: Duration) -> Self {
        Self { map: HashMap::new(), order: VecDeque::new(), ttl }
    }

    /// Inserts `key` unless present; returns whether it was new.
    fn insert(&mut self, key: &str, value: V, now: Instant) -> bool {
        if self.map.contains_key(key) {
            return false;
        }
        self.upsert(key, value, now);
        true
    }

    fn upsert(&mut self, key: &str, value: V, now: Instant) {
        self.map.insert(key.to_owned(), (value, now));
        self.order.push_back((now, key.to_owned()));
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) < self.ttl {
                break;
            }
            let Some((at, key)) = self.order.pop_front() else { break };
            // Only the newest write of a key removes it.
            if self.map.get(&key).is_some_and(|(_, written)| *written == at) {
                self.map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_stream::StreamExt as _;

    fn text(id: &str) -> pb::Event {
        pb::Event {
            id: id.into(),
            phone_number_id: "1".into(),
            kind: Some(pb::event::Kind::Message(pb::InboundMessage {
                message_id: id.into(),
                from: "14155550123".into(),
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    fn status(wamid: &str, status: pb::MessageStatus) -> pb::Event {
        let mut update = pb::MessageStatusUpdate { message_id: wamid.into(), ..Default::default() };
        update.set_status(status);
        pb::Event {
            id: format!("{wamid}:{}", status.as_str_name()),
            kind: Some(pb::event::Kind::Status(update)),
            ..Default::default()
        }
    }

    fn bus(buffer: usize) -> MemoryBus {
        MemoryBus::new(BusSettings { history: 10_000, subscriber_buffer: buffer, ..BusSettings::default() })
    }

    async fn next(sub: &mut Subscription) -> Result<pb::Event, BusError> {
        tokio::time::timeout(Duration::from_secs(5), sub.next()).await.expect("no event in 5 s").expect("stream ended")
    }

    #[tokio::test]
    async fn replay_then_live_without_gap_or_duplicate() {
        let bus = bus(16);
        bus.publish((0..100).map(|i| text(&format!("m{i}"))).collect());
        let mut sub = bus.subscribe(Start::Oldest, Filter::all()).unwrap();
        let more = bus.publish((100..150).map(|i| text(&format!("m{i}"))).collect());
        assert_eq!(more.len(), 50);
        for i in 0..150 {
            let event = next(&mut sub).await.unwrap();
            assert_eq!(event.id, format!("m{i}"));
            assert_eq!(event.cursor, (i + 1).to_string());
        }
    }

    #[tokio::test]
    async fn after_a_cursor_resumes_exactly_and_newest_skips_history() {
        let bus = bus(16);
        let stored = bus.publish((0..10).map(|i| text(&format!("m{i}"))).collect());
        let mut after = bus.subscribe(Start::After(stored[4].cursor.clone()), Filter::all()).unwrap();
        assert_eq!(next(&mut after).await.unwrap().id, "m5");
        let mut newest = bus.subscribe(Start::Newest, Filter::all()).unwrap();
        bus.publish(vec![text("late")]);
        assert_eq!(next(&mut newest).await.unwrap().id, "late");
        assert!(matches!(bus.subscribe(Start::After("x".into()), Filter::all()), Err(BusError::InvalidCursor(_))));
        assert!(matches!(bus.subscribe(Start::After("999".into()), Filter::all()), Err(BusError::InvalidCursor(_))));
    }

    #[tokio::test]
    async fn redeliveries_are_dropped_and_late_statuses_superseded() {
        let bus = bus(16);
        assert_eq!(bus.publish(vec![text("m1"), text("m1")]).len(), 1);
        assert!(bus.publish(vec![text("m1")]).is_empty());
        let stored = bus.publish(vec![
            status("w1", pb::MessageStatus::Read),
            status("w1", pb::MessageStatus::Delivered),
            status("w1", pb::MessageStatus::Failed),
        ]);
        let superseded: Vec<bool> = stored
            .iter()
            .map(|e| match &e.kind {
                Some(pb::event::Kind::Status(s)) => s.superseded,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(superseded, [false, true, false]);
    }

    #[tokio::test]
    async fn a_live_subscriber_that_stops_reading_is_cut_off_with_its_cursor() {
        let bus = bus(4);
        let mut slow = bus.subscribe(Start::Newest, Filter::all()).unwrap();
        let mut fast = bus.subscribe(Start::Newest, Filter::all()).unwrap();
        for i in 0..10 {
            bus.publish(vec![text(&format!("m{i}"))]);
            assert_eq!(next(&mut fast).await.unwrap().id, format!("m{i}"));
        }
        let mut received = Vec::new();
        let last = loop {
            match next(&mut slow).await {
                Ok(event) => received.push(event.cursor),
                Err(BusError::Lagged { last_cursor }) => break last_cursor,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(received.len(), 4);
        assert_eq!(received.last(), Some(&last));
    }

    #[tokio::test]
    async fn a_group_shares_events_and_redelivers_what_is_not_acknowledged() {
        let bus = MemoryBus::new(BusSettings { ack_timeout: Duration::from_millis(50), ..BusSettings::default() });
        let mut a = bus.subscribe_group("g", "a", Start::Oldest, Filter::all()).unwrap();
        let mut b = bus.subscribe_group("g", "b", Start::Oldest, Filter::all()).unwrap();
        bus.publish((0..200).map(|i| text(&format!("m{i}"))).collect());
        let mut seen = std::collections::HashSet::new();
        while seen.len() < 200 {
            let event = tokio::select! {
                e = next(&mut a) => e.unwrap(),
                e = next(&mut b) => e.unwrap(),
            };
            assert!(seen.insert(event.id.clone()), "{} delivered twice before its deadline", event.id);
            if event.id != "m7" {
                assert_eq!(bus.ack("g", &[event.cursor]).unwrap(), 1);
            }
        }
        // m7 was never acknowledged: it comes again.
        let again = tokio::select! { e = next(&mut a) => e.unwrap(), e = next(&mut b) => e.unwrap() };
        assert_eq!(again.id, "m7");
        assert_eq!(bus.ack("g", std::slice::from_ref(&again.cursor)).unwrap(), 1);
        assert_eq!(bus.ack("g", &[again.cursor]).unwrap(), 0);
    }

    #[tokio::test]
    async fn filters_by_phone_kind_and_contact() {
        let bus = bus(16);
        let mut filter = Filter::all();
        filter.kinds.insert(pb::EventKind::Status);
        let mut statuses = bus.subscribe(Start::Newest, filter).unwrap();
        bus.publish(vec![text("m1"), status("w1", pb::MessageStatus::Sent)]);
        assert_eq!(next(&mut statuses).await.unwrap().id, "w1:MESSAGE_STATUS_SENT");
    }
}
