//! The verifying layer, one behaviour per file: the bearer header; time claims, issuer and audience, the
//! access-token profile, the members of a claims set; the JWS structure, algorithms, key material, key kinds
//! and key selection; authorization, and a per-route layer placed outside the auth layer; the handler test helpers; the layer in axum,
//! hyper and tower-http, the tower contract, the verified-token cache, hostile input, keep-alive connections and
//! `Connection: close`, properties, and RFC 9728 resource metadata.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod algorithms;
mod authorization;
mod axum_router;
mod bearer_header;
mod claim_members;
mod connection_close;
mod der_key_kinds;
mod handler_test_helpers;
mod hostile_input;
mod hyper_server;
mod issuer_and_audience;
mod jws_structure;
mod keep_alive;
mod key_kinds;
mod key_material;
mod key_selection;
mod misplaced_authorization;
mod properties;
mod refused_tokens;
mod resource_metadata;
mod time_claims;
mod token_cache;
mod token_profile;
mod token_size_limits;
mod tower_contract;
mod tower_http;
