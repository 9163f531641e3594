//! [`SessionError`]: why a session operation failed.

use std::fmt;

use crate::issuer::IssueError;
use crate::store::StoreError;

/// Why a session operation failed.
///
/// With the feature `axum` it is a response: a handler returning `Result<_, SessionError>` answers an RFC 6749
/// error (`{"error": "...", "error_description": "..."}`, `Cache-Control: no-store`) with the status and code
/// [`RefreshEndpoint`](crate::session::RefreshEndpoint) and [`RevokeEndpoint`](crate::session::RevokeEndpoint) use: 400
/// `invalid_grant`, 503 `temporarily_unavailable` with `Retry-After`, 500 `server_error` (without the
/// signer's message), 400 `unsupported_token_type` for the logout errors.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::{extract::State, Json};
/// use tower_jwt_auth::{session::SessionError, Sessions, TokenPair};
///
/// async fn refresh(
///     State(sessions): State<Sessions>,
///     Json(refresh_token): Json<String>,
/// ) -> Result<Json<TokenPair>, SessionError> {
///     Ok(Json(sessions.refresh(&refresh_token).await?))
/// }
/// let _: axum::routing::MethodRouter<Sessions> = axum::routing::post(refresh);
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The refresh token is unknown, malformed, expired, revoked or was reused (OAuth `invalid_grant`). Reuse
    /// has already revoked its whole session.
    InvalidGrant,
    /// The store could not be reached (503).
    Unavailable(StoreError),
    /// The access token could not be issued.
    Issue(IssueError),
    /// The token to log out has no `sid` or `jti` to revoke.
    NotASessionToken,
    /// The token names a session of these sessions' issuer, but no layer wired to these sessions verified it
    /// (its [`TokenInfo::is_own_token`](crate::TokenInfo::is_own_token) is false): verify it with such a
    /// layer, so that logout ends the session rather than one token of it.
    NotVerifiedBySessions,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidGrant => f.write_str("invalid_grant"),
            Self::Unavailable(e) => fmt::Display::fmt(e, f),
            Self::Issue(e) => fmt::Display::fmt(e, f),
            Self::NotASessionToken => f.write_str("the token belongs to no session"),
            Self::NotVerifiedBySessions => f.write_str(
                "the token names a session of these sessions' issuer but was not verified by a layer wired to \
                 them (JwtAuthBuilder::sessions); verify it with such a layer to log it out",
            ),
        }
    }
}

impl std::error::Error for SessionError {}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e)
    }
}

impl From<IssueError> for SessionError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::SessionExpired => Self::InvalidGrant,
            other => Self::Issue(other),
        }
    }
}
