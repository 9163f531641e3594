//! [`Reauthentication`]: what a store is told when a user authenticates again on an existing session (step-up).

/// A re-authentication (step-up, RFC 9470) on an existing session, for
/// [`SessionStore::reauthenticate`](crate::SessionStore::reauthenticate): the session's claims (with the new
/// `acr`/`amr`) and its `auth_time` are replaced, nothing else — not its end (`expires_at`), not its refresh
/// tokens. Stores build nothing from it but the update.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reauthentication {
    /// The session.
    pub session_id: String,
    /// Its user: a session of another subject is left alone.
    pub subject: String,
    /// When the user authenticated again (the new `auth_time`).
    pub auth_time: i64,
    /// The session's new claims (a JSON object), as [`SessionRecord::claims`](crate::store::SessionRecord).
    pub claims: String,
    /// The caller's clock: a session whose end (`expires_at`) is not after it is left alone.
    pub now: i64,
}
