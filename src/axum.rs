//! axum extractors (feature `axum`): [`Claims<C>`], `Option<Claims<C>>` and [`TokenInfo`].

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use crate::builder::DEFAULT_REALM;
use crate::error::{AuthError, AuthErrorKind};
use crate::rejection::Rejection;
use crate::{Claims, TokenInfo};

/// Without the layer in front (or in optional mode without a token) a handler asking for `Claims<C>` gets
/// 401 with a bare `Bearer` challenge.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        Rejection::new(self, DEFAULT_REALM).into_response(axum_core::body::Body::empty())
    }
}

impl<S, C> FromRequestParts<S> for Claims<C>
where
    S: Send + Sync,
    C: Send + Sync + 'static,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Claims<C>>()
            .cloned()
            .ok_or_else(|| AuthErrorKind::Missing.into())
    }
}

/// `Option<Claims<C>>`: `None` when the request carried no token (optional mode).
impl<S, C> OptionalFromRequestParts<S> for Claims<C>
where
    S: Send + Sync,
    C: Send + Sync + 'static,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Claims<C>>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TokenInfo {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<TokenInfo>()
            .cloned()
            .ok_or_else(|| AuthErrorKind::Missing.into())
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for TokenInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<TokenInfo>().cloned())
    }
}
