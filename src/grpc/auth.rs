//! API-key authentication, as a tonic interceptor per service.
//!
//! Keys are configured as SHA-256 hashes; the presented key is hashed and
//! compared with every configured hash in constant time, so neither the keys
//! nor their order leak through timing. The interceptor checks the service's
//! scope and leaves a [`Principal`] in the request extensions; handlers check
//! the phone number ids against it.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tonic::{Request, Status, service::Interceptor};

use crate::{
    access::{PhoneNumbers, Scope},
    config::ResolvedApiKey,
    error::Error,
};

/// Who is calling: the key that authenticated the request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The key's configured name.
    pub key_name: String,
    /// The phone numbers it may use.
    pub phone_number_ids: PhoneNumbers,
}

impl Principal {
    /// The principal of an authenticated request.
    pub fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Error::Internal("a service is mounted without its authenticator".into()))
    }

    /// Refuses a phone number id the key may not use.
    pub fn check_phone(&self, phone_number_id: &str) -> Result<(), Error> {
        if self.phone_number_ids.allows(phone_number_id) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "API key {:?} may not use phone number id {phone_number_id}",
                self.key_name
            )))
        }
    }
}

/// Checks `authorization: Bearer <key>` and the scope of one service.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<[ResolvedApiKey]>,
    scope: Scope,
}

impl Authenticator {
    /// An authenticator over `keys` for a service that needs `scope`.
    pub fn new(keys: Arc<[ResolvedApiKey]>, scope: Scope) -> Self {
        Self { keys, scope }
    }

    fn find(&self, presented: &str) -> Option<&ResolvedApiKey> {
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Compare against every key, without stopping early.
        let mut found = None;
        for key in self.keys.iter() {
            if bool::from(key.sha256.ct_eq(&hash)) {
                found = Some(key);
            }
        }
        found
    }
}

impl Authenticator {
    /// The principal of a request with `authorization: Bearer <key>`, if the
    /// key is known and has this service's scope.
    fn authenticate(&self, request: &Request<()>) -> Result<Principal, Error> {
        let header = request.metadata().get("authorization").ok_or_else(|| {
            Error::Unauthenticated("missing API key: send the metadata `authorization: Bearer <key>`".into())
        })?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                Error::Unauthenticated("malformed authorization metadata: expected `Bearer <key>`".into())
            })?;
        let key = self.find(presented).ok_or_else(|| Error::Unauthenticated("unknown API key".into()))?;
        if !key.scopes.contains(&self.scope) {
            return Err(Error::PermissionDenied(format!(
                "API key {:?} lacks the `{}` scope this service needs",
                key.name, self.scope
            )));
        }
        Ok(Principal { key_name: key.name.clone(), phone_number_ids: key.phone_number_ids.clone() })
    }
}

impl Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let principal = self.authenticate(&request)?;
        request.extensions_mut().insert(principal);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use tonic::Code;

    fn authenticator(scope: Scope) -> Authenticator {
        let key = ResolvedApiKey {
            name: "billing".into(),
            sha256: Sha256::digest(b"k-123").into(),
            scopes: HashSet::from([Scope::Messages]),
            phone_number_ids: PhoneNumbers::Only(HashSet::from(["111".to_owned()])),
        };
        Authenticator::new(Arc::from(vec![key]), scope)
    }

    fn call(scope: Scope, authorization: Option<&str>) -> Result<Request<()>, Status> {
        let mut request = Request::new(());
        if let Some(value) = authorization {
            request.metadata_mut().insert("authorization", value.parse().unwrap());
        }
        authenticator(scope).call(request)
    }

    #[test]
    fn a_known_key_with_the_scope_passes_and_leaves_its_principal() {
        let request = call(Scope::Messages, Some("Bearer k-123")).unwrap();
        let principal = Principal::of(&request).unwrap();
        assert_eq!(principal.key_name, "billing");
        assert!(principal.check_phone("111").is_ok());
        assert!(matches!(principal.check_phone("222"), Err(Error::PermissionDenied(_))));
    }

    #[test]
    fn missing_malformed_and_unknown_keys_are_unauthenticated() {
        for auth in [None, Some("k-123"), Some("Bearer "), Some("Bearer nope")] {
            assert_eq!(call(Scope::Messages, auth).unwrap_err().code(), Code::Unauthenticated, "{auth:?}");
        }
    }

    #[test]
    fn a_key_without_the_scope_is_denied() {
        let status = call(Scope::Media, Some("Bearer k-123")).unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert!(status.message().contains("`media`"));
    }
}
