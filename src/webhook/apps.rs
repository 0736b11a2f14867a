//! Which Meta app owns what: the webhook path, verify token and secrets of
//! each app, and the accounts and phone numbers it owns.
//!
//! A POST is signed by one app's secret; an entry of it is published only
//! when its WhatsApp Business Account belongs to that app and every phone
//! number it names belongs to that account. A secret of app A therefore
//! cannot publish, or suppress by deduplication, anything of app B's accounts.

use std::collections::{HashMap, HashSet};

use secrecy::SecretString;

use crate::{
    config::{ResolvedAccount, ResolvedApp},
    pb,
};

/// One app as the webhook sees it.
#[derive(Debug)]
pub struct WebhookApp {
    /// A name for logs.
    pub name: String,
    /// The secrets that may sign its POSTs (current first).
    pub secrets: Vec<SecretString>,
    /// The verify token of the GET handshake.
    pub verify_token: Option<SecretString>,
    /// The callback path Meta posts to.
    pub path: String,
    /// Its accounts by WABA id, each with its phone number ids.
    accounts: HashMap<String, HashSet<String>>,
}

/// Every app whose webhooks are received.
#[derive(Debug, Default)]
pub struct WebhookApps {
    apps: Vec<WebhookApp>,
}

/// Why an entry of a signed POST is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Foreign {
    /// Its WABA is not configured on this gateway (or the entry has none).
    UnknownAccount,
    /// Its WABA belongs to another app than the one that signed the POST.
    OtherAppsAccount,
    /// It names a phone number that is not of its WABA.
    PhoneNotOfAccount,
}

impl Foreign {
    /// A short reason for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownAccount => "the WhatsApp Business Account is not configured",
            Self::OtherAppsAccount => "the WhatsApp Business Account belongs to another app",
            Self::PhoneNotOfAccount => "a phone number is not of the entry's WhatsApp Business Account",
        }
    }
}

impl WebhookApps {
    /// The apps of `apps`, each owning the numbers of its accounts among `accounts`.
    pub fn new(apps: Vec<ResolvedApp>, accounts: &[ResolvedAccount]) -> Self {
        let phones_of = |waba: &str| -> HashSet<String> {
            accounts.iter().filter(|a| a.waba_id == waba).flat_map(|a| a.phone_number_ids.iter().cloned()).collect()
        };
        let apps = apps
            .into_iter()
            .map(|app| WebhookApp {
                accounts: app.waba_ids.iter().map(|waba| (waba.clone(), phones_of(waba))).collect(),
                name: app.name,
                secrets: app.app_secrets,
                verify_token: app.verify_token,
                path: app.webhook_path,
            })
            .collect();
        Self { apps }
    }

    /// The apps Meta posts to at `path`.
    pub fn on_path<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a WebhookApp> + 'a {
        self.apps.iter().filter(move |app| app.path == path)
    }

    /// Whether `app` may publish the events of one entry.
    pub fn check_entry(&self, app: &WebhookApp, entry: &[pb::Event]) -> Result<(), Foreign> {
        for event in entry {
            let Some(phones) = app.accounts.get(&event.waba_id) else {
                let elsewhere = self.apps.iter().any(|other| other.accounts.contains_key(&event.waba_id));
                return Err(if elsewhere { Foreign::OtherAppsAccount } else { Foreign::UnknownAccount });
            };
            if !event.phone_number_id.is_empty() && !phones.contains(&event.phone_number_id) {
                return Err(Foreign::PhoneNotOfAccount);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apps() -> WebhookApps {
        let account = |waba: &str, phones: &[&str]| ResolvedAccount {
            name: waba.into(),
            waba_id: waba.into(),
            phone_number_ids: phones.iter().map(|p| (*p).to_owned()).collect(),
            access_token: SecretString::from("t"),
            app_secrets: vec![],
            graph_base_url: "http://127.0.0.1:1".into(),
            api_version: "v25.0".into(),
        };
        let app = |name: &str, wabas: &[&str]| ResolvedApp {
            name: name.into(),
            app_secrets: vec![SecretString::from(name.to_owned())],
            verify_token: None,
            webhook_path: "/webhook".into(),
            waba_ids: wabas.iter().map(|w| (*w).to_owned()).collect(),
        };
        WebhookApps::new(vec![app("a", &["10"]), app("b", &["20"])], &[account("10", &["11"]), account("20", &["21"])])
    }

    fn event(waba: &str, phone: &str) -> pb::Event {
        pb::Event { waba_id: waba.into(), phone_number_id: phone.into(), ..Default::default() }
    }

    #[test]
    fn an_entry_is_the_signing_apps_only_when_its_account_and_numbers_are() {
        let apps = apps();
        let a = apps.on_path("/webhook").next().unwrap();
        assert_eq!(apps.check_entry(a, &[event("10", "11"), event("10", "")]), Ok(()));
        assert_eq!(apps.check_entry(a, &[event("20", "21")]), Err(Foreign::OtherAppsAccount));
        assert_eq!(apps.check_entry(a, &[event("30", "31")]), Err(Foreign::UnknownAccount));
        assert_eq!(apps.check_entry(a, &[event("", "")]), Err(Foreign::UnknownAccount));
        assert_eq!(apps.check_entry(a, &[event("10", "11"), event("10", "21")]), Err(Foreign::PhoneNotOfAccount));
        assert_eq!(apps.check_entry(a, &[]), Ok(()));
        assert_eq!(apps.on_path("/other").count(), 0);
    }
}
