//! axum extractors (feature `axum`): [`Claims<C>`], `Option<Claims<C>>` and [`TokenInfo`].

use std::fmt;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::rejection::{Challenges, DefaultResponder, Refused, Rejector};
use crate::token::info::{Claims, TokenInfo};

/// An [`AuthError`] answered without a layer's configuration: the RFC 6750 response of the default realm
/// (`api`) with an empty body.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        Challenges::default_realm().respond(&DefaultResponder, self, Refused::default())
    }
}

/// A handler needs a verified token, and the request has none: the layer in front let it through in optional
/// mode (or there is no layer). It answers as the layer in front would — its realm, its responder, its
/// rejection contract — and, without a layer, as an [`AuthError`] does (realm `api`, empty body).
pub struct Unauthenticated {
    error: AuthError,
    rejector: Option<Rejector<axum_core::body::Body>>,
    request: Refused,
}

impl Unauthenticated {
    fn of(parts: &Parts) -> Self {
        let error = AuthErrorKind::Missing.into();
        crate::trace::RequestSpan::refused_in(&parts.extensions, &error);
        Self {
            error,
            rejector: parts
                .extensions
                .get::<Rejector<axum_core::body::Body>>()
                .cloned(),
            request: Refused::of(&parts.method, parts.version, &parts.headers),
        }
    }

    /// Why the request is refused (always [`AuthErrorKind::Missing`] today).
    pub fn error(&self) -> &AuthError {
        &self.error
    }
}

impl fmt::Debug for Unauthenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unauthenticated")
            .field("error", &self.error)
            .field("from_layer", &self.rejector.is_some())
            .finish()
    }
}

impl fmt::Display for Unauthenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Unauthenticated {}

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        match self.rejector {
            Some(rejector) => rejector.0.reject(self.error, self.request),
            None => {
                Challenges::default_realm().respond(&DefaultResponder, self.error, self.request)
            }
        }
    }
}

/// Why the [`Claims<C>`] extractor refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClaimsRejection {
    /// The request carries no verified token (optional mode without a token, or no layer in front): 401, as the
    /// layer in front answers.
    Unauthenticated(Unauthenticated),
    /// The request *was* authenticated, but the layer in front decodes another claims type than the handler
    /// asks for — a programming error, not an authentication failure. The client gets a 500 with a generic
    /// body (nothing of the server's types); the application gets the explanation — the type and the fix — in
    /// this error's `Display` and (feature `tracing`) in an error event. Build the layer with `.claims::<C>()`
    /// for the `C` the handler extracts; in a handler test, insert the claims with `testing::authenticate_as::<C>`
    /// (feature `test-util`; plain `testing::authenticate` inserts `Claims<serde_json::Value>`).
    WrongClaimsType {
        /// The claims type the handler asked for, by its public path (`tower_jwt_auth::RegisteredClaims`, not
        /// the module it is defined in).
        expected: &'static str,
    },
}

/// The body of the 500 a claims-type mismatch gets: it says nothing of the server's types.
const MISMATCH_BODY: &str = "internal server error";

impl fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthenticated(error) => fmt::Display::fmt(error, f),
            Self::WrongClaimsType { expected } => write!(
                f,
                "the handler extracts Claims<{expected}>, but the JwtAuthLayer in front was built for another \
                 claims type: build it with .claims::<{expected}>(). In a handler test without the layer: \
                 testing::authenticate inserts Claims<serde_json::Value>; insert a {expected} with \
                 testing::authenticate_as::<{expected}>(&mut request, &claims_json) instead"
            ),
        }
    }
}

impl std::error::Error for ClaimsRejection {}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated(error) => error.into_response(),
            Self::WrongClaimsType { .. } => {
                #[cfg(feature = "tracing")]
                tracing::error!(error = %self, "claims type mismatch");
                (StatusCode::INTERNAL_SERVER_ERROR, MISMATCH_BODY).into_response()
            }
        }
    }
}

/// The path of `C` as an application writes it: the crate's own claims type by its re-export at the crate root
/// (`std::any::type_name` names the private module it is defined in), `serde_json::Value` likewise.
fn public_type_name<C: 'static>() -> &'static str {
    match std::any::type_name::<C>() {
        name if name == std::any::type_name::<crate::token::claims::RegisteredClaims>() => {
            "tower_jwt_auth::RegisteredClaims"
        }
        "serde_json::value::Value" => "serde_json::Value",
        name => name,
    }
}

/// The request's claims as `C`: `Ok(None)` without a verified token, an error when a token was verified but
/// for another claims type.
fn claims_of<C: Send + Sync + 'static>(
    parts: &Parts,
) -> Result<Option<Claims<C>>, ClaimsRejection> {
    match parts.extensions.get::<Claims<C>>() {
        Some(claims) => Ok(Some(claims.clone())),
        None if parts.extensions.get::<TokenInfo>().is_some() => {
            Err(ClaimsRejection::WrongClaimsType {
                expected: public_type_name::<C>(),
            })
        }
        None => Ok(None),
    }
}

impl<S, C> FromRequestParts<S> for Claims<C>
where
    S: Send + Sync,
    C: Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        claims_of(parts)?
            .ok_or_else(|| ClaimsRejection::Unauthenticated(Unauthenticated::of(parts)))
    }
}

/// `Option<Claims<C>>`: `None` when the request carried no token (optional mode); a verified token of another
/// claims type is still an error ([`ClaimsRejection::WrongClaimsType`]).
impl<S, C> OptionalFromRequestParts<S> for Claims<C>
where
    S: Send + Sync,
    C: Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        claims_of(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TokenInfo {
    type Rejection = Unauthenticated;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<TokenInfo>()
            .cloned()
            .ok_or_else(|| Unauthenticated::of(parts))
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
