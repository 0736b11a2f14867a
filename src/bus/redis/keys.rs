//! The key names of one bus, all under its prefix (see the table in the
//! module docs of the Redis bus).

/// The key names of one bus.
#[derive(Debug)]
pub(super) struct Keys {
    prefix: String,
    /// The stream: the event log.
    pub(super) stream: String,
    /// The pub/sub channel announcing new entries.
    pub(super) channel: String,
    /// Written by each durability round, which then waits for that write.
    pub(super) durable: String,
}

// === impl Keys ===

impl Keys {
    /// The keys under `prefix`.
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            stream: format!("{prefix}events"),
            channel: format!("{prefix}events:new"),
            durable: format!("{prefix}durable"),
        }
    }

    /// Marks event `id` as stored, for deduplication.
    pub(super) fn seen(&self, id: &str) -> String {
        format!("{}seen:{id}", self.prefix)
    }

    /// Holds the furthest status rank stored for message `wamid`.
    pub(super) fn status(&self, wamid: &str) -> String {
        format!("{}status:{wamid}", self.prefix)
    }

    /// Holds consumer group `group`'s filter.
    pub(super) fn group_filter(&self, group: &str) -> String {
        format!("{}group-filter:{group}", self.prefix)
    }
}
