//! [`SessionError`]: why a session operation failed.

use std::fmt;

use crate::issuer::IssueError;
use crate::store::StoreError;

/// Why a session operation failed.
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
