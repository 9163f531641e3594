//! The verifying middleware: [`JwtAuthLayer`](crate::JwtAuthLayer) and its builder, the
//! [`JwtAuth`](crate::JwtAuth) service and its future, the request pipeline (one file per step), the RFC 6750
//! rejections and their responders, and the axum extractors.

pub(crate) mod auth_layer;
pub(crate) mod builder;
#[cfg(feature = "axum")]
pub(crate) mod extract;
pub(crate) mod future;
pub(crate) mod pipeline;
pub mod rejection;
mod revoke;
pub(crate) mod service;
