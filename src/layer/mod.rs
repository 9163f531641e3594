//! The verifying middleware: [`JwtAuthLayer`] and its [`JwtAuthBuilder`], the [`JwtAuth`] service and its
//! [`ResponseFuture`], the RFC 6750 [`rejection`]s and their responders, and the axum extractors.
//!
//! [`JwtAuthLayer`] and [`JwtAuthBuilder`] are also at the crate root. This page holds what configures them
//! beyond the builder's methods: the defaults of [`max_token_size`](JwtAuthBuilder::max_token_size)
//! ([`DEFAULT_MAX_TOKEN_SIZE`]), [`json_limits`](JwtAuthBuilder::json_limits) ([`DEFAULT_MAX_JSON_MEMBERS`],
//! [`DEFAULT_MAX_JSON_DEPTH`]) and [`token_cache_size`](JwtAuthBuilder::token_cache_size)
//! ([`DEFAULT_TOKEN_CACHE_BYTES`]), and the types a stack names: the service and future (tower), the axum
//! rejections of the extractors (feature `axum`).
//!
//! Inside: `auth_layer.rs` (the layer), `builder/` (the builder's settings by concern, and `build()`'s checks),
//! `service.rs` and `future.rs` (the tower service), `pipeline/` (one file per step of a request), `rejection/`
//! (responses, challenges, responders), `extract.rs` (axum extractors).

pub(crate) mod auth_layer;
mod backchannel;
pub(crate) mod builder;
#[cfg(feature = "axum")]
pub(crate) mod extract;
pub(crate) mod future;
pub(crate) mod pipeline;
pub mod rejection;
mod revoke;
pub(crate) mod service;

pub use crate::jose::json::{DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_MEMBERS};
pub use crate::token::cache::DEFAULT_TOKEN_CACHE_BYTES;
pub use auth_layer::JwtAuthLayer;
pub use builder::{JwtAuthBuilder, DEFAULT_MAX_TOKEN_SIZE};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::{ClaimsRejection, Unauthenticated};
pub use future::ResponseFuture;
pub use service::JwtAuth;
