//! Waiting until published events survive a Redis crash (`redis.durability`):
//! `WAIT` for replicas, `WAITAOF` for the append-only file's fsync.
//!
//! Both commands wait for the writes of *the connection they run on*, and
//! block that connection meanwhile. So they run on a connection of their own
//! (the shared command connection must never block), in rounds: a round
//! writes the `P durable` key, then waits for that write. Redis' replication
//! stream and append-only file are in order, so once that write is
//! acknowledged, so is every write made before it by any connection, in
//! particular the publish scripts that finished before the round began. One
//! round serves every publish waiting when it starts (a group commit), so
//! publishes do not queue behind each other's waits, and at most one round
//! is in flight at a time.
//!
//! The round's own write also covers a redelivery: the script stores nothing
//! for it, yet the write that first stored it (maybe by another replica,
//! maybe one whose wait failed) precedes the round's and is confirmed with
//! it. Redis Cluster and Sentinel are not used by the bus, so the round runs
//! on the one server that took the writes.

use std::time::Duration;

use redis::{Client, RedisError, aio::ConnectionManager};
use tokio::{
    sync::{mpsc, oneshot},
    time::timeout,
};
use tokio_util::sync::CancellationToken;

use super::{
    connection::{RESPONSE_TIMEOUT, millis, retry_dropped, wait_connection},
    persistence::Plan,
};
use crate::bus::BusError;

/// How many publishes may wait for the next round; more wait to join it.
const QUEUE: usize = 1024;

/// How long the round's key lives: it only has to be written.
const MARK_TTL_MS: u64 = 60_000;

/// What one round must reach.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    /// `WAITAOF 1 0`: fsynced on the primary.
    Aof,
    /// `WAIT count`: acknowledged by `count` replicas.
    Replicas(u32),
}

/// The waiting side, held by the bus: [`Confirmer::confirm`] returns once
/// every write made before it is durable, or fails.
#[derive(Debug)]
pub(super) struct Confirmer {
    queue: mpsc::Sender<oneshot::Sender<Result<(), String>>>,
    /// The most one publish waits: its round's wait plus one round already
    /// in flight when it arrived.
    deadline: Duration,
    wait: Duration,
}

// === impl Confirmer ===

impl Confirmer {
    /// Connects a connection of its own and starts the round task for
    /// `plan`, writing `mark` each round; `None` when the plan needs no wait.
    /// The task stops with `shutdown`.
    pub(super) async fn start(
        plan: Plan,
        client: &Client,
        mark: String,
        shutdown: CancellationToken,
    ) -> Result<Option<Self>, RedisError> {
        let (target, wait) = match plan {
            Plan::Reply => return Ok(None),
            Plan::WaitAof { timeout } => (Target::Aof, timeout),
            Plan::WaitReplicas { count, timeout } => (Target::Replicas(count), timeout),
        };
        let conn = wait_connection(client, wait).await?;
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(rounds(waiting, conn, mark, target, wait, shutdown));
        Ok(Some(Self { queue, deadline: wait * 2 + RESPONSE_TIMEOUT, wait }))
    }

    /// Waits until every write made before this call is durable.
    pub(super) async fn confirm(&self) -> Result<(), BusError> {
        let (done, outcome) = oneshot::channel();
        let wait = async {
            self.queue.send(done).await.map_err(|_| "the gateway is shutting down".to_owned())?;
            outcome.await.map_err(|_| "the gateway is shutting down".to_owned())?
        };
        let why = match timeout(self.deadline, wait).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(why)) => why,
            Err(_) => format!("no answer within {} ms", millis(self.deadline)),
        };
        Err(BusError::Unavailable(format!(
            "redis: the events were written but not confirmed durable within {} ms ({why}); Meta will redeliver",
            millis(self.wait)
        )))
    }
}

/// Runs rounds while publishes wait, until shut down.
async fn rounds(
    mut waiting: mpsc::Receiver<oneshot::Sender<Result<(), String>>>,
    mut conn: ConnectionManager,
    mark: String,
    target: Target,
    wait: Duration,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::new();
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => return,
            first = waiting.recv() => match first {
                Some(first) => first,
                None => return,
            },
        };
        batch.push(first);
        // Everyone already waiting joins; they queued after their scripts
        // returned, so their writes precede this round's.
        while batch.len() < QUEUE
            && let Ok(next) = waiting.try_recv()
        {
            batch.push(next);
        }
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = round(&mut conn, &mark, target, wait) => outcome,
        };
        if let Err(why) = &outcome {
            tracing::debug!(%why, waiting = batch.len(), "durability round failed");
        }
        for done in batch.drain(..) {
            let _ = done.send(outcome.clone());
        }
    }
}

/// Writes `mark`, then waits until that write reaches `target`.
async fn round(conn: &mut ConnectionManager, mark: &str, target: Target, wait: Duration) -> Result<(), String> {
    let ms = millis(wait).max(1);
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg(mark).arg("1").arg("PX").arg(MARK_TTL_MS).ignore();
    match target {
        Target::Aof => {
            pipe.cmd("WAITAOF").arg(1).arg(0).arg(ms);
            let reply: Result<((u64, u64),), RedisError> = retry_dropped!(pipe.query_async(conn).await);
            match reply.map_err(|e| e.to_string())? {
                ((local, _),) if local >= 1 => Ok(()),
                _ => Err(format!("the append-only file was not fsynced within {ms} ms")),
            }
        }
        Target::Replicas(count) => {
            pipe.cmd("WAIT").arg(count).arg(ms);
            let reply: Result<(u64,), RedisError> = retry_dropped!(pipe.query_async(conn).await);
            match reply.map_err(|e| e.to_string())? {
                (acked,) if acked >= u64::from(count) => Ok(()),
                (acked,) => Err(format!("{acked} of {count} replica(s) acknowledged within {ms} ms")),
            }
        }
    }
}
