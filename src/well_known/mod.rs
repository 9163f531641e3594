//! Documents served at well-known places: how a public JSON document is served (`document.rs`: GET and HEAD,
//! 405 otherwise; also the OAuth error bodies of the token endpoints) and RFC 9728 protected resource metadata
//! (`resource_metadata.rs`).
//!
//! [`ProtectedResourceMetadata`] describes this resource (RFC 9728); [`JwtAuthLayer::resource_metadata`]
//! serves it as a [`ResourceMetadataService`] at [`RESOURCE_METADATA_PATH`], and
//! [`JwtAuthBuilder::resource_metadata_url`] names it in every challenge.
//!
//! [`JwtAuthLayer::resource_metadata`]: crate::JwtAuthLayer::resource_metadata
//! [`JwtAuthBuilder::resource_metadata_url`]: crate::JwtAuthBuilder::resource_metadata_url

pub(crate) mod document;
pub(crate) mod resource_metadata;

pub use resource_metadata::{
    ProtectedResourceMetadata, ResourceMetadataService, RESOURCE_METADATA_PATH,
};
