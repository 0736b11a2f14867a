//! The configured WhatsApp Business Accounts, found by phone number id.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use crate::{access::PhoneNumbers, config::Resolved, error::Error, graph};

/// One WhatsApp Business Account and its Graph client.
#[derive(Debug)]
pub struct Account {
    /// A name for logs.
    pub name: String,
    /// The WABA id.
    pub waba_id: String,
    /// The client that calls Graph with this account's token.
    pub graph: graph::Client,
}

/// Every account, by phone number id, and the default number.
#[derive(Debug, Clone)]
pub struct Accounts {
    by_phone: HashMap<String, Arc<Account>>,
    default_phone_number_id: String,
}

impl Accounts {
    /// Builds a Graph client per account, all sharing one connection pool.
    pub fn from_config(config: &Resolved) -> Self {
        let http = graph::http_pool(config.graph_timeout, config.graph_connect_timeout);
        let mut by_phone = HashMap::new();
        for a in &config.accounts {
            let account = Arc::new(Account {
                name: a.name.clone(),
                waba_id: a.waba_id.clone(),
                graph: graph::Client::new(http.clone(), &a.graph_base_url, &a.api_version, a.access_token.clone())
                    .with_media_hosts(&config.graph_media_hosts),
            });
            for id in &a.phone_number_ids {
                by_phone.insert(id.clone(), account.clone());
            }
        }
        Self { by_phone, default_phone_number_id: config.default_phone_number_id.clone() }
    }

    /// The phone number a request uses (`requested`, or the default when empty)
    /// and its account.
    pub fn for_phone<'a>(&'a self, requested: &'a str) -> Result<(&'a str, &'a Arc<Account>), Error> {
        let id = if requested.is_empty() { self.default_phone_number_id.as_str() } else { requested };
        match self.by_phone.get(id) {
            Some(account) => Ok((id, account)),
            None if requested.is_empty() => Err(Error::Internal("no default phone number id is configured".into())),
            None => Err(Error::invalid(
                "phone_number_id",
                format!("{id} is not a phone number id configured on this gateway"),
            )),
        }
    }

    /// The WhatsApp Business Account a request names (`requested`, or the
    /// default number's when empty) and its account.
    pub fn for_waba<'a>(&'a self, requested: &'a str) -> Result<(&'a str, &'a Arc<Account>), Error> {
        if requested.is_empty() {
            let (_, account) = self.for_phone("")?;
            return Ok((account.waba_id.as_str(), account));
        }
        self.by_phone.values().find(|a| a.waba_id == requested).map(|a| (a.waba_id.as_str(), a)).ok_or_else(|| {
            Error::invalid(
                "waba_id",
                format!("{requested} is not a WhatsApp Business Account configured on this gateway"),
            )
        })
    }

    /// The WhatsApp Business Accounts of the configured numbers among
    /// `phones`: what a key allowed `phones` may see of the events that
    /// concern a whole account. `None` when `phones` is every number.
    pub fn wabas_for(&self, phones: &PhoneNumbers) -> Option<HashSet<String>> {
        match phones {
            PhoneNumbers::All => None,
            PhoneNumbers::Only(ids) => {
                Some(ids.iter().filter_map(|id| self.by_phone.get(id)).map(|a| a.waba_id.clone()).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::SecretString;

    use super::*;

    fn accounts() -> Accounts {
        let http = graph::http_pool(Duration::from_secs(1), Duration::from_secs(1));
        let account = |waba_id: &str| {
            Arc::new(Account {
                name: waba_id.to_owned(),
                waba_id: waba_id.to_owned(),
                graph: graph::Client::new(http.clone(), "http://127.0.0.1:1", "v25.0", SecretString::from("t")),
            })
        };
        let (a, b) = (account("waba-a"), account("waba-b"));
        let by_phone = HashMap::from([("1".to_owned(), a.clone()), ("2".to_owned(), a), ("3".to_owned(), b)]);
        Accounts { by_phone, default_phone_number_id: "1".into() }
    }

    #[test]
    fn a_keys_wabas_are_those_of_its_numbers() {
        let accounts = accounts();
        let only = |ids: &[&str]| PhoneNumbers::Only(ids.iter().map(|id| (*id).to_owned()).collect());
        let set = |wabas: &[&str]| Some(wabas.iter().map(|w| (*w).to_owned()).collect::<HashSet<_>>());
        assert_eq!(accounts.wabas_for(&PhoneNumbers::All), None);
        assert_eq!(accounts.wabas_for(&only(&["3"])), set(&["waba-b"]));
        assert_eq!(accounts.wabas_for(&only(&["1", "2"])), set(&["waba-a"]));
        assert_eq!(accounts.wabas_for(&only(&["2", "3"])), set(&["waba-a", "waba-b"]));
        assert_eq!(accounts.wabas_for(&only(&["9"])), set(&[]), "an unconfigured number has no account");
    }
}
