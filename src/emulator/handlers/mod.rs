//! The HTTP handlers, one module per endpoint family. Each decodes its
//! request with the extractors, acts on the store and answers with the wire
//! types or a Graph error envelope; only the path table sits above them.

pub(crate) mod admin;
pub(crate) mod media;
pub(crate) mod messages;
pub(crate) mod objects;
pub(crate) mod templates;
