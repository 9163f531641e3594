//! DPoP (RFC 9449), one behaviour per file: the proof checks, binding, policies and nonces at the layer, and
//! DPoP-bound sessions (login, refresh, sliding, replay across instances).

#[path = "../common/mod.rs"]
mod common;

mod dpop;
mod dpop_sessions;
