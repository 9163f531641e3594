//! Error types: [`AuthError`] (with its [`AuthErrorKind`]) for rejected requests, [`ConfigError`] for invalid
//! configuration.

mod auth;
mod config;
mod kind;

pub use auth::AuthError;
pub use config::ConfigError;
pub use kind::AuthErrorKind;
