//! The in-process bus: a bounded log of events, a `watch` that announces the
//! newest sequence number, and one producer task per subscriber that reads the
//! log by cursor. A subscriber never skips events: it reads them from the log
//! at its own pace while replaying, and is cut off with its last cursor when,
//! live, its buffer fills or the log evicted what it had yet to read.
//!
//! Cursors are `<run>-<seq>`: `seq` is the event's sequence number in the log
//! (from 1), `run` eight hex digits drawn when the bus is made. The log starts
//! empty with the process, so a cursor of a previous run would point at
//! unrelated events: it is refused by its run, however its number compares.
//!
//! Memory is bounded: the log holds `history` events, and the ids and status
//! ranks remembered for deduplication are capped too (oldest forgotten first).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::{
    BusError, BusSettings, Fed, Feeder, Filter, Start, Subscription, account_scoped, mark_superseded, status_rank,
};
use crate::pb;

/// How many events a producer reads from the log per lock.
const BATCH: usize = 256;

/// How many claimed events a group consumer may hold unread.
const GROUP_READ_AHEAD: usize = 16;

/// The fewest event ids (and status ranks) remembered for deduplication,
/// whatever the history; more with a longer history (see [`remembered`]).
const MIN_REMEMBERED: usize = 100_000;

/// How many event ids, and how many status ranks, are remembered at most.
fn remembered(history: usize) -> usize {
    history.saturating_mul(4).max(MIN_REMEMBERED)
}

/// The in-memory bus of one process.
pub struct MemoryBus {
    inner: Arc<Mutex<Inner>>,
    newest: watch::Sender<u64>,
    run: Run,
    settings: BusSettings,
}

/// The run of the log a cursor comes from.
#[derive(Debug, Clone)]
struct Run(Arc<str>);

struct Inner {
    /// `log[i]` has sequence number `first_seq + i`.
    log: VecDeque<Arc<pb::Event>>,
    first_seq: u64,
    next_seq: u64,
    seen: Expiring<()>,
    ranks: Expiring<u8>,
    groups: HashMap<String, Group>,
}

/// A map whose entries expire after a fixed time, oldest first, and which
/// forgets its oldest entries beyond a fixed size.
struct Expiring<V> {
    map: HashMap<String, (V, Instant)>,
    /// Every write, oldest first; a key rewritten later has a stale entry here.
    order: VecDeque<(Instant, String)>,
    ttl: Duration,
    cap: usize,
}

struct Group {
    /// The group's filter ([`Filter::canonical`]), fixed when it was created.
    filter: String,
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
            seen: Expiring::new(settings.dedup_window, remembered(settings.history)),
            ranks: Expiring::new(settings.dedup_window, remembered(settings.history)),
            groups: HashMap::new(),
        };
        let run = Run(format!("{:08x}", rand::random::<u32>()).into());
        Self { inner: Arc::new(Mutex::new(inner)), newest: watch::Sender::new(0), run, settings }
    }

    /// Stores `events` in order; see [`super::Bus::publish`].
    pub fn publish(&self, events: Vec<pb::Event>) -> Vec<pb::Event> {
        let mut stored = Vec::with_capacity(events.len());
        let mut inner = lock(&self.inner);
        let now = Instant::now();
        inner.seen.expire(now);
        inner.ranks.expire(now);
        for mut event in events {
            if !inner.seen.insert(&account_scoped(&event, &event.id), (), now) {
                continue;
            }
            if let Some((message_id, rank)) = status_rank(&event) {
                let message_key = account_scoped(&event, message_id);
                let furthest = inner.ranks.get(&message_key).copied().unwrap_or(0);
                if rank < furthest {
                    mark_superseded(&mut event);
                } else {
                    inner.ranks.upsert(&message_key, rank, now);
                }
            }
            let seq = inner.next_seq;
            inner.next_seq += 1;
            event.cursor = self.run.cursor(seq);
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
        let after = lock(&self.inner).resolve(&self.run, &start)?;
        let (feeder, subscription) = Subscription::channel(self.settings.subscriber_buffer);
        let producer = Producer { inner: self.inner.clone(), newest: self.newest.subscribe(), run: self.run.clone() };
        tokio::spawn(producer.run(after, filter, feeder));
        Ok(subscription)
    }

    /// A subscription sharing `group`'s events; see [`super::Bus::subscribe_group`].
    /// Consumers are not tracked by name here: nothing outlives the process.
    pub fn subscribe_group(
        &self,
        group: &str,
        _consumer: Option<&str>,
        start: Start,
        filter: Filter,
    ) -> Result<Subscription, BusError> {
        {
            let mut inner = lock(&self.inner);
            // Checked even when the group exists, as on Redis.
            let after = inner.resolve(&self.run, &start)?;
            let canonical = filter.canonical();
            match inner.groups.get(group) {
                Some(existing) if existing.filter != canonical => {
                    return Err(BusError::GroupFilterMismatch { group: group.to_owned() });
                }
                Some(_) => {}
                None => {
                    let created = Group { filter: canonical, next_seq: after + 1, pending: BTreeMap::new() };
                    inner.groups.insert(group.to_owned(), created);
                }
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
        let seqs = cursors.iter().map(|c| self.run.parse(c)).collect::<Result<Vec<_>, _>>()?;
        let mut inner = lock(&self.inner);
        let Some(group) = inner.groups.get_mut(group) else { return Ok(0) };
        Ok(seqs.into_iter().filter(|seq| group.pending.remove(seq).is_some()).count() as u32)
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // Every critical section leaves the state consistent before it can panic.
    inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// === impl Run ===

impl Run {
    /// The cursor of the event with sequence number `seq`.
    fn cursor(&self, seq: u64) -> String {
        format!("{}-{seq}", self.0)
    }

    /// The sequence number of a cursor this run issued (or could have: it
    /// may be newer than the newest event).
    fn parse(&self, cursor: &str) -> Result<u64, BusError> {
        let malformed = || BusError::invalid_cursor(cursor, "not of the form <run>-<sequence number>");
        let (run, seq) = cursor.split_once('-').ok_or_else(malformed)?;
        if run.len() != 8 || !run.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed());
        }
        if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if run != &*self.0 {
            return Err(BusError::invalid_cursor(
                cursor,
                "it is from a previous run of the in-memory log, which starts empty with each gateway process; \
                 subscribe from the oldest or newest event instead",
            ));
        }
        seq.parse().map_err(|_| malformed())
    }
}

// === impl Inner ===

impl Inner {
    /// The sequence number a subscription starts after.
    fn resolve(&self, run: &Run, start: &Start) -> Result<u64, BusError> {
        let newest = self.next_seq - 1;
        match start {
            Start::Newest => Ok(newest),
            Start::Oldest => Ok(self.first_seq - 1),
            Start::After(cursor) => {
                let seq = run.parse(cursor)?;
                if seq > newest {
                    return Err(BusError::invalid_cursor(
                        cursor,
                        format!("newer than the newest event, {}", run.cursor(newest)),
                    ));
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

/// What a plain subscriber's producer task reads from.
struct Producer {
    inner: Arc<Mutex<Inner>>,
    newest: watch::Receiver<u64>,
    run: Run,
}

impl Producer {
    /// Feeds one plain subscriber from the log until it goes away or lags.
    async fn run(mut self, mut after: u64, filter: Filter, mut feeder: Feeder) {
        // Replay is paced by the subscriber; once it has caught up, it is live
        // and must keep up within its buffer.
        let mut live = false;
        loop {
            // Mark the announcement seen before reading, so none is missed.
            self.newest.borrow_and_update();
            let read = lock(&self.inner).read_after(after);
            let Some(batch) = read else {
                feeder.fail(BusError::Lagged { last_cursor: self.run.cursor(after) });
                return;
            };
            if batch.is_empty() {
                live = true;
                tokio::select! {
                    changed = self.newest.changed() => if changed.is_err() { return },
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
    /// Events were evicted from the log before the group read them; the
    /// group has moved on to the oldest retained one.
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
            // Lost to the whole group: say so once, then go on from what is left.
            group.next_seq = first_seq;
            return Claimed::Gap;
        }
        while group.next_seq < next_seq {
            let seq = group.next_seq;
            group.next_seq += 1;
            let Some(event) = event_at(seq) else { continue };
            // Every consumer of the group has this filter: what it skips is
            // for none of them.
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
    fn new(ttl: Duration, cap: usize) -> Self {
        Self { map: HashMap::new(), order: VecDeque::new(), ttl, cap: cap.max(1) }
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
        // Forget the oldest beyond the cap. Stale writes count against twice
        // the cap, so that rewrites cannot grow the order without bound.
        while self.map.len() > self.cap || self.order.len() > self.cap.saturating_mul(2) {
            self.pop_oldest();
        }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) < self.ttl {
                break;
            }
            self.pop_oldest();
        }
    }

    /// Drops the oldest write; it removes its key unless the key was rewritten since.
    fn pop_oldest(&mut self) {
        let Some((at, key)) = self.order.pop_front() else { return };
        if self.map.get(&key).is_some_and(|(_, written)| *written == at) {
            self.map.remove(&key);
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
            assert_eq!(event.cursor, format!("{}-{}", bus.run.0, i + 1));
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
        let newer = format!("{}-999", bus.run.0);
        for bad in ["x", "5", "-5", "0000000g-5", "0000000-5", &format!("{}-", bus.run.0), &newer] {
            let refused = bus.subscribe(Start::After(bad.to_owned()), Filter::all());
            assert!(matches!(refused, Err(BusError::InvalidCursor { .. })), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_cursor_of_a_previous_run_is_refused_whatever_its_number() {
        let before = bus(16);
        let stored = before.publish((0..10).map(|i| text(&format!("m{i}"))).collect());
        // The process restarts: a new, empty log that soon has more events.
        let after = bus(16);
        after.publish((0..20).map(|i| text(&format!("n{i}"))).collect());
        let old = stored[4].cursor.clone();
        match after.subscribe(Start::After(old.clone()), Filter::all()) {
            Err(BusError::InvalidCursor { cursor, reason }) => {
                assert_eq!(cursor, old);
                assert!(reason.contains("from a previous run of the in-memory log"), "{reason}");
            }
            other => panic!("expected InvalidCursor, got {:?}", other.map(|_| ())),
        }
        assert!(matches!(after.ack("g", &[old]), Err(BusError::InvalidCursor { .. })));
        // Oldest and newest still work.
        let mut oldest = after.subscribe(Start::Oldest, Filter::all()).unwrap();
        assert_eq!(next(&mut oldest).await.unwrap().id, "n0");
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
        let mut a = bus.subscribe_group("g", Some("a"), Start::Oldest, Filter::all()).unwrap();
        let mut b = bus.subscribe_group("g", Some("b"), Start::Oldest, Filter::all()).unwrap();
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

    #[tokio::test]
    async fn a_group_behind_the_history_reports_the_gap_once_and_goes_on() {
        let bus = MemoryBus::new(BusSettings { history: 5, ..BusSettings::default() });
        let first = bus.subscribe_group("g", None, Start::Oldest, Filter::all()).unwrap();
        drop(first);
        // Nobody reads while the log evicts what the group has not read.
        bus.publish((0..20).map(|i| text(&format!("m{i}"))).collect());

        let mut lagging = bus.subscribe_group("g", None, Start::Oldest, Filter::all()).unwrap();
        assert!(matches!(next(&mut lagging).await, Err(BusError::Lagged { .. })));
        assert!(lagging.next().await.is_none(), "cut off after the lag");

        let mut resumed = bus.subscribe_group("g", None, Start::Oldest, Filter::all()).unwrap();
        for i in 15..20 {
            let event = next(&mut resumed).await.expect("the group goes on from the oldest retained event");
            assert_eq!(event.id, format!("m{i}"));
            assert_eq!(bus.ack("g", &[event.cursor]).unwrap(), 1);
        }
        bus.publish(vec![text("live")]);
        assert_eq!(next(&mut resumed).await.unwrap().id, "live");
    }

    #[tokio::test]
    async fn a_group_has_one_filter() {
        let bus = bus(16);
        let statuses = || {
            let mut filter = Filter::all();
            filter.kinds.insert(pb::EventKind::Status);
            filter
        };
        let mut a = bus.subscribe_group("g", Some("a"), Start::Newest, statuses()).unwrap();
        let refused = bus.subscribe_group("g", Some("b"), Start::Newest, Filter::all());
        assert!(matches!(refused, Err(BusError::GroupFilterMismatch { group }) if group == "g"));
        // The same filter joins; another group may have another filter.
        let mut b = bus.subscribe_group("g", Some("b"), Start::Newest, statuses()).unwrap();
        let mut all = bus.subscribe_group("h", Some("a"), Start::Newest, Filter::all()).unwrap();

        bus.publish(vec![text("m1"), status("w1", pb::MessageStatus::Sent), status("w1", pb::MessageStatus::Read)]);
        let mut got = Vec::new();
        while got.len() < 2 {
            let event = tokio::select! { e = next(&mut a) => e.unwrap(), e = next(&mut b) => e.unwrap() };
            got.push(event.id);
        }
        got.sort();
        assert_eq!(got, ["w1:MESSAGE_STATUS_READ", "w1:MESSAGE_STATUS_SENT"]);
        assert_eq!(next(&mut all).await.unwrap().id, "m1");
    }

    #[test]
    fn expiring_forgets_its_oldest_entries_beyond_its_cap() {
        let mut map = Expiring::new(Duration::from_secs(3600), 3);
        let now = Instant::now();
        for key in ["a", "b", "c", "d"] {
            assert!(map.insert(key, (), now));
        }
        assert_eq!(map.map.len(), 3);
        assert!(map.get("a").is_none(), "the oldest went first");
        assert!(map.insert("a", (), now), "forgotten, so new again");
        assert!(!map.insert("d", (), now));
        // Rewrites of one key keep the order bounded too.
        for rank in 0..100 {
            map.upsert("d", (), now + Duration::from_millis(rank));
        }
        assert!(map.order.len() <= 6, "{}", map.order.len());
        assert!(map.get("d").is_some(), "the newest write stays");
    }

    #[test]
    fn dedup_memory_is_bounded_whatever_the_window() {
        let bus = MemoryBus::new(BusSettings { history: 10, ..BusSettings::default() });
        let cap = remembered(10);
        assert_eq!(cap, MIN_REMEMBERED);
        for batch in 0..(cap / 1000 + 1) {
            let events = (batch * 1000..batch * 1000 + 1000)
                .flat_map(|i| [text(&format!("m{i}")), status(&format!("w{i}"), pb::MessageStatus::Sent)]);
            bus.publish(events.collect());
        }
        let inner = lock(&bus.inner);
        assert_eq!(inner.seen.map.len(), cap);
        assert_eq!(inner.ranks.map.len(), cap);
        assert!(inner.seen.order.len() <= 2 * cap && inner.ranks.order.len() <= 2 * cap);
        assert_eq!(inner.log.len(), 10);
    }
}
