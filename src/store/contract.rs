//! The session store contract ([`SessionStore`] and its request and answer types); the contract is described in
//! the [`session`](crate::session) module.

use crate::store::{ListSessions, RevocationCheck, SessionCursor, StoreError, StoreFuture};

/// A session (one login = one refresh-token family), as stored. Stores build it with [`SessionRecord::new`];
/// fields may be added without breaking them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// Session id (`sid` of its access tokens).
    pub session_id: String,
    /// The user (`sub`).
    pub subject: String,
    /// When the user authenticated (`auth_time`): the session start, or its latest step-up
    /// ([`SessionStore::reauthenticate`]).
    pub auth_time: i64,
    /// Absolute end of the session: no token of it lives longer.
    pub expires_at: i64,
    /// The application claims (a JSON object) access tokens of this session carry.
    pub claims: String,
    /// When the session started (login), fixed for the whole session. [`SessionRecord::new`] takes
    /// `auth_time`; a store that keeps it sets it with [`with_created_at`](Self::with_created_at).
    pub created_at: i64,
    /// When its refresh token was last rotated; the login time until the first refresh. (In the session a
    /// [`RotateOutcome`] carries, stores may give it as of before or after the rotation: nothing decides by it.)
    pub last_refresh_at: i64,
    /// The client's `User-Agent` at login (cut to
    /// [`MAX_USER_AGENT_LEN`](crate::session::MAX_USER_AGENT_LEN) bytes), when it sent one.
    pub user_agent: Option<String>,
}

/// One page of a subject's live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionPage {
    /// The sessions, in the stores' order (see [`ListSessions`]).
    pub sessions: Vec<SessionRecord>,
    /// Where the next page starts, when there may be one. A page may hold fewer than `limit` sessions (ones
    /// that ended while the page was read are left out) and still have a next page.
    pub next: Option<SessionCursor>,
}

impl SessionPage {
    /// A page of `sessions`, followed by the page after `next` if there may be one.
    pub fn new(sessions: Vec<SessionRecord>, next: Option<SessionCursor>) -> Self {
        Self { sessions, next }
    }
}

/// A refresh token as stored: its generation in the session, the SHA-256 of its secret, and its idle expiry.
/// Stores build it with [`RefreshGrant::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshGrant {
    /// 0 for the token handed out at login, one more for each rotation.
    pub generation: u64,
    /// SHA-256 of the secret part; the secret itself is never stored.
    pub secret_hash: [u8; 32],
    /// Idle expiry: `min(now + refresh_ttl, session end)`.
    pub expires_at: i64,
}

impl SessionRecord {
    /// A session record read back from storage.
    pub fn new(
        session_id: impl Into<String>,
        subject: impl Into<String>,
        auth_time: i64,
        expires_at: i64,
        claims: impl Into<String>,
    ) -> Self {
        Self {
            session_id: session_id.into(),
            subject: subject.into(),
            auth_time,
            expires_at,
            claims: claims.into(),
            created_at: auth_time,
            last_refresh_at: auth_time,
            user_agent: None,
        }
    }

    /// The same record, started at `created_at` (the login); the last refresh is moved up to it if earlier.
    pub fn with_created_at(mut self, created_at: i64) -> Self {
        self.created_at = created_at;
        self.last_refresh_at = self.last_refresh_at.max(created_at);
        self
    }

    /// The same record, last refreshed at `rotated_at` — or at its start, when `rotated_at` is earlier (never
    /// rotated).
    pub fn with_last_refresh_at(mut self, rotated_at: i64) -> Self {
        self.last_refresh_at = rotated_at.max(self.created_at);
        self
    }

    /// The same record, with the user agent recorded at login.
    pub fn with_user_agent(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent.filter(|ua| !ua.is_empty());
        self
    }
}

impl RefreshGrant {
    /// A refresh token record read back from storage.
    pub fn new(generation: u64, secret_hash: [u8; 32], expires_at: i64) -> Self {
        Self {
            generation,
            secret_hash,
            expires_at,
        }
    }
}

/// What a store knows of a live refresh token (for RFC 7662 introspection): its session's subject, start and
/// claims, and the token's own expiry. Stores build it with [`RefreshTokenState::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshTokenState {
    /// The user (`sub`).
    pub subject: String,
    /// Session start (`auth_time`).
    pub auth_time: i64,
    /// When the token stops working: its idle expiry, within the session's end.
    pub expires_at: i64,
    /// The application claims (a JSON object) of the session.
    pub claims: String,
}

impl RefreshTokenState {
    /// The state of a live refresh token, read back from storage.
    pub fn new(
        subject: impl Into<String>,
        auth_time: i64,
        expires_at: i64,
        claims: impl Into<String>,
    ) -> Self {
        Self {
            subject: subject.into(),
            auth_time,
            expires_at,
            claims: claims.into(),
        }
    }
}

/// A new session with its first refresh token (generation 0), as [`Sessions`](crate::Sessions) hands it to
/// the store.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewSession {
    /// The session.
    pub session: SessionRecord,
    /// Its first refresh token.
    pub refresh: RefreshGrant,
}

/// One rotation attempt, as [`Sessions`](crate::Sessions) hands it to the store.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RotateRequest {
    /// The session the presented token names.
    pub session_id: String,
    /// The presented token's generation.
    pub generation: u64,
    /// SHA-256 of the presented secret; compare it in constant time.
    pub secret_hash: [u8; 32],
    /// The successor to store if the presented token is current (its generation is one more). Its
    /// `expires_at` is `now + refresh_ttl`; the store caps it at the session end.
    pub successor: RefreshGrant,
    /// The current time.
    pub now: i64,
    /// Seconds after a rotation during which the rotated token may be presented again (0: never).
    pub grace_period: i64,
    /// How long the session's revocation marker must live if this attempt turns out to be reuse.
    pub revoke_until: i64,
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
    /// The immediately previous token was presented again inside the grace period: the current token (the
    /// successor of the first rotation) is returned, and no new branch is created.
    Retried {
        /// The session.
        session: SessionRecord,
        /// The current token, as stored.
        successor: RefreshGrant,
    },
    /// The immediately previous token was presented outside the grace period: the whole family has been
    /// revoked (until [`RotateRequest::revoke_until`]).
    Reused {
        /// The revoked session.
        session_id: String,
        /// Its subject.
        subject: String,
    },
    /// The presented generation is older than the previous one, in a live session. Nothing changed; the
    /// caller checks whether the presented token is genuine (its tag) and, if so, revokes the session.
    Outdated,
    /// Unknown session, wrong secret (which changes nothing), expired token or session, or revoked session.
    Invalid,
}

/// Storage for sessions and refresh tokens, and the revocations the verifying layer checks.
///
/// Implementations must make each method atomic: of N concurrent `rotate` calls with the same token, exactly one
/// gets [`RotateOutcome::Rotated`]. A wrong secret must not change anything. A session's storage must not grow
/// with its rotations. Revocations must be accepted even when the store refuses new sessions for lack of room,
/// and must be kept until their `until`.
///
/// # Writing your own store
///
/// A store answers from its own storage (one SQL transaction or one script per method); this one only wraps
/// [`MemoryStore`](crate::MemoryStore) to count rotations, which shows every method a store must provide:
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use tower_jwt_auth::store::{
///     ListSessions, Lookup, NewSession, RevocationCheck, RotateOutcome, RotateRequest, SessionPage,
///     SessionRecord, StoreFuture,
/// };
/// use tower_jwt_auth::{MemoryStore, SessionStore, TokenInfo};
///
/// #[derive(Clone, Default)]
/// struct CountingStore {
///     inner: MemoryStore,
///     rotations: Arc<AtomicU64>,
/// }
///
/// impl RevocationCheck for CountingStore {
///     fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
///         // In-process answers stay on the layer's synchronous path: `Lookup::Ready`.
///         self.inner.is_revoked(token)
///     }
/// }
///
/// impl SessionStore for CountingStore {
///     fn create_session(&self, session: NewSession) -> StoreFuture<()> {
///         self.inner.create_session(session)
///     }
///     fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
///         self.rotations.fetch_add(1, Ordering::Relaxed);
///         self.inner.rotate(request)
///     }
///     fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
///         self.inner.revoke_session(session_id, until)
///     }
///     fn revoke_refresh_token(
///         &self,
///         session_id: &str,
///         generation: u64,
///         secret_hash: [u8; 32],
///         until: i64,
///     ) -> StoreFuture<bool> {
///         self.inner.revoke_refresh_token(session_id, generation, secret_hash, until)
///     }
///     fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
///         self.inner.revoke_token(jti, until)
///     }
///     fn revoke_subject(&self, issuer: &str, subject: &str, not_before: i64, until: i64) -> StoreFuture<()> {
///         self.inner.revoke_subject(issuer, subject, not_before, until)
///     }
///     // The device list ("your devices"): a bounded page of a subject's live sessions, and one session by id.
///     fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
///         self.inner.list_sessions(request)
///     }
///     fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
///         self.inner.find_session(session_id, now)
///     }
///     // Process-local like the memory store it wraps (a store shared with other processes keeps the default,
///     // `true`, and its sessions need a stable successor key).
///     fn is_shared_or_persistent(&self) -> bool {
///         self.inner.is_shared_or_persistent()
///     }
/// }
/// # let _ = CountingStore::default();
/// ```
///
/// Stores that answer from the network return [`Lookup::Pending`](crate::store::Lookup::Pending) from `is_revoked`.
/// Records read back from storage are built with [`SessionRecord::new`] and [`RefreshGrant::new`].
pub trait SessionStore: RevocationCheck {
    /// Stores a new session and its first refresh token.
    fn create_session(&self, session: NewSession) -> StoreFuture<()>;

    /// Rotates a refresh token (see [`RotateRequest`] and [`RotateOutcome`]).
    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome>;

    /// Revokes a session: its refresh tokens stop working, and access tokens carrying its `sid` are refused
    /// until `until`.
    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()>;

    /// Revokes the session of a refresh token if the generation and secret match its current or previous
    /// token ("revoke" endpoint, RFC 7009), until `until`. Returns whether something was revoked.
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool>;

    /// Revokes one access token by `jti` until `until`.
    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()>;

    /// Logs a subject out everywhere, atomically with respect to logins: every session of the subject that
    /// exists when it runs is revoked (until `until`), and the subject's access tokens *of `issuer`* issued
    /// before `not_before` are refused until `until` (see
    /// [`TokenInfo::is_logged_out_by`](crate::TokenInfo::is_logged_out_by)). Tokens of other issuers with the
    /// same `sub` are not covered: their lifetimes are not this issuer's to bound.
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()>;

    /// One page of `request.subject`'s sessions live at `request.now` (not ended, not idled out, not revoked), in
    /// the order [`ListSessions`] names, after its cursor — for a "your devices" list
    /// ([`Sessions::sessions_of`](crate::Sessions::sessions_of)). Bounded: one call reads about one page, however
    /// many sessions the subject has. The default answers an error (a store written before listing existed);
    /// the stores of this crate implement it.
    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        let _ = request;
        Box::pin(std::future::ready(Err(StoreError::new(
            "this session store does not list sessions (SessionStore::list_sessions)",
        ))))
    }

    /// The session `session_id` if it is live at `now` (not ended, not idled out, not revoked): what ending one
    /// session from the device list checks first ([`Sessions::end_session_of`](crate::Sessions::end_session_of)).
    /// The default answers an error, as [`list_sessions`](Self::list_sessions).
    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        let _ = (session_id, now);
        Box::pin(std::future::ready(Err(StoreError::new(
            "this session store does not look sessions up (SessionStore::find_session)",
        ))))
    }

    /// A step-up on a live session: replaces its claims and `auth_time` if session `session_id` exists, is
    /// `subject`'s and has not ended at `now` (see [`Reauthentication`](crate::store::Reauthentication));
    /// returns whether it did. Its end and refresh tokens are untouched. Stores written before step-up answer
    /// with an error (the default), so a step-up never silently does nothing.
    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        let _ = request;
        Box::pin(std::future::ready(Err(crate::store::StoreError::new(
            "this session store does not support re-authentication (SessionStore::reauthenticate)",
        ))))
    }

    /// Whether the store's sessions outlive this process or are seen by other processes (Redis, SQL): then
    /// [`Sessions`](crate::Sessions) need a stable [`successor_key`](crate::SessionsBuilder::successor_key), or
    /// a refresh token presented after a restart or to another instance could not be recognised as reused.
    /// `true` unless the store says otherwise (fail closed); [`MemoryStore`](crate::MemoryStore), and stores
    /// that keep sessions in this process only, answer `false`.
    fn is_shared_or_persistent(&self) -> bool {
        true
    }

    /// The state of the refresh token `generation`/`secret_hash` of session `session_id`, when it is the
    /// session's current token, not expired at `now`, in a session that has not ended (it would rotate): `None`
    /// otherwise (unknown, rotated away, idle or revoked). Read only; compare the hash in constant time. Used by
    /// [`IntrospectionEndpoint`](crate::session::IntrospectionEndpoint).
    ///
    /// The default fails (the endpoint then answers 503): a store of your own says what it knows.
    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        let _ = (session_id, generation, secret_hash, now);
        Box::pin(std::future::ready(Err(StoreError::new(
            "this store does not read refresh tokens (refresh_token_state)",
        ))))
    }

    /// Revokes session `session_id` of **another** issuer — an identity provider whose back-channel logout
    /// ended it ([`BackchannelLogout`](crate::session::BackchannelLogout)) — until `until`: access tokens whose
    /// `iss` is `issuer` and whose `sid` is `session_id` are refused. No session of this store is touched, and
    /// tokens of any other issuer with the same `sid` are not covered.
    ///
    /// The default fails (the logout then answers 503 and nothing is accepted as revoked): stores shared by
    /// several processes must record the marker where every process sees it.
    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        let _ = (issuer, session_id, until);
        Box::pin(std::future::ready(Err(StoreError::new(
            "this store does not keep issuer-scoped revocations (revoke_issuer_session)",
        ))))
    }

    /// Refuses `subject`'s access tokens of **another** issuer (an identity provider's back-channel logout
    /// without `sid`) issued before `not_before`, until `until` (see
    /// [`TokenInfo::is_logged_out_by`](crate::TokenInfo::is_logged_out_by)). Unlike
    /// [`revoke_subject`](Self::revoke_subject) it ends no session of this store: the provider's `alice` is not
    /// the local `alice`. The default fails, as [`revoke_issuer_session`](Self::revoke_issuer_session)'s does.
    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let _ = (issuer, subject, not_before, until);
        Box::pin(std::future::ready(Err(StoreError::new(
            "this store does not keep issuer-scoped revocations (revoke_issuer_subject)",
        ))))
    }
}
