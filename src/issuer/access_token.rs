//! What an issuer hands out and takes: [`AccessToken`], [`SessionClaims`], and why issuing fails ([`IssueError`]).

use std::fmt;

/// A freshly signed access token.
#[derive(Clone)]
pub struct AccessToken {
    pub(super) token: String,
    pub(super) jti: String,
    pub(super) issued_at: i64,
    pub(super) expires_at: i64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl AccessToken {
    /// The compact JWS to send as `Authorization: Bearer …`.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The token, by value.
    pub fn into_string(self) -> String {
        self.token
    }

    /// Its `jti`.
    pub fn jti(&self) -> &str {
        &self.jti
    }

    /// Its `iat`.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// Its `exp`.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Session facts written into a token: `sid` and `auth_time`, a hard cap on `exp`, and its binding.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionClaims<'a> {
    /// The session (refresh family) id, written as `sid`.
    pub session_id: Option<&'a str>,
    /// When the user authenticated, written as `auth_time`.
    pub auth_time: Option<i64>,
    /// The token's `exp` is never later than this.
    pub not_after: Option<i64>,
    /// The RFC 7638 thumbprint of the DPoP key the token is bound to, written as `cnf.jkt` (RFC 9449 §6.1).
    pub dpop_thumbprint: Option<&'a str>,
    /// The RFC 8705 SHA-256 thumbprint of the client certificate the token is bound to, written as
    /// `cnf["x5t#S256"]` — unless `dpop_thumbprint` is given: a token is bound to one or the other.
    pub certificate_thumbprint: Option<&'a str>,
    /// The session's absolute end, written as `session_exp` when given: sliding caps renewed tokens at it,
    /// for a session whose `auth_time` (moved by a step-up) no longer marks its start.
    pub session_expires_at: Option<i64>,
}

/// Signing failed, or the application's claims do not serialize to a JSON object.
///
/// With the feature `axum` it is a response, as the [`SessionError`](crate::session::SessionError) it converts
/// to: a passed session cap is 400 `invalid_grant`, anything else 500 `server_error` without its message.
#[derive(Debug)]
#[non_exhaustive]
pub enum IssueError {
    /// The claims are not a JSON object.
    ClaimsNotAnObject,
    /// The claims could not be serialized.
    Serialize(serde_json::Error),
    /// The signer failed.
    Sign(String),
    /// The session cap has passed; no token can be issued for it.
    SessionExpired,
    /// A claim the crate reads has the wrong type (`client_id` must be a string).
    NotAString(&'static str),
    /// The application claims set a claim the crate manages itself (`sub`, `iss`, `aud`, `iat`, `nbf`, `exp`,
    /// `jti`, `sid`, `auth_time`, `cnf`, `session_exp`); pass the subject as the subject, and leave the rest to the
    /// issuer.
    ReservedClaim(&'static str),
}

/// Claims [`TokenIssuer`] and [`Sessions`](crate::Sessions) set themselves; application claims may not.
pub(crate) const RESERVED_CLAIMS: [&str; 11] = [
    "sub",
    "iss",
    "aud",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sid",
    "auth_time",
    "cnf",
    "session_exp",
];

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClaimsNotAnObject => f.write_str("claims must serialize to a JSON object"),
            Self::Serialize(e) => write!(f, "claims could not be serialized: {e}"),
            Self::Sign(e) => write!(f, "signing failed: {e}"),
            Self::SessionExpired => f.write_str("the session has reached its absolute lifetime"),
            Self::NotAString(name) => write!(f, "the claim `{name}` must be a string"),
            Self::ReservedClaim(name) => {
                write!(
                    f,
                    "the claim `{name}` is set by the issuer, not by the application"
                )
            }
        }
    }
}

impl std::error::Error for IssueError {}
