//! Durability of acknowledged events on Redis: the startup check of Redis'
//! persistence, `redis.durability` waiting for replicas or the append-only
//! file before a webhook's 200, and no acknowledged event lost across a
//! `kill -9` of Redis.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use futures_util::{StreamExt as _, stream};
use reqwest::StatusCode;
use wagate::{
    bus::{Filter, Fsync, Protection, RedisBus, Start},
    config::Durability,
};

use crate::support::{TestGateway, redis::RedisServer, webhook_fixture};

const PREFIX: &str = "it:";

/// A text-message webhook whose message (and event) id is `wamid`.
fn inbound(wamid: &str) -> Vec<u8> {
    let body = String::from_utf8(webhook_fixture("webhook-message-text.json")).unwrap();
    let original = "wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQTdGMjFDMDlCNUQ0NEU4QTFGMgA=";
    assert!(body.contains(original), "the fixture changed");
    body.replace(original, wamid).into_bytes()
}

/// A bus on `server`, as the gateway would open it.
async fn bus_on(server: &RedisServer) -> RedisBus {
    RedisBus::connect(&server.url(), PREFIX, Default::default(), Default::default()).await.unwrap()
}

/// The value of `field` in `INFO <section>` of `server`.
async fn info(server: &RedisServer, section: &str, field: &str) -> String {
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let text: String = redis::cmd("INFO").arg(section).query_async(&mut conn).await.unwrap();
    let prefix = format!("{field}:");
    text.lines().find_map(|line| line.strip_prefix(&prefix)).unwrap_or_default().trim().to_owned()
}

/// Starts a replica of `primary` and waits until it is in sync.
async fn attach_replica(primary: &RedisServer) -> RedisServer {
    let replica = RedisServer::replica_of(primary);
    let deadline = Instant::now() + Duration::from_secs(20);
    while info(&replica, "replication", "master_link_status").await != "up"
        || info(primary, "replication", "connected_slaves").await != "1"
    {
        assert!(Instant::now() < deadline, "the replica did not sync");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    replica
}

/// The ids of the events stored on `server`, oldest first, until `count` are read.
async fn stored_ids(server: &RedisServer, count: usize) -> Vec<String> {
    let bus = bus_on(server).await;
    let mut sub = bus.subscribe(Start::Oldest, Filter::all()).await.unwrap();
    let mut ids = Vec::new();
    while ids.len() < count {
        match tokio::time::timeout(Duration::from_secs(5), sub.next()).await {
            Ok(Some(event)) => ids.push(event.unwrap().id),
            _ => break,
        }
    }
    ids
}

#[tokio::test]
async fn the_startup_check_tells_unprotected_from_aof_and_replicas() {
    let plain = RedisServer::start();
    let found = bus_on(&plain).await;
    let persistence = found.persistence().unwrap();
    assert_eq!(persistence.protection(), Protection::Unprotected);
    assert!(!persistence.is_protected());
    let warning = persistence.warning(&Durability::None).expect("a warning");
    assert!(warning.contains("lost") && warning.contains("appendonly yes"), "{warning}");

    let aof = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let persistence = bus_on(&aof).await.persistence().unwrap().clone();
    assert_eq!(persistence.protection(), Protection::Aof(Some(Fsync::EverySec)));
    assert_eq!(persistence.warning(&Durability::None), None);

    let primary = RedisServer::start_on_tcp();
    let _replica = attach_replica(&primary).await;
    let persistence = bus_on(&primary).await.persistence().unwrap().clone();
    assert_eq!(persistence.protection(), Protection::Replicas(1));
    assert_eq!(persistence.warning(&Durability::None), None);
}

#[tokio::test]
async fn waiting_for_a_replica_answers_503_without_one_and_200_once_it_holds_the_event() {
    let primary = RedisServer::start_on_tcp();
    let timeout = Duration::from_millis(300);
    let gateway = TestGateway::builder()
        .redis(&primary.url(), PREFIX)
        .redis_durability(Durability::Replicas { count: 1, timeout })
        .spawn()
        .await;

    let started = Instant::now();
    let answer = gateway.post_webhook(&inbound("wamid.durable-unreplicated"), None).await;
    let took = started.elapsed();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took >= timeout && took < timeout + Duration::from_secs(2), "503 after {took:?}");

    let replica = attach_replica(&primary).await;
    // A generous wait now, so that a loaded machine cannot turn the 200 into a 503.
    drop(gateway);
    let gateway = TestGateway::builder()
        .redis(&primary.url(), PREFIX)
        .redis_durability(Durability::Replicas { count: 1, timeout: Duration::from_secs(5) })
        .spawn()
        .await;
    let started = Instant::now();
    let answer = gateway.post_webhook(&inbound("wamid.durable-replicated"), None).await;
    assert_eq!(answer.status(), StatusCode::OK, "after {:?}", started.elapsed());
    // WAIT returned: the replica has applied the write already.
    let on_replica = stored_ids(&replica, 2).await;
    assert!(on_replica.contains(&"wamid.durable-replicated".to_owned()), "{on_replica:?}");

    // Meta's redelivery of the first event is deduplicated and waited for: 200.
    let answer = gateway.post_webhook(&inbound("wamid.durable-unreplicated"), None).await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn aof_durability_on_redis_without_waitaof_needs_appendfsync_always() {
    let everysec = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let has_waitaof = bus_on(&everysec).await.persistence().unwrap().has_waitaof();
    let aof = Durability::Aof { timeout: Duration::from_secs(1) };
    let refused = TestGateway::builder().redis(&everysec.url(), PREFIX).redis_durability(aof).try_spawn().await;
    if has_waitaof {
        // Redis 7.2 or later: WAITAOF confirms the fsync of each write.
        let gateway = refused.expect("starts with WAITAOF");
        let answer = gateway.post_webhook(&inbound("wamid.durable-waitaof"), None).await;
        assert_eq!(answer.status(), StatusCode::OK);
    } else {
        let Err(error) = refused else { panic!("the gateway started with appendfsync everysec") };
        let message = error.to_string();
        assert!(message.contains("redis.durability = \"aof\""), "{message}");
        assert!(message.contains("appendfsync everysec") && message.contains("appendfsync always`"), "{message}");
    }

    let always = RedisServer::start_persistent();
    let gateway = TestGateway::builder().redis(&always.url(), PREFIX).redis_durability(aof).spawn().await;
    let answer = gateway.post_webhook(&inbound("wamid.durable-always"), None).await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn events_answered_200_survive_a_kill_9_of_redis() {
    const EVENTS: usize = 300;
    let mut redis = RedisServer::start_persistent();
    let gateway = TestGateway::builder()
        .redis(&redis.url(), PREFIX)
        .redis_durability(Durability::Aof { timeout: Duration::from_secs(1) })
        .spawn()
        .await;

    let wamids: Vec<String> = (0..EVENTS).map(|i| format!("wamid.durable-{i:03}")).collect();
    let answers: Vec<StatusCode> = stream::iter(&wamids)
        .map(|wamid| {
            let gateway = &gateway;
            async move { gateway.post_webhook(&inbound(wamid), None).await.status() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(answers.iter().all(|status| *status == StatusCode::OK), "{answers:?}");

    redis.restart(); // SIGKILL, then the same append-only file
    // A marker published last bounds the read: nothing may follow the 300 but it.
    let marker = wagate::pb::Event { id: "marker".into(), ..Default::default() };
    bus_on(&redis).await.publish(vec![marker]).await.unwrap();
    let mut stored = stored_ids(&redis, EVENTS + 1).await;
    assert_eq!(stored.pop().as_deref(), Some("marker"));
    assert_eq!(stored.len(), EVENTS, "events lost or duplicated");
    assert_eq!(stored.iter().collect::<HashSet<_>>(), wamids.iter().collect::<HashSet<_>>());
}
