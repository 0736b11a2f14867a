//! What protects an acknowledged event in Redis: the server's persistence
//! and replication, read once at startup ([`inspect`]), classified
//! ([`Persistence::protection`]), explained ([`Persistence::warning`]), and
//! checked against `redis.durability` ([`plan`]).
//!
//! Redis answers a write once it is in memory. What survives a crash of the
//! Redis process or its host depends on the server:
//!
//! - no AOF and no replica: everything since the last RDB snapshot (if any)
//!   is lost, including events already answered 200 to Meta, which does not
//!   redeliver them;
//! - AOF with `appendfsync always`: every write is fsynced before Redis
//!   replies, so nothing acknowledged is lost;
//! - AOF with `everysec` (Redis' default once AOF is on): a crash of the
//!   process loses nothing written to the file yet, a crash of the host up to
//!   about the last second or two;
//! - replicas: replication is asynchronous, so what the primary has not yet
//!   sent is lost when a replica is promoted, unless the write waited for the
//!   replicas (`WAIT`).

use std::{collections::HashMap, fmt, time::Duration};

use redis::{RedisError, aio::ConnectionManager};

use crate::config::Durability;

/// Redis' persistence and replication as read at startup: what protects an
/// event once Redis has acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persistence {
    /// `redis_version` (Valkey reports the Redis version it is compatible with).
    pub version: Version,
    /// Whether the server is a primary or a replica.
    pub role: Role,
    /// `aof_enabled`: the append-only file is on.
    pub aof_enabled: bool,
    /// `appendfsync`; `None` when `CONFIG GET` is refused (managed Redis).
    pub appendfsync: Option<Fsync>,
    /// The RDB `save` schedule (empty: no snapshots); `None` when `CONFIG GET`
    /// is refused.
    pub rdb_save: Option<String>,
    /// `connected_slaves`: replicas attached to this primary now.
    pub connected_replicas: u32,
}

/// A Redis version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

/// Whether a server takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A primary (`role:master`).
    Primary,
    /// A replica (`role:slave`): writes are refused.
    Replica,
}

/// When Redis fsyncs the append-only file (`appendfsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to every write.
    Always,
    /// Once a second, in the background.
    EverySec,
    /// When the operating system flushes.
    No,
}

/// What protects acknowledged events, in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Neither AOF nor a replica: a Redis crash loses acknowledged events.
    Unprotected,
    /// The append-only file is on (with this fsync policy, when known).
    Aof(Option<Fsync>),
    /// No AOF, but this many replicas are attached.
    Replicas(u32),
}

/// What each publish must wait for, as decided at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Redis' reply is enough (`durability = "none"`, or AOF with
    /// `appendfsync always`, where Redis fsyncs before it replies).
    Reply,
    /// `WAITAOF 1 0 <timeout>`: the primary fsynced the write.
    WaitAof {
        /// How long to wait.
        timeout: Duration,
    },
    /// `WAIT <count> <timeout>`: `count` replicas acknowledged the write.
    WaitReplicas {
        /// How many replicas.
        count: u32,
        /// How long to wait.
        timeout: Duration,
    },
}

// === impl Persistence ===

impl Persistence {
    /// The first version with `WAITAOF`.
    const WAITAOF_SINCE: Version = Version(7, 2, 0);

    /// Whether the server has `WAITAOF` (Redis 7.2 or later).
    pub fn has_waitaof(&self) -> bool {
        self.version >= Self::WAITAOF_SINCE
    }

    /// What protects acknowledged events.
    pub fn protection(&self) -> Protection {
        if self.aof_enabled {
            Protection::Aof(self.appendfsync)
        } else if self.connected_replicas > 0 {
            Protection::Replicas(self.connected_replicas)
        } else {
            Protection::Unprotected
        }
    }

    /// Whether acknowledged events survive a crash of the Redis process
    /// (an append-only file, or a replica to promote).
    pub fn is_protected(&self) -> bool {
        self.protection() != Protection::Unprotected
    }

    /// The startup warning, when acknowledged events are at risk with
    /// `durability`: what can be lost and how to fix it. `None` when they
    /// are protected.
    pub fn warning(&self, durability: &Durability) -> Option<String> {
        if self.role == Role::Replica {
            return Some(
                "redis.url points at a replica: it refuses writes, so every webhook will be answered 503; \
                 point it at the primary"
                    .to_owned(),
            );
        }
        if let Durability::Replicas { count, .. } = *durability
            && self.connected_replicas < count
        {
            return Some(format!(
                "redis.durability = \"replicas\" needs {count} connected replica(s), and Redis has {}: every \
                 webhook will be answered 503 (Meta redelivers) until enough replicas are attached",
                self.connected_replicas
            ));
        }
        if *durability != Durability::None || self.is_protected() {
            return None;
        }
        let snapshots = match self.rdb_save.as_deref() {
            Some("") => "RDB snapshots are off too",
            Some(_) => "RDB snapshots keep only what existed at the last snapshot",
            None => "RDB snapshots, if any, keep only what existed at the last snapshot",
        };
        Some(format!(
            "Redis has neither an append-only file (appendonly no) nor a connected replica: events already \
             answered 200 to Meta are lost if Redis crashes or restarts, and Meta does not redeliver them \
             ({snapshots}). To fix it, set `appendonly yes` and `appendfsync always` in Redis and \
             redis.durability = \"aof\", or attach a replica and set redis.durability = \"replicas\""
        ))
    }

    /// One line on what protects acknowledged events with `durability`, for
    /// the startup log when there is no [`Persistence::warning`].
    pub fn summary(&self, durability: &Durability) -> String {
        let server = format!("Redis {}", self.version);
        let waits = match durability {
            Durability::None => "webhooks wait for Redis' reply only",
            Durability::Aof { .. } => "webhooks wait for the append-only file's fsync",
            Durability::Replicas { .. } => "webhooks wait for replicas to acknowledge",
        };
        let protection = match self.protection() {
            Protection::Unprotected => "no append-only file and no replica".to_owned(),
            Protection::Aof(Some(Fsync::Always)) => "append-only file fsynced on every write".to_owned(),
            Protection::Aof(Some(Fsync::EverySec)) => {
                "append-only file fsynced every second (a host crash may lose the last second)".to_owned()
            }
            Protection::Aof(Some(Fsync::No)) => {
                "append-only file fsynced by the OS only (a host crash may lose the last seconds)".to_owned()
            }
            Protection::Aof(None) => "append-only file on (fsync policy unknown)".to_owned(),
            Protection::Replicas(n) => {
                format!("{n} replica(s), asynchronous (a failover may lose the last writes)")
            }
        };
        format!("{server}: {protection}; {waits}")
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl fmt::Display for Fsync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Always => "always",
            Self::EverySec => "everysec",
            Self::No => "no",
        })
    }
}

/// Reads the server's persistence and replication: `INFO server`,
/// `INFO persistence`, `INFO replication`, and `CONFIG GET appendfsync` and
/// `save`, which managed Redis services may refuse (then `None`).
pub(super) async fn inspect(conn: &mut ConnectionManager) -> Result<Persistence, RedisError> {
    let server: String = redis::cmd("INFO").arg("server").query_async(conn).await?;
    let persistence: String = redis::cmd("INFO").arg("persistence").query_async(conn).await?;
    let replication: String = redis::cmd("INFO").arg("replication").query_async(conn).await?;
    let appendfsync = config_get(conn, "appendfsync").await;
    let rdb_save = config_get(conn, "save").await;
    parse(&server, &persistence, &replication, appendfsync.as_deref(), rdb_save)
        .map_err(|what| RedisError::from((redis::ErrorKind::Parse, "unexpected INFO reply", what)))
}

/// `CONFIG GET name`, or `None` when refused or absent.
async fn config_get(conn: &mut ConnectionManager, name: &str) -> Option<String> {
    let reply: Result<HashMap<String, String>, RedisError> =
        redis::cmd("CONFIG").arg("GET").arg(name).query_async(conn).await;
    match reply {
        Ok(mut pairs) => pairs.remove(name),
        Err(error) => {
            tracing::debug!(%error, name, "CONFIG GET refused; the setting is reported unknown");
            None
        }
    }
}

/// Parses the three `INFO` sections.
fn parse(
    server: &str,
    persistence: &str,
    replication: &str,
    appendfsync: Option<&str>,
    rdb_save: Option<String>,
) -> Result<Persistence, String> {
    let server = fields(server);
    let persistence = fields(persistence);
    let replication = fields(replication);
    let version = server.get("redis_version").ok_or("no redis_version in INFO server")?;
    let version = parse_version(version).ok_or_else(|| format!("redis_version {version:?}"))?;
    let role = match replication.get("role").copied() {
        Some("master") => Role::Primary,
        Some("slave") => Role::Replica,
        other => return Err(format!("role {other:?} in INFO replication")),
    };
    let aof_enabled = match persistence.get("aof_enabled").copied() {
        Some("1") => true,
        Some("0") => false,
        other => return Err(format!("aof_enabled {other:?} in INFO persistence")),
    };
    let connected_replicas = match replication.get("connected_slaves") {
        Some(n) => n.parse().map_err(|_| format!("connected_slaves {n:?} in INFO replication"))?,
        None => 0,
    };
    let appendfsync = appendfsync.and_then(|value| match value {
        "always" => Some(Fsync::Always),
        "everysec" => Some(Fsync::EverySec),
        "no" => Some(Fsync::No),
        _ => None,
    });
    Ok(Persistence { version, role, aof_enabled, appendfsync, rdb_save, connected_replicas })
}

/// `key:value` lines of an `INFO` reply (comments and blank lines skipped).
fn fields(info: &str) -> HashMap<&str, &str> {
    info.lines().filter(|line| !line.starts_with('#')).filter_map(|line| line.trim_end().split_once(':')).collect()
}

/// `7.0.15` → `Version(7, 0, 15)`; a missing patch is 0.
fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.trim().split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next()?.ok()?;
    let patch = parts.next().map_or(Some(0), Result::ok)?;
    Some(Version(major, minor, patch))
}

/// What every publish waits for, given `durability` and the server as read
/// (`None`: it could not be read). An error says why `durability` cannot be
/// guaranteed on this server and what to change; the gateway refuses to
/// start with it.
pub(super) fn plan(durability: &Durability, server: Result<&Persistence, &str>) -> Result<Plan, String> {
    let timeout = match *durability {
        Durability::None => return Ok(Plan::Reply),
        // WAIT works on any server; too few replicas is a warning, since
        // replicas may attach later.
        Durability::Replicas { count, timeout } => return Ok(Plan::WaitReplicas { count, timeout }),
        Durability::Aof { timeout } => timeout,
    };
    let refuse = |why: String| Err(format!("redis.durability = \"aof\" cannot be guaranteed: {why}"));
    let server = match server {
        Ok(server) => server,
        Err(why) => return refuse(format!("the server's persistence could not be read ({why})")),
    };
    if !server.aof_enabled {
        return refuse(
            "the append-only file is off; set `appendonly yes` (and `appendfsync always` on Redis before 7.2)"
                .to_owned(),
        );
    }
    if server.has_waitaof() {
        return Ok(Plan::WaitAof { timeout });
    }
    match server.appendfsync {
        // Redis fsyncs the file before it sends the replies of the writes
        // it holds, so the script's reply means the events are on disk.
        Some(Fsync::Always) => Ok(Plan::Reply),
        Some(other) => refuse(format!(
            "Redis {} has no WAITAOF (7.2 or later), so a write is known to be on disk only with \
             `appendfsync always`, and this server has `appendfsync {other}`; set `appendfsync always`, \
             upgrade to Redis 7.2 or later, or use redis.durability = \"replicas\"",
            server.version
        )),
        None => refuse(format!(
            "Redis {} has no WAITAOF (7.2 or later), and `CONFIG GET appendfsync` was refused, so \
             `appendfsync always` cannot be confirmed; upgrade to Redis 7.2 or later, or use \
             redis.durability = \"replicas\"",
            server.version
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n";
    const NO_AOF: &str = "# Persistence\r\nloading:0\r\naof_enabled:0\r\nrdb_changes_since_last_save:3\r\n";
    const AOF: &str = "# Persistence\r\nloading:0\r\naof_enabled:1\r\n";
    const ALONE: &str = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n";
    const ONE_REPLICA: &str = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n\
                               slave0:ip=127.0.0.1,port=6380,state=online,offset=42,lag=0\r\n";

    fn server(persistence: &str, replication: &str, fsync: Option<&str>) -> Persistence {
        parse(SERVER, persistence, replication, fsync, Some(String::new())).unwrap()
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn info_replies_are_parsed() {
        let read = server(AOF, ONE_REPLICA, Some("everysec"));
        assert_eq!(read.version, Version(7, 0, 15));
        assert_eq!(read.role, Role::Primary);
        assert!(read.aof_enabled);
        assert_eq!(read.appendfsync, Some(Fsync::EverySec));
        assert_eq!(read.connected_replicas, 1);
        assert!(!read.has_waitaof());
        assert_eq!(parse_version("7.2"), Some(Version(7, 2, 0)));
        assert_eq!(parse_version("x.1"), None);
        assert!(parse(SERVER, "aof_enabled:maybe", ALONE, None, None).is_err());
        assert!(parse("", AOF, ALONE, None, None).is_err());
    }

    #[test]
    fn neither_aof_nor_a_replica_is_unprotected_and_warned_about_with_the_fix() {
        let read = server(NO_AOF, ALONE, Some("everysec"));
        assert_eq!(read.protection(), Protection::Unprotected);
        let warning = read.warning(&Durability::None).unwrap();
        assert!(warning.contains("answered 200 to Meta are lost"), "{warning}");
        assert!(warning.contains("appendonly yes") && warning.contains("redis.durability"), "{warning}");

        assert_eq!(server(AOF, ALONE, None).protection(), Protection::Aof(None));
        assert_eq!(server(NO_AOF, ONE_REPLICA, None).protection(), Protection::Replicas(1));
        assert_eq!(server(AOF, ALONE, Some("always")).warning(&Durability::None), None);
        assert_eq!(server(NO_AOF, ONE_REPLICA, None).warning(&Durability::None), None);
    }

    #[test]
    fn too_few_replicas_for_the_wait_and_a_replica_url_are_warned_about() {
        let replicas = Durability::Replicas { count: 2, timeout: SECOND };
        let warning = server(AOF, ONE_REPLICA, None).warning(&replicas).unwrap();
        assert!(warning.contains("needs 2") && warning.contains("has 1"), "{warning}");
        let replica = parse(SERVER, AOF, "role:slave\r\n", None, None).unwrap();
        assert!(replica.warning(&Durability::None).unwrap().contains("replica"));
    }

    #[test]
    fn aof_durability_waits_with_waitaof_or_needs_fsync_always_before_7_2() {
        let aof = Durability::Aof { timeout: SECOND };
        assert_eq!(plan(&Durability::None, Err("refused")), Ok(Plan::Reply));
        assert_eq!(
            plan(&Durability::Replicas { count: 1, timeout: SECOND }, Err("refused")),
            Ok(Plan::WaitReplicas { count: 1, timeout: SECOND })
        );
        assert_eq!(plan(&aof, Ok(&server(AOF, ALONE, Some("always")))), Ok(Plan::Reply));

        let everysec = plan(&aof, Ok(&server(AOF, ALONE, Some("everysec")))).unwrap_err();
        assert!(everysec.contains("appendfsync everysec") && everysec.contains("appendfsync always`"), "{everysec}");
        let unknown = plan(&aof, Ok(&server(AOF, ALONE, None))).unwrap_err();
        assert!(unknown.contains("CONFIG GET appendfsync` was refused"), "{unknown}");
        let off = plan(&aof, Ok(&server(NO_AOF, ONE_REPLICA, Some("always")))).unwrap_err();
        assert!(off.contains("appendonly yes"), "{off}");
        assert!(plan(&aof, Err("INFO refused")).unwrap_err().contains("INFO refused"));

        let newer = Persistence { version: Version(7, 2, 4), ..server(AOF, ALONE, Some("everysec")) };
        assert_eq!(plan(&aof, Ok(&newer)), Ok(Plan::WaitAof { timeout: SECOND }));
        let newer_off = Persistence { aof_enabled: false, ..newer };
        assert!(plan(&aof, Ok(&newer_off)).is_err());
    }
}
