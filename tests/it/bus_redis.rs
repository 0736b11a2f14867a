//! The Redis event bus against a real `redis-server`: replay and live delivery
//! by cursor, deduplication and status ranking across replicas, lagging
//! subscribers, consumer groups with acknowledgement and redelivery, and a
//! Redis outage.
//!
//! Every test runs its own server; timeouts only bound failures.

use std::{collections::HashSet, sync::Arc, time::Duration};

use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use wagate::{
    bus::{Bus, BusError, BusSettings, Filter, RedisBus, Start, Subscription},
    pb,
};

use crate::support::redis::RedisServer;

/// How long anything expected may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);
const PREFIX: &str = "wagate-test:";
const ALICE: &str = "14155550123";
const BOB: &str = "14155550456";

fn settings() -> BusSettings {
    BusSettings { history: 10_000, ..BusSettings::default() }
}

async fn connect(redis: &RedisServer, settings: BusSettings) -> RedisBus {
    connect_with(redis, PREFIX, settings, CancellationToken::new()).await
}

async fn connect_with(redis: &RedisServer, prefix: &str, settings: BusSettings, token: CancellationToken) -> RedisBus {
    RedisBus::connect(&redis.url(), prefix, settings, token).await.expect("connect to the test redis")
}

fn message_from(id: &str, from: &str) -> pb::Event {
    pb::Event {
        id: id.into(),
        phone_number_id: "113502948871204".into(),
        kind: Some(pb::event::Kind::Message(pb::InboundMessage {
            message_id: id.into(),
            from: from.into(),
            ..Default::default()
        })),
        raw_json: format!(r#"{{"id":"{id}"}}"#),
        ..Default::default()
    }
}

fn message(id: &str) -> pb::Event {
    message_from(id, ALICE)
}

fn messages(prefix: &str, range: std::ops::Range<usize>) -> Vec<pb::Event> {
    range.map(|i| message(&format!("{prefix}{i}"))).collect()
}

fn status(wamid: &str, status: pb::MessageStatus) -> pb::Event {
    let mut update =
        pb::MessageStatusUpdate { message_id: wamid.into(), recipient_id: ALICE.into(), ..Default::default() };
    update.set_status(status);
    pb::Event {
        id: format!("{wamid}:{}", status.as_str_name()),
        phone_number_id: "113502948871204".into(),
        kind: Some(pb::event::Kind::Status(update)),
        ..Default::default()
    }
}

fn superseded(event: &pb::Event) -> bool {
    match &event.kind {
        Some(pb::event::Kind::Status(status)) => status.superseded,
        other => panic!("not a status: {other:?}"),
    }
}

fn from_contacts(contacts: &[&str]) -> Filter {
    Filter { contacts: contacts.iter().map(|c| (*c).to_owned()).collect(), ..Filter::all() }
}

fn ids(events: &[pb::Event]) -> Vec<&str> {
    events.iter().map(|e| e.id.as_str()).collect()
}

/// The next item of `sub`; fails the test if none comes within [`WAIT`] or
/// the stream ends.
async fn next(sub: &mut Subscription) -> Result<pb::Event, BusError> {
    tokio::time::timeout(WAIT, sub.next()).await.expect("nothing arrived in time").expect("the stream ended")
}

async fn next_event(sub: &mut Subscription) -> pb::Event {
    next(sub).await.expect("an event")
}

async fn take(sub: &mut Subscription, n: usize) -> Vec<pb::Event> {
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        events.push(next_event(sub).await);
    }
    events
}

/// Whether `sub` ends (rather than yielding more) within [`WAIT`].
async fn ends(sub: &mut Subscription) -> bool {
    tokio::time::timeout(WAIT, sub.next()).await.expect("the stream neither ended nor yielded").is_none()
}

#[tokio::test]
async fn oldest_replays_everything_in_order_then_goes_live() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let stored = bus.publish(messages("m", 0..5)).await.unwrap();
    assert_eq!(ids(&stored), ["m0", "m1", "m2", "m3", "m4"]);

    let mut sub = bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    let replayed = take(&mut sub, 5).await;
    assert_eq!(replayed, stored, "same events, same cursors");
    for pair in stored.windows(2) {
        let key = |c: &str| -> (u64, u64) {
            let (ms, seq) = c.split_once('-').expect("a stream id");
            (ms.parse().unwrap(), seq.parse().unwrap())
        };
        assert!(key(&pair[0].cursor) < key(&pair[1].cursor), "cursors increase: {pair:?}");
    }
    assert_eq!(replayed[2].raw_json, r#"{"id":"m2"}"#);

    let live = bus.publish(vec![message("live")]).await.unwrap();
    assert_eq!(next_event(&mut sub).await, live[0]);
}

#[tokio::test]
async fn newest_delivers_only_later_events() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    bus.publish(messages("old", 0..3)).await.unwrap();

    let mut sub = bus.subscribe(Start::Newest, Filter::all()).await.unwrap();
    bus.publish(vec![message("new0")]).await.unwrap();
    bus.publish(vec![message("new1")]).await.unwrap();
    assert_eq!(ids(&take(&mut sub, 2).await), ["new0", "new1"]);

    // On an empty log too.
    let other = connect_with(&redis, "wagate-empty:", settings(), CancellationToken::new()).await;
    let mut sub = other.subscribe(Start::Newest, Filter::all()).await.unwrap();
    other.publish(vec![message("first")]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "first");
}

#[tokio::test]
async fn after_a_cursor_resumes_exactly_after_it() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let stored = bus.publish(messages("m", 0..5)).await.unwrap();

    let mut sub = bus.subscribe(Start::After(stored[2].cursor.clone()), Filter::all()).await.unwrap();
    assert_eq!(take(&mut sub, 2).await, stored[3..]);
    bus.publish(vec![message("m5")]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "m5");

    // A cursor older than everything retained starts at the oldest event.
    let mut sub = bus.subscribe(Start::After("1-0".into()), Filter::all()).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "m0");

    for bad in ["", "abc", "12", "1-2-3", "-1-0", "99999999999999999999-0"] {
        let result = bus.subscribe(Start::After(bad.into()), Filter::all()).await;
        assert!(matches!(result, Err(BusError::InvalidCursor { .. })), "{bad:?}");
    }
    // Well-formed, but from the future: no event would ever come.
    let result = bus.subscribe(Start::After("99999999999999-0".into()), Filter::all()).await;
    assert!(matches!(result, Err(BusError::InvalidCursor { .. })));
}

#[tokio::test]
async fn a_subscriber_cut_off_midway_resumes_after_its_cursor_with_every_event_once() {
    let redis = RedisServer::start();
    let bus = Arc::new(connect(&redis, settings()).await);
    let mut sub = bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();

    let publisher = tokio::spawn({
        let bus = bus.clone();
        async move {
            for batch in 0..100 {
                let stored = bus.publish(messages("m", batch * 10..batch * 10 + 10)).await.unwrap();
                assert_eq!(stored.len(), 10);
            }
        }
    });
    let first = take(&mut sub, 300).await;
    let last = first.last().unwrap().cursor.clone();
    drop(sub);
    publisher.await.unwrap();

    let mut resumed = bus.subscribe(Start::After(last), Filter::all()).await.unwrap();
    let rest = take(&mut resumed, 700).await;
    let all: Vec<String> = first.iter().chain(&rest).map(|e| e.id.clone()).collect();
    let expected: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    assert_eq!(all, expected, "every event exactly once, in order");

    // Nothing else was queued before the next event.
    bus.publish(vec![message("sentinel")]).await.unwrap();
    assert_eq!(next_event(&mut resumed).await.id, "sentinel");
}

#[tokio::test]
async fn redeliveries_are_dropped_across_replicas() {
    let redis = RedisServer::start();
    let a = connect(&redis, settings()).await;
    let b = connect(&redis, settings()).await;

    assert_eq!(ids(&a.publish(vec![message("m1")]).await.unwrap()), ["m1"]);
    assert!(a.publish(vec![message("m1")]).await.unwrap().is_empty(), "redelivered to the same replica");
    assert_eq!(ids(&b.publish(vec![message("m1"), message("m2")]).await.unwrap()), ["m2"], "to another replica");
    assert_eq!(ids(&a.publish(vec![message("m3"), message("m3")]).await.unwrap()), ["m3"], "twice in one batch");

    let mut sub = b.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    assert_eq!(ids(&take(&mut sub, 3).await), ["m1", "m2", "m3"]);
    a.publish(vec![message("sentinel")]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "sentinel");
}

#[tokio::test]
async fn a_status_after_a_further_one_is_stored_superseded() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    use pb::MessageStatus::{Delivered, Failed, Read, Sent};

    let read = bus.publish(vec![status("w1", Read)]).await.unwrap();
    let delivered = bus.publish(vec![status("w1", Delivered)]).await.unwrap();
    let failed = bus.publish(vec![status("w1", Failed)]).await.unwrap();
    assert!(!superseded(&read[0]));
    assert!(superseded(&delivered[0]), "delivered after read");
    assert!(!superseded(&failed[0]));

    // Within one batch, in order.
    let batch = bus.publish(vec![status("w2", Sent), status("w2", Read), status("w2", Delivered)]).await.unwrap();
    assert_eq!(batch.iter().map(superseded).collect::<Vec<_>>(), [false, false, true]);

    // Stored that way, for every replica.
    let mut sub = bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    let replayed = take(&mut sub, 6).await;
    assert_eq!(replayed.iter().map(superseded).collect::<Vec<_>>(), [false, true, false, false, false, true]);
}

#[tokio::test]
async fn events_published_on_one_replica_reach_subscribers_of_another() {
    let redis = RedisServer::start();
    let a = Bus::Redis(Arc::new(connect(&redis, settings()).await));
    let b = Bus::Redis(Arc::new(connect(&redis, settings()).await));
    let elsewhere = connect_with(&redis, "wagate-other:", settings(), CancellationToken::new()).await;

    let mut on_b = b.subscribe(Start::Newest, Filter::all()).await.unwrap();
    let mut on_a = a.subscribe(Start::Newest, Filter::all()).await.unwrap();
    let mut other_prefix = elsewhere.subscribe(Start::Newest, Filter::all()).await.unwrap();

    let stored = a.publish(vec![message("m1")]).await.unwrap();
    assert_eq!(next_event(&mut on_b).await, stored[0]);
    assert_eq!(next_event(&mut on_a).await, stored[0]);
    let stored = b.publish(vec![message("m2")]).await.unwrap();
    assert_eq!(next_event(&mut on_a).await, stored[0]);
    assert_eq!(next_event(&mut on_b).await, stored[0]);

    // A bus with another key prefix shares nothing.
    elsewhere.publish(vec![message("m1")]).await.unwrap();
    assert_eq!(next_event(&mut other_prefix).await.id, "m1", "not deduplicated against the other prefix");
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_cut_off_with_its_cursor_and_others_keep_up() {
    let redis = RedisServer::start();
    let bus = connect(&redis, BusSettings { subscriber_buffer: 8, ..settings() }).await;
    let mut slow = bus.subscribe(Start::Newest, Filter::all()).await.unwrap();
    // Alice's events fit in the buffer; all twelve do not.
    let mut fast = bus.subscribe(Start::Newest, from_contacts(&[ALICE])).await.unwrap();

    let batch: Vec<pb::Event> =
        (0..12).map(|i| message_from(&format!("m{i}"), if i % 3 == 0 { ALICE } else { BOB })).collect();
    let stored = bus.publish(batch).await.unwrap();
    assert_eq!(ids(&take(&mut fast, 4).await), ["m0", "m3", "m6", "m9"]);

    // Live events are not held for the slow one: it gets what fit, then Lagged.
    assert_eq!(take(&mut slow, 8).await, stored[..8]);
    match next(&mut slow).await {
        Err(BusError::Lagged { last_cursor }) => assert_eq!(last_cursor, stored[7].cursor),
        other => panic!("expected Lagged, got {other:?}"),
    }
    assert!(ends(&mut slow).await);

    // The other subscriber goes on.
    bus.publish(vec![message("later")]).await.unwrap();
    assert_eq!(next_event(&mut fast).await.id, "later");

    // And the slow one resumes where it was cut off.
    let mut resumed = bus.subscribe(Start::After(stored[7].cursor.clone()), Filter::all()).await.unwrap();
    assert_eq!(ids(&take(&mut resumed, 5).await), ["m8", "m9", "m10", "m11", "later"]);
}

#[tokio::test]
async fn a_replay_larger_than_the_buffer_goes_at_the_subscribers_pace() {
    let redis = RedisServer::start();
    let bus = connect(&redis, BusSettings { subscriber_buffer: 8, ..settings() }).await;
    for batch in 0..3 {
        bus.publish(messages("m", batch * 400..batch * 400 + 400)).await.unwrap();
    }
    let mut sub = bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    let replayed = take(&mut sub, 1200).await;
    assert!(replayed.iter().enumerate().all(|(i, e)| e.id == format!("m{i}")));
}

#[tokio::test]
async fn filters_skip_events_without_moving_the_cursor_back() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let mut sub = bus.subscribe(Start::Oldest, from_contacts(&[BOB])).await.unwrap();
    bus.publish(vec![message_from("a1", ALICE), message_from("b1", BOB), message_from("a2", ALICE)]).await.unwrap();
    bus.publish(vec![message_from("b2", BOB)]).await.unwrap();
    assert_eq!(ids(&take(&mut sub, 2).await), ["b1", "b2"]);
}

#[tokio::test]
async fn a_consumer_group_delivers_each_event_to_one_of_its_consumers() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let mut a = bus.subscribe_group("workers", Some("a"), Start::Oldest, Filter::all()).await.unwrap();
    let mut b = bus.subscribe_group("workers", Some("b"), Start::Oldest, Filter::all()).await.unwrap();
    for batch in 0..10 {
        bus.publish(messages("m", batch * 100..batch * 100 + 100)).await.unwrap();
    }

    let mut seen = HashSet::new();
    while seen.len() < 1000 {
        let event = tokio::select! {
            event = next(&mut a) => event.unwrap(),
            event = next(&mut b) => event.unwrap(),
        };
        assert!(seen.insert(event.id.clone()), "{} delivered twice", event.id);
        assert_eq!(bus.ack("workers", &[event.cursor]).await.unwrap(), 1);
    }
    assert_eq!(seen, (0..1000).map(|i| format!("m{i}")).collect::<HashSet<_>>());

    bus.publish(vec![message("sentinel")]).await.unwrap();
    let event = tokio::select! {
        event = next(&mut a) => event.unwrap(),
        event = next(&mut b) => event.unwrap(),
    };
    assert_eq!(event.id, "sentinel", "nothing was delivered twice before it");

    // A group created later starts where its `start` says.
    let mut late = bus.subscribe_group("late", Some("x"), Start::Newest, Filter::all()).await.unwrap();
    bus.publish(vec![message("after")]).await.unwrap();
    assert_eq!(next_event(&mut late).await.id, "after");
}

#[tokio::test]
async fn a_group_consumer_that_stops_reading_holds_back_only_a_few_events() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let mut idle = bus.subscribe_group("workers", Some("idle"), Start::Oldest, Filter::all()).await.unwrap();
    let mut busy = bus.subscribe_group("workers", Some("busy"), Start::Oldest, Filter::all()).await.unwrap();
    bus.publish(messages("m", 0..100)).await.unwrap();

    // The idle consumer takes no more than its small read-ahead (16).
    let mut seen = HashSet::new();
    for event in take(&mut busy, 84).await {
        assert!(seen.insert(event.id));
    }
    while seen.len() < 100 {
        let event = tokio::select! {
            event = next(&mut idle) => event.unwrap(),
            event = next(&mut busy) => event.unwrap(),
        };
        assert!(seen.insert(event.id.clone()), "{} delivered twice", event.id);
    }
}

#[tokio::test]
async fn an_unacknowledged_event_is_redelivered_after_the_ack_timeout() {
    let redis = RedisServer::start();
    let bus = connect(&redis, BusSettings { ack_timeout: Duration::from_millis(200), ..settings() }).await;
    let mut a = bus.subscribe_group("workers", Some("a"), Start::Oldest, Filter::all()).await.unwrap();
    let stored = bus.publish(vec![message("m1")]).await.unwrap();
    assert_eq!(next_event(&mut a).await, stored[0]);
    // Consumer a crashes without acknowledging.
    drop(a);

    let mut b = bus.subscribe_group("workers", Some("b"), Start::Oldest, Filter::all()).await.unwrap();
    assert_eq!(next_event(&mut b).await, stored[0], "redelivered to b");
    assert_eq!(bus.ack("workers", &[stored[0].cursor.clone()]).await.unwrap(), 1);
}

#[tokio::test]
async fn ack_counts_what_was_pending_and_checks_cursors() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    // Bob's events are not for this consumer: they are acknowledged for it.
    let mut sub = bus.subscribe_group("workers", Some("a"), Start::Oldest, from_contacts(&[ALICE])).await.unwrap();
    let first = bus.publish(vec![message_from("b1", BOB), message_from("a1", ALICE)]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "a1");
    let second = bus.publish(vec![message_from("a2", ALICE)]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "a2");

    assert_eq!(bus.ack("workers", &[first[0].cursor.clone()]).await.unwrap(), 0, "skipped ones are acknowledged");
    let cursors = vec![first[1].cursor.clone(), second[0].cursor.clone()];
    assert_eq!(bus.ack("workers", &cursors).await.unwrap(), 2);
    assert_eq!(bus.ack("workers", &cursors).await.unwrap(), 0, "already acknowledged");
    assert_eq!(bus.ack("workers", &[]).await.unwrap(), 0);
    assert_eq!(bus.ack("nobody", &cursors).await.unwrap(), 0, "no such group");
    let bad = bus.ack("workers", &[cursors[0].clone(), "nope".into()]).await;
    assert!(matches!(bad, Err(BusError::InvalidCursor { cursor, .. }) if cursor == "nope"));
    let bad = bus.subscribe_group("workers", Some("b"), Start::After("x".into()), from_contacts(&[ALICE])).await;
    assert!(matches!(bad, Err(BusError::InvalidCursor { .. })));
}

/// The names of the consumers of `group`, straight from Redis.
async fn consumers(redis: &RedisServer, group: &str) -> Vec<String> {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let info: ::redis::streams::StreamInfoConsumersReply = ::redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(format!("{PREFIX}events"))
        .arg(group)
        .query_async(&mut conn)
        .await
        .unwrap();
    info.consumers.into_iter().map(|c| c.name).collect()
}

/// Waits until `group`'s consumers satisfy `done`, and returns them. A
/// consumer appears with its first read, and leaves after its task ends.
async fn consumers_until(redis: &RedisServer, group: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = consumers(redis, group).await;
        if done(&now) {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "consumers of {group}: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_group_has_one_filter_and_skips_only_what_none_of_its_consumers_wants() {
    let redis = RedisServer::start();
    let replica_a = connect(&redis, settings()).await;
    let replica_b = connect(&redis, settings()).await;
    let mut alice =
        replica_a.subscribe_group("workers", Some("a"), Start::Oldest, from_contacts(&[ALICE])).await.unwrap();

    // Another filter is refused, on any replica, before anything is created.
    for bus in [&replica_a, &replica_b] {
        let refused = bus.subscribe_group("workers", Some("b"), Start::Oldest, from_contacts(&[BOB])).await;
        assert!(matches!(refused, Err(BusError::GroupFilterMismatch { group }) if group == "workers"));
        let refused = bus.subscribe_group("workers", Some("c"), Start::Oldest, Filter::all()).await;
        assert!(matches!(refused, Err(BusError::GroupFilterMismatch { .. })));
    }
    let joined = consumers(&redis, "workers").await;
    assert!(!joined.iter().any(|c| c == "b" || c == "c"), "{joined:?}");

    // The same filter joins, in any order.
    let mut alice_too =
        replica_b.subscribe_group("workers", Some("b"), Start::Oldest, from_contacts(&[ALICE, ALICE])).await.unwrap();
    replica_a
        .publish(vec![message_from("b1", BOB), message_from("a1", ALICE), message_from("a2", ALICE)])
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let event = tokio::select! {
            event = next(&mut alice) => event.unwrap(),
            event = next(&mut alice_too) => event.unwrap(),
        };
        got.push(event.id);
    }
    got.sort();
    assert_eq!(got, ["a1", "a2"]);

    // Another group name may have another filter.
    let mut bob = replica_b.subscribe_group("bobs", None, Start::Oldest, from_contacts(&[BOB])).await.unwrap();
    assert_eq!(next_event(&mut bob).await.id, "b1");
}

#[tokio::test]
async fn a_one_off_consumer_leaves_its_group_when_done_unless_events_are_pending_for_it() {
    let redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let mut one_off = bus.subscribe_group("workers", None, Start::Oldest, Filter::all()).await.unwrap();
    let first = bus.publish(vec![message("m1")]).await.unwrap();
    assert_eq!(next_event(&mut one_off).await, first[0]);
    // A consumer appears in Redis with the first entry it reads.
    let one_off_name = consumers_until(&redis, "workers", |c| c.len() == 1).await.remove(0);

    // Acknowledged, so nothing is pending: once its subscription ends, it is deleted.
    assert_eq!(bus.ack("workers", &[first[0].cursor.clone()]).await.unwrap(), 1);
    drop(one_off);
    consumers_until(&redis, "workers", <[String]>::is_empty).await;

    // A named consumer stays.
    let mut named = bus.subscribe_group("workers", Some("named"), Start::Oldest, Filter::all()).await.unwrap();
    let second = bus.publish(vec![message("m2")]).await.unwrap();
    assert_eq!(next_event(&mut named).await, second[0]);
    assert_eq!(bus.ack("workers", &[second[0].cursor.clone()]).await.unwrap(), 1);
    drop(named);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(consumers(&redis, "workers").await, ["named"]);

    // A one-off consumer ending with an event pending stays, so the event is redelivered.
    let mut holder = bus.subscribe_group("holders", None, Start::Oldest, Filter::all()).await.unwrap();
    assert_eq!(next_event(&mut holder).await, first[0]);
    let holder_name = consumers_until(&redis, "holders", |c| c.len() == 1).await.remove(0);
    assert_ne!(holder_name, one_off_name, "one-off names are not reused");
    drop(holder);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(consumers(&redis, "holders").await, [holder_name]);
}

#[tokio::test]
async fn a_redis_outage_fails_publish_and_subscriptions_survive_it() {
    let mut redis = RedisServer::start();
    let bus = connect(&redis, settings()).await;
    let mut sub = bus.subscribe(Start::Newest, Filter::all()).await.unwrap();
    bus.publish(vec![message("before")]).await.unwrap();
    assert_eq!(next_event(&mut sub).await.id, "before");

    redis.stop();
    assert!(matches!(bus.publish(vec![message("during")]).await, Err(BusError::Unavailable(_))));
    assert!(matches!(bus.ping().await, Err(BusError::Unavailable(_))));

    // Redis comes back empty (nothing persisted); the same bus works again.
    redis.restart();
    bus.ping().await.expect("ping after the restart");
    let stored = bus.publish(vec![message("after")]).await.expect("publish after the restart");
    assert_eq!(ids(&stored), ["after"]);
    assert_eq!(next_event(&mut sub).await.id, "after", "the subscription outlived the outage");
}

#[tokio::test]
async fn shutdown_ends_subscriptions_with_unavailable() {
    let redis = RedisServer::start();
    let token = CancellationToken::new();
    let bus = connect_with(&redis, PREFIX, settings(), token.clone()).await;
    let mut sub = bus.subscribe(Start::Newest, Filter::all()).await.unwrap();
    let mut group = bus.subscribe_group("workers", Some("a"), Start::Newest, Filter::all()).await.unwrap();
    token.cancel();
    assert!(matches!(next(&mut sub).await, Err(BusError::Unavailable(_))));
    assert!(ends(&mut sub).await);
    assert!(matches!(next(&mut group).await, Err(BusError::Unavailable(_))));
}
