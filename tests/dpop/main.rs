//! DPoP (RFC 9449), one behaviour per file: the proof checks, bound tokens, policies, replay, nonces, hostile
//! proofs and the builder's errors at the layer, and DPoP-bound sessions (login and refresh, sliding, replay
//! across instances, floods at the token endpoints).

#[path = "../common/mod.rs"]
mod common;
mod fixtures;
mod session_fixtures;

mod audit_replay;
mod bound_sessions;
mod bound_sliding;
mod bound_tokens;
mod dpop_builder_errors;
mod hostile_proofs;
mod nonces;
mod policies;
mod proof_checks;
mod replay;
mod shared_replay;
mod token_endpoint_floods;
