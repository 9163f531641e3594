//! Key sets, one behaviour per file: remote JWK Sets against a real HTTP server (fetching, provider outages,
//! JWK members, keys bound to their issuer, OpenID Connect discovery), and the issuer's own JWK Set (the
//! endpoint, rotation, verification by another process, key retirement, the issuer builder's errors).

#[path = "../common/mod.rs"]
mod common;
mod fixtures;
mod issuer_fixtures;

mod issuer_binding;
mod issuer_builder_errors;
mod jwk_members;
mod jwks_endpoint;
mod key_fetching;
mod key_retirement;
mod oidc_discovery;
mod provider_outages;
mod published_set;
