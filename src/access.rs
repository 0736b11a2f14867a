//! What an API key may reach: the scopes (services) and the phone numbers it
//! may use. Shared by configuration, the gRPC authenticator and the bus filter,
//! so it depends on nothing of theirs.

use std::{collections::HashSet, fmt};

use serde::Deserialize;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// MessagingService.
    Messages,
    /// MediaService.
    Media,
    /// TemplateService.
    Templates,
    /// EventService.
    Events,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Messages => "messages",
            Self::Media => "media",
            Self::Templates => "templates",
            Self::Events => "events",
        })
    }
}

/// The phone numbers a key may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneNumbers {
    /// Every configured number.
    All,
    /// Only these.
    Only(HashSet<String>),
}

impl PhoneNumbers {
    /// Whether `id` is allowed.
    pub fn allows(&self, id: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(ids) => ids.contains(id),
        }
    }
}
