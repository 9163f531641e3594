//! Sessions, one behaviour per file, through the public API (the lifecycle guarantees against every store: the
//! memory store, and a real Redis): logout, logout everywhere, refresh rotation and reuse, revocation lifetimes,
//! bounded storage, what sliding renews, the claims of the sessions' tokens, partner issuers, a layer wired to the
//! sessions, stores failing halfway, successor keys; the lifecycle model test, sliding sessions, the refresh and
//! revoke endpoints, and the asynchronous revocation path.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod bounded_storage;
mod builder_errors;
mod endpoints;
mod foreign_issuers;
mod issued_claims;
mod layer_wiring;
mod lifecycle_model;
mod logout;
mod logout_all;
mod partial_failures;
mod revocation_async;
mod revocation_lifetimes;
mod rotation_and_reuse;
mod sliding;
mod sliding_limits;
mod successor_key;
