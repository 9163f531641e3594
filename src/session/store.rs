//! The session store contract: every method is one atomic operation, so SQL (one transaction) and Redis (one
//! Lua script) can implement it with the same guarantees as [`MemoryStore`](crate::MemoryStore).

use crate::revocation::{RevocationCheck, StoreFuture};

/// A session (one login = one refresh-token family), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Session id (`sid` of its access tokens).
    pub session_id: String,
    /// The user (`sub`).
    pub subject: String,
    /// Session start (`auth_time`), fixed for the whole session.
    pub auth_time: i64,
    /// Absolute end of the session: no token of it lives longer.
    pub expires_at: i64,
    /// The application claims (a JSON object) access tokens of this session carry.
    pub claims: String,
}

/// A refresh token as stored: its id, the SHA-256 of its secret, and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// The public id part of the token.
    pub id: String,
    /// SHA-256 of the secret part; the secret itself is never stored.
    pub secret_hash: [u8; 32],
    /// Idle expiry: `min(now + refresh_ttl, session end)`.
    pub expires_at: i64,
}

/// A new session with its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session.
    pub session: SessionRecord,
    /// Its first refresh token.
    pub refresh: RefreshGrant,
}

/// One rotation attempt.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    /// The presented token's id.
    pub id: String,
    /// SHA-256 of the presented secret; compare it in constant time.
    pub secret_hash: [u8; 32],
    /// The successor to store if the presented token is current. Its `expires_at` is already
    /// `now + refresh_ttl`; the store caps it at the session end.
    pub successor: RefreshGrant,
    /// The current time.
    pub now: i64,
    /// Seconds after a rotation during which the rotated token may be presented again (0: never).
    pub grace_period: i64,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotateOutcome {
    /// The token was current: it is now used, and `successor` is the family's current token.
    Rotated {
        /// The session the token belongs to.
        session: SessionRecord,
        /// The stored successor (expiry capped at the session end).
        successor: RefreshGrant,
    },
    /// The immediately previous token was presented again inside the grace period: the same successor as
    /// before is returned, and no new branch is created.
    Retried {
        /// The session.
        session: SessionRecord,
        /// The successor issued by the first rotation.
        successor_id: String,
    },
    /// A rotated token was presented outside the grace period (or an older generation): the whole family has
    /// been revoked.
    Reused {
        /// The revoked session.
        session_id: String,
        /// Its subject.
        subject: String,
    },
    /// Unknown id, wrong secret (which changes nothing), expired token or session, or revoked session.
    Invalid,
}

/// Storage for sessions and refresh tokens, and the revocations the verifying layer checks.
///
/// Implementations must make each method atomic: of N concurrent `rotate` calls with the same token, exactly one
/// gets [`RotateOutcome::Rotated`]. A wrong secret for a real id must not change anything.
pub trait SessionStore: RevocationCheck {
    /// Stores a new session and its first refresh token.
    fn create_session(&self, session: NewSession) -> StoreFuture<()>;

    /// Rotates a refresh token (see [`RotateRequest`] and [`RotateOutcome`]).
    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome>;

    /// Revokes a session: its refresh tokens stop working, and access tokens carrying its `sid` are refused
    /// until `until` (the end of the session).
    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()>;

    /// Revokes the session of a refresh token, if the id and secret match ("revoke" endpoint, RFC 7009).
    /// Returns whether something was revoked.
    fn revoke_refresh_token(&self, id: &str, secret_hash: [u8; 32]) -> StoreFuture<bool>;

    /// Revokes one access token by `jti` until its `exp`.
    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()>;

    /// Logs a subject out everywhere: revokes all its sessions, and refuses its access tokens issued before
    /// `not_before`, until `until`.
    fn revoke_subject(&self, subject: &str, not_before: i64, until: i64) -> StoreFuture<()>;
}
