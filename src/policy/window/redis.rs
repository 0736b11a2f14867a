//! Windows in Redis, shared by every replica.

use std::time::Duration;

use redis::{Script, aio::ConnectionManager};

use super::{PolicyError, WINDOW, WindowState, inbound_times, now_unix};
use crate::pb;

/// How long Redis keeps an alias.
const ALIAS_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Windows shared through Redis by every replica: one key per (number,
/// contact) holding the latest message time, expiring when the window closes.
pub struct RedisWindows {
    conn: ConnectionManager,
    prefix: String,
    record: Script,
}

/// Keeps the latest time of each key: `KEYS[i]` ← `ARGV[2i-1]` (Unix seconds)
/// with a TTL of `ARGV[2i]` seconds, unless the key already holds a later time.
const RECORD_SCRIPT: &str = r"
for i, key in ipairs(KEYS) do
  local at = tonumber(ARGV[2 * i - 1])
  local current = tonumber(redis.call('GET', key) or '0')
  if at > current then
    redis.call('SET', key, ARGV[2 * i - 1], 'EX', ARGV[2 * i])
  end
end
return #KEYS
";

impl RedisWindows {
    /// Windows on `conn`; keys start with `prefix`.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self { conn, prefix: prefix.to_owned(), record: Script::new(RECORD_SCRIPT) }
    }

    fn key(&self, phone_number_id: &str, contact: &str) -> String {
        format!("{}window:{phone_number_id}:{contact}", self.prefix)
    }

    pub(super) async fn record(&self, events: &[pb::Event]) -> Result<(), PolicyError> {
        let now = now_unix();
        let mut invocation = self.record.prepare_invoke();
        let mut any = false;
        for (phone, contact, at) in inbound_times(events) {
            // Already closed windows need no key.
            let ttl = at.saturating_add(WINDOW.as_secs() as i64).saturating_sub(now);
            if ttl > 0 {
                invocation.key(self.key(phone, contact)).arg(at).arg(ttl);
                any = true;
            }
        }
        if !any {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let _: i64 = invocation.invoke_async(&mut conn).await.map_err(PolicyError::from)?;
        Ok(())
    }

    fn alias_key(&self, phone_number_id: &str, dialled: &str) -> String {
        format!("{}wa-id:{phone_number_id}:{dialled}", self.prefix)
    }

    pub(super) async fn alias(&self, phone_number_id: &str, dialled: &str, wa_id: &str) -> Result<(), PolicyError> {
        let mut conn = self.conn.clone();
        let key = self.alias_key(phone_number_id, dialled);
        redis::AsyncCommands::set_ex(&mut conn, key, wa_id, ALIAS_TTL.as_secs()).await.map_err(PolicyError::from)
    }

    pub(super) async fn wa_id_of(&self, phone_number_id: &str, dialled: &str) -> Result<Option<String>, PolicyError> {
        let mut conn = self.conn.clone();
        redis::AsyncCommands::get(&mut conn, self.alias_key(phone_number_id, dialled)).await.map_err(PolicyError::from)
    }

    pub(super) async fn get(&self, phone_number_id: &str, contact: &str) -> Result<Option<WindowState>, PolicyError> {
        let mut conn = self.conn.clone();
        let value: Option<i64> = redis::AsyncCommands::get(&mut conn, self.key(phone_number_id, contact))
            .await
            .map_err(PolicyError::from)?;
        Ok(value.map(|last_inbound| WindowState { last_inbound }))
    }
}
