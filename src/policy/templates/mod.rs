//! Template sends checked before Meta sees them: the approved-template cache
//! and the placeholder check.
//!
//! Guarantees:
//! - A template send names a template that exists in its language
//!   (NOT_FOUND otherwise), that is APPROVED (FAILED_PRECONDITION otherwise),
//!   and fills exactly its placeholders: the header's text placeholder or
//!   media, the body's placeholders (their count when POSITIONAL, their exact
//!   names when NAMED) and each dynamic button by index and sub-type
//!   (INVALID_ARGUMENT naming `content.template.…` otherwise).
//! - Only APPROVED templates are cached, keyed by (WABA, name, language). A
//!   miss (or an entry older than the cache's max age) asks Graph, listing by
//!   name. A template status or category event for a key evicts it as it
//!   passes the bus; an invalidation that happens while a lookup is in flight
//!   keeps that lookup's (possibly stale) answer out of the cache.
//! - Edits and deletions made through this gateway evict at once
//!   ([`TemplateCache::forget_id`], [`TemplateCache::forget_name`]); other
//!   replicas learn of edits from the status events, and of deletions (which
//!   Meta posts no event for) from Meta's own refusal or the max age.
//! - The cache only stores while its invalidator is subscribed to the bus
//!   ([`TemplateCache::run_invalidator`]): without one, or after the
//!   subscription broke (and the cache was cleared), every send asks Graph.
//! - When Graph cannot be asked (an outage, a token without template
//!   permission), or when more templates match the name than a lookup reads
//!   ([`LOOKUP_PAGES`] pages: Graph's name filter matches parts of names), the
//!   send is not blocked: Meta checks it anyway, and the failure is logged.
//! - [`placeholders`] is the gateway's one reading of `{{…}}` placeholders;
//!   template creation ([`crate::grpc::template_convert`]) checks the names
//!   it yields.

mod cache;
mod check;
mod lookup;
mod placeholders;
mod shape;
#[cfg(test)]
mod testing;

pub use cache::{DEFAULT_MAX_AGE, Lookup, TemplateCache};
pub use check::check_send;
pub use lookup::{LOOKUP_PAGES, LookupError, templates_named};
pub use placeholders::{UnclosedPlaceholder, placeholders, scan_placeholders};
pub use shape::{ButtonShape, HeaderShape, TemplateShape};
