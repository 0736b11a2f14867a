//! Meta's webhook checks: the GET verification handshake and the
//! `X-Hub-Signature-256` HMAC over the raw body.
//!
//! The signature is computed over the bytes exactly as received (Meta signs
//! its `\u`-escaped serialisation, so re-serialising would break it) and
//! compared in constant time. Several app secrets may be configured (several
//! apps, or two secrets while one is rotated): any of them may sign.

use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// Why a POST is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// The header is not `sha256=<64 hex digits>`.
    #[error("malformed X-Hub-Signature-256 header")]
    Malformed,
    /// No configured app secret produced this signature.
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Checks `header` (the `X-Hub-Signature-256` value) against `body` with each secret.
pub fn check_signature(header: Option<&[u8]>, body: &[u8], secrets: &[SecretString]) -> Result<(), SignatureError> {
    signing_app(header, body, &[secrets]).map(drop)
}

/// Which of `apps` (each a list of secrets) signed `body`: its index. Every
/// secret of every app is tried, so the time taken does not say which matched.
pub fn signing_app(header: Option<&[u8]>, body: &[u8], apps: &[&[SecretString]]) -> Result<usize, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header.strip_prefix(b"sha256=").ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut matched = None;
    for (index, secrets) in apps.iter().enumerate() {
        for secret in *secrets {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else { continue };
            mac.update(body);
            // verify_slice compares in constant time; try every secret regardless.
            if mac.verify_slice(&expected).is_ok() && matched.is_none() {
                matched = Some(index);
            }
        }
    }
    matched.ok_or(SignatureError::Mismatch)
}

/// The answer to a verification GET: the challenge to echo, or `None` (403).
pub fn verification_challenge(query: &str, verify_token: &SecretString) -> Option<String> {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "hub.mode" => mode = Some(value.into_owned()),
            "hub.verify_token" => token = Some(value.into_owned()),
            "hub.challenge" => challenge = Some(value.into_owned()),
            _ => {}
        }
    }
    let token_ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(verify_token.expose_secret().as_bytes())));
    (mode.as_deref() == Some("subscribe") && token_ok).then_some(challenge?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn any_configured_secret_may_sign_the_exact_bytes() {
        let body = br#"{"text":"caf\u00e9 \ud83d\ude00"}"#;
        let secrets = [SecretString::from("old"), SecretString::from("new")];
        for secret in ["old", "new"] {
            assert_eq!(check_signature(Some(sign(secret, body).as_bytes()), body, &secrets), Ok(()));
        }
        let reserialised = "{\"text\":\"café 😀\"}".as_bytes();
        assert_eq!(
            check_signature(Some(sign("new", body).as_bytes()), reserialised, &secrets),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_app_whose_secret_signed_is_named() {
        let (a, b) = ([SecretString::from("a1"), SecretString::from("a0")], [SecretString::from("b1")]);
        let apps: [&[SecretString]; 2] = [&a, &b];
        assert_eq!(signing_app(Some(sign("b1", b"{}").as_bytes()), b"{}", &apps), Ok(1));
        assert_eq!(signing_app(Some(sign("a0", b"{}").as_bytes()), b"{}", &apps), Ok(0));
        assert_eq!(signing_app(Some(sign("c", b"{}").as_bytes()), b"{}", &apps), Err(SignatureError::Mismatch));
    }

    #[test]
    fn missing_malformed_and_wrong_signatures_are_refused() {
        let secrets = [SecretString::from("s")];
        assert_eq!(check_signature(None, b"{}", &secrets), Err(SignatureError::Missing));
        assert_eq!(check_signature(Some(b"sha1=abc"), b"{}", &secrets), Err(SignatureError::Malformed));
        assert_eq!(check_signature(Some(b"sha256=zz"), b"{}", &secrets), Err(SignatureError::Malformed));
        let wrong = sign("other", b"{}");
        assert_eq!(check_signature(Some(wrong.as_bytes()), b"{}", &secrets), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verification_echoes_the_challenge_only_for_the_right_token() {
        let token = SecretString::from("vt");
        let ok = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vt";
        assert_eq!(verification_challenge(ok, &token).as_deref(), Some("1158201444"));
        assert_eq!(verification_challenge("hub.mode=subscribe&hub.challenge=1&hub.verify_token=no", &token), None);
        assert_eq!(verification_challenge("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=vt", &token), None);
        assert_eq!(verification_challenge("hub.mode=subscribe&hub.verify_token=vt", &token), None);
    }
}
