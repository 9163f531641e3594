//! Documents served at well-known places: how a public JSON document is served (`document.rs`: GET and HEAD,
//! 405 otherwise; also the OAuth error bodies of the token endpoints) and RFC 9728 protected resource metadata
//! (`resource_metadata.rs`).

pub(crate) mod document;
pub(crate) mod resource_metadata;
