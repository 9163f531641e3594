//! Sessions, one behaviour per file, through the public API (the lifecycle guarantees against every store: the
//! memory store, and a real Redis): logout, logout everywhere, refresh rotation and reuse, revocation lifetimes,
//! bounded storage, what sliding renews, the claims of the sessions' tokens, partner issuers, a layer wired to the
//! sessions, stores failing halfway, successor keys; the lifecycle model test, sliding sessions and their action
//! paths, the refresh and revoke endpoints and their errors, session and issue errors as axum responses, and the asynchronous revocation path.

#[path = "../common/mod.rs"]
mod common;
mod endpoint_fixtures;
mod fixtures;

mod audit_events;
mod bounded_storage;
mod builder_errors;
mod endpoint_errors;
mod error_responses;
mod foreign_issuers;
mod issued_claims;
mod layer_wiring;
mod lifecycle_model;
mod logout;
mod logout_all;
mod partial_failures;
mod refresh_endpoint;
mod revocation_async;
mod revocation_lifetimes;
mod revoke_endpoint;
mod rotation_and_reuse;
mod sliding;
mod sliding_limits;
mod sliding_paths;
mod successor_key;
