//! Key sets, one behaviour per file: remote JWK Sets against a real HTTP server, and the issuer's own JWK Set
//! (staging, rotation) verified by another process.

#[path = "../common/mod.rs"]
mod common;

mod issuer_jwks;
mod jwks;
