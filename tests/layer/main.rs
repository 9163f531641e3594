//! The verifying layer, one behaviour per file: the bearer header, claims, algorithms, authorization, the layer
//! in axum, hyper and tower-http, the tower contract, the verified-token cache, hostile input, keep-alive
//! connections, properties, and RFC 9728 resource metadata.

#[path = "../common/mod.rs"]
mod common;

mod bearer_header;
mod claims_validation;
mod algorithms;
mod authorization;
mod axum_router;
mod hyper_server;
mod tower_contract;
mod tower_http;
mod token_cache;
mod hostile_input;
mod keep_alive;
mod properties;
mod resource_metadata;
