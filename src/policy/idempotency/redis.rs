//! Idempotency keys in Redis, shared by every replica: one string per key,
//! claimed with `SET NX PX`.

use std::time::Duration;

use base64::Engine as _;
use prost::Message as _;
use redis::aio::ConnectionManager;

use super::{Outcome, PolicyError, Slot};

// Values: `i:<fingerprint>` in flight, `u:<fingerprint>` unknown,
// `d:<fingerprint>:<base64 of the encoded response>` done.

pub(super) fn encode(slot: &Slot) -> String {
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    match slot {
        Slot::InFlight { fingerprint } => format!("i:{}", hex::encode(fingerprint)),
        Slot::Unknown { fingerprint } => format!("u:{}", hex::encode(fingerprint)),
        Slot::Done { fingerprint, result } => {
            format!("d:{}:{}", hex::encode(fingerprint), b64.encode(result.encode_to_vec()))
        }
    }
}

pub(super) fn decode(value: &str) -> Option<Slot> {
    let (kind, rest) = value.split_once(':')?;
    let (fingerprint, payload) = rest.split_once(':').unwrap_or((rest, ""));
    let fingerprint: [u8; 32] = hex::decode(fingerprint).ok()?.try_into().ok()?;
    match kind {
        "i" => Some(Slot::InFlight { fingerprint }),
        "u" => Some(Slot::Unknown { fingerprint }),
        "d" => {
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload).ok()?;
            Some(Slot::Done { fingerprint, result: Outcome::decode(bytes.as_slice()).ok()? })
        }
        _ => None,
    }
}

pub(super) async fn redis_claim(
    mut conn: ConnectionManager,
    key: &str,
    fingerprint: [u8; 32],
    retention: Duration,
) -> Result<Option<Slot>, PolicyError> {
    let store_error = PolicyError::from;
    let in_flight = encode(&Slot::InFlight { fingerprint });
    // A key released between SET NX and GET is claimed on the next round.
    for _ in 0..3 {
        let claimed: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(&in_flight)
            .arg("NX")
            .arg("PX")
            .arg(retention.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(store_error)?;
        if claimed.is_some() {
            return Ok(None);
        }
        let existing: Option<String> = redis::cmd("GET").arg(key).query_async(&mut conn).await.map_err(store_error)?;
        if let Some(value) = existing {
            return decode(&value)
                .map(Some)
                .ok_or_else(|| PolicyError::Unavailable(format!("unreadable idempotency record {key}")));
        }
    }
    Err(PolicyError::Unavailable(format!("idempotency key {key} keeps changing")))
}

pub(super) async fn redis_settle(
    mut conn: ConnectionManager,
    key: &str,
    slot: Option<Slot>,
    retention: Duration,
) -> Result<(), PolicyError> {
    let cmd = match &slot {
        Some(slot) => {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key).arg(encode(slot)).arg("PX").arg(retention.as_millis() as u64);
            cmd
        }
        None => {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(key);
            cmd
        }
    };
    cmd.query_async::<()>(&mut conn).await.map_err(PolicyError::from)
}
