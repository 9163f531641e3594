//! Error types: [`AuthError`] (with its [`AuthErrorKind`]) for rejected requests, [`ConfigError`] for invalid
//! configuration.
//!
//! All three are also at the crate root. An [`AuthError`] travels in the extensions of every rejection
//! response; its [`AuthErrorKind`] decides the status, the RFC 6750 error code, the gRPC code and the fixed
//! description. A [`ConfigError`] comes from a builder's `build()` (or a key constructor), never while serving.

mod auth;
mod config;
mod kind;

pub use auth::AuthError;
pub use config::ConfigError;
pub use kind::AuthErrorKind;
