//! The verifying layer, one behaviour per file: the bearer header, claims, algorithms, authorization, the layer
//! in axum, hyper and tower-http, the tower contract, the verified-token cache, hostile input, keep-alive
//! connections, properties, and RFC 9728 resource metadata.

#[path = "../common/mod.rs"]
mod common;

mod algorithms;
mod authorization;
mod axum_router;
mod bearer_header;
mod claims_validation;
mod hostile_input;
mod hyper_server;
mod keep_alive;
mod properties;
mod resource_metadata;
mod token_cache;
mod token_size_limits;
mod tower_contract;
mod tower_http;
