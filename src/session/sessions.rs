//! [`Sessions`]: login, refresh with rotation and reuse detection, logout, logout everywhere, revocation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::clock::SharedClock;
use crate::dpop::DpopProof;
use crate::error::ConfigError;
use crate::issuer::token_issuer::{AccessToken, IssueError, SessionClaims, TokenIssuer};
use crate::jose::random::random_bytes;
use crate::session::refresh_token::RefreshToken;
use crate::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::store::{StoreError, REVOCATION_MARGIN};
use crate::TokenInfo;

/// The latest time a revocation marker is kept until (9999-12-31): stores such as Redis can't express
/// later expiries, and no token this crate accepts for a revocation store lives that long in practice.
const LATEST_MARKER: i64 = 253_402_300_799;
/// The longest session or refresh lifetime accepted: 100 years.
const LONGEST_LIFETIME: i64 = 100 * 366 * 24 * 3600;

/// The longest grace period accepted (Okta and Cognito allow 0–60 s).
pub const MAX_GRACE_PERIOD: Duration = Duration::from_secs(60);

/// An access token and the refresh token that renews it, as an OAuth token response (RFC 6749 §5.1).
///
/// Serializes as `{"access_token","refresh_token","token_type":"Bearer","expires_in"}`, with `"token_type":
/// "DPoP"` for a pair bound to a DPoP key (RFC 9449 §5). `Debug` redacts both tokens.
#[derive(Clone)]
pub struct TokenPair {
    access: AccessToken,
    refresh_token: String,
    expires_in: i64,
    dpop_bound: bool,
}

impl TokenPair {
    /// The access token.
    pub fn access_token(&self) -> &str {
        self.access.as_str()
    }

    /// The access token with its `jti` and times.
    pub fn access(&self) -> &AccessToken {
        &self.access
    }

    /// The opaque refresh token.
    pub fn refresh_token(&self) -> &str {
        &self.refresh_token
    }

    /// Seconds until the access token expires.
    pub fn expires_in(&self) -> i64 {
        self.expires_in
    }

    /// `DPoP` for a pair bound to a DPoP key, `Bearer` otherwise.
    pub fn token_type(&self) -> &'static str {
        match self.dpop_bound {
            true => "DPoP",
            false => "Bearer",
        }
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type())
            .finish()
    }
}

impl Serialize for TokenPair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TokenPair", 4)?;
        s.serialize_field("access_token", self.access.as_str())?;
        s.serialize_field("refresh_token", &self.refresh_token)?;
        s.serialize_field("token_type", self.token_type())?;
        s.serialize_field("expires_in", &self.expires_in)?;
        s.end()
    }
}

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
    /// (its [`TokenInfo::is_own_token`] is false): verify it with such a layer, so that logout ends the
    /// session rather than one token of it.
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

/// Login, refresh, logout over a [`SessionStore`]. Cloning is a pointer copy.
///
/// Defaults: refresh tokens idle out after 14 days, sessions end 30 days after login whatever happens, no
/// grace period (a rotated token is never accepted again).
///
/// `Sessions` is the one place the session authority is configured: the issuer (and its clock, which is the
/// clock of everything wired to these sessions), the store, and the session caps. A layer is wired to it in one
/// call, [`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions): it then accepts the issuer's tokens, checks
/// them against the store, verifies on the same clock, and can slide them.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<SessionsInner>,
}

struct SessionsInner {
    issuer: TokenIssuer,
    store: Arc<dyn SessionStore>,
    refresh_ttl: i64,
    max_session: i64,
    grace_period: i64,
    successor_key: [u8; 32],
    clock: SharedClock,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("issuer", &self.inner.issuer)
            .field("refresh_ttl", &self.inner.refresh_ttl)
            .field("max_session", &self.inner.max_session)
            .field("grace_period", &self.inner.grace_period)
            .finish_non_exhaustive()
    }
}

/// Builds [`Sessions`].
pub struct SessionsBuilder {
    issuer: TokenIssuer,
    store: Arc<dyn SessionStore>,
    refresh_ttl: Duration,
    max_session: Duration,
    grace_period: Duration,
    successor_key: Option<[u8; 32]>,
}

impl fmt::Debug for SessionsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsBuilder").finish_non_exhaustive()
    }
}

fn seconds(d: Duration, setting: &'static str) -> Result<i64, ConfigError> {
    i64::try_from(d.as_secs())
        .ok()
        .filter(|s| *s > 0 && *s <= LONGEST_LIFETIME)
        .ok_or(ConfigError::InvalidDuration {
            setting,
            expected: "between one second and 100 years",
        })
}

impl SessionsBuilder {
    /// Idle lifetime of a refresh token: unused this long, it expires (default 14 days).
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// Absolute session lifetime from login (default 30 days): no refresh extends a session past it.
    pub fn max_session(mut self, max: Duration) -> Self {
        self.max_session = max;
        self
    }

    /// How long after a rotation the immediately previous refresh token may be presented again and get the same
    /// successor (default 0, at most 60 s). A grace period weakens reuse detection for its duration; use it only
    /// for clients that retry lost responses.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
        self
    }

    /// The server key of refresh tokens: it derives each successor (so a retry inside the grace period gets the
    /// same one) and tags every token, so the reuse of *any* earlier generation is recognised and revokes the
    /// family. Set the same 32 random bytes on every instance that shares a store, and keep it across restarts:
    /// [`build`](Self::build) requires it for a store that is shared or persistent
    /// ([`SessionStore::is_shared_or_persistent`]: Redis, SQL). Only a process-local store (the memory store)
    /// may go without, with a random key per process.
    pub fn successor_key(mut self, key: [u8; 32]) -> Self {
        self.successor_key = Some(key);
        self
    }

    /// Checks the settings and builds the sessions.
    pub fn build(self) -> Result<Sessions, ConfigError> {
        let refresh_ttl = seconds(self.refresh_ttl, "SessionsBuilder::refresh_ttl")?;
        let max_session = seconds(self.max_session, "SessionsBuilder::max_session")?;
        if self.grace_period > MAX_GRACE_PERIOD {
            return Err(ConfigError::InvalidDuration {
                setting: "SessionsBuilder::grace_period",
                expected: "at most 60 seconds (MAX_GRACE_PERIOD)",
            });
        }
        if self.successor_key.is_none() && self.store.is_shared_or_persistent() {
            return Err(ConfigError::Missing(
                "SessionsBuilder::successor_key: a stable .successor_key(..) for a shared or persistent store (Redis, SQL): the same 32 secret \
                 bytes on every instance and across restarts, or reuse of an old refresh token goes undetected",
            ));
        }
        let clock = Arc::clone(self.issuer.clock());
        Ok(Sessions {
            inner: Arc::new(SessionsInner {
                issuer: self.issuer,
                // With the `metrics` feature every store call is timed (the revocation check is not wrapped).
                #[cfg(feature = "metrics")]
                store: Arc::new(crate::store::timed::Timed(self.store)),
                #[cfg(not(feature = "metrics"))]
                store: self.store,
                refresh_ttl,
                max_session,
                // Whole seconds, rounded up: 500 ms of grace is one second, not none.
                grace_period: self.grace_period.as_secs() as i64
                    + i64::from(self.grace_period.subsec_nanos() > 0),
                successor_key: self.successor_key.unwrap_or_else(random_bytes::<32>),
                clock,
            }),
        })
    }
}

impl Sessions {
    /// Starts configuring sessions that mint access tokens with `issuer` and keep state in `store` (owned, or
    /// shared as an `Arc<S>` or `Arc<dyn SessionStore>`).
    pub fn builder(issuer: TokenIssuer, store: impl SessionStore) -> SessionsBuilder {
        SessionsBuilder {
            issuer,
            store: Arc::new(store),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            max_session: Duration::from_secs(30 * 24 * 3600),
            grace_period: Duration::ZERO,
            successor_key: None,
        }
    }

    /// The store behind these sessions.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// The issuer that mints the sessions' access tokens.
    pub fn issuer(&self) -> &TokenIssuer {
        &self.inner.issuer
    }

    /// The absolute session lifetime ([`SessionsBuilder::max_session`]).
    pub fn max_session(&self) -> Duration {
        Duration::from_secs(self.inner.max_session as u64)
    }

    /// The absolute session lifetime in seconds.
    pub(crate) fn max_session_secs(&self) -> i64 {
        self.inner.max_session
    }

    /// The sessions' clock: their issuer's (the one clock of everything wired to these sessions).
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Until when a revocation made now must be kept, for tokens that expire at `covered_until` at the latest
    /// (the one place marker lifetimes come from; see [`REVOCATION_MARGIN`]).
    fn marker_until(covered_until: i64) -> i64 {
        covered_until
            .saturating_add(REVOCATION_MARGIN.as_secs() as i64)
            .min(LATEST_MARKER)
    }

    /// The marker lifetime for a session or subject revoked now: its tokens were all issued before now, so none
    /// expires later than now + the longest lifetime a token of the issuer can have
    /// ([`TokenIssuerBuilder::max_ttl`](crate::issuer::TokenIssuerBuilder::max_ttl), which layers wired to these
    /// sessions enforce), whatever the ttl was when they were minted.
    fn revoked_now_until(&self, now: i64) -> i64 {
        Self::marker_until(now.saturating_add(self.inner.issuer.max_ttl_secs()))
    }

    /// Whether the store already refuses `token` (so revoking it again would change nothing). A store that
    /// can't tell now (a mirror catching up, a store down) answers "no", and the revocation is written.
    async fn already_refused(&self, token: &TokenInfo) -> bool {
        self.inner
            .store
            .is_revoked(token)
            .resolve()
            .await
            .unwrap_or(false)
    }

    /// Revokes session `session_id` until `until`. A session marked already keeps its marker: no token of a
    /// session can be issued after its first revocation, so that marker covers every token of it, and a
    /// repeated revocation (an old refresh token or an access token presented again) asks the store only to
    /// make sure the session's row is gone — with an `until` that ends before the marker, which changes no
    /// marker, so nothing is written or announced — and finishes a revocation whose store wrote the marker but
    /// failed before deleting the row.
    async fn end_session(&self, session_id: &str, until: i64) -> Result<(), SessionError> {
        let marked = self
            .already_refused(&TokenInfo::of_session(session_id))
            .await;
        let until = match marked {
            true => self.inner.clock.now(),
            false => until,
        };
        self.inner.store.revoke_session(session_id, until).await?;
        Ok(())
    }

    /// Starts a session for `subject` (whose credentials the application has checked) and returns its first
    /// token pair. `claims` (a JSON object, e.g. `{"scope": "read"}`) go into every access token of the session.
    pub async fn login<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
    ) -> Result<TokenPair, SessionError> {
        self.login_with(subject, claims, None).await
    }

    /// [`login`](Self::login), bound to the key of a DPoP `proof` when one is given (checked with
    /// [`Dpop::check`](crate::dpop::Dpop::check)): the access tokens carry `cnf.jkt`, the pair's `token_type`
    /// is `DPoP`, and the refresh token is bound to the same key (RFC 9449 §5), so only its holder can refresh.
    pub async fn login_with<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
        proof: Option<&DpopProof>,
    ) -> Result<TokenPair, SessionError> {
        let inner = &*self.inner;
        let claims = serde_json::to_string(claims)
            .map_err(|e| SessionError::Issue(IssueError::Serialize(e)))?;
        let now = inner.clock.now();
        let jkt = proof.map(DpopProof::thumbprint);
        let refresh = RefreshToken::generate(&inner.successor_key, jkt);
        let session = SessionRecord {
            session_id: refresh.session_id().to_owned(),
            subject: subject.to_owned(),
            auth_time: now,
            expires_at: now.saturating_add(inner.max_session),
            claims,
        };
        let access = self.access_token(&session, jkt)?;
        let grant = RefreshGrant {
            generation: refresh.generation(),
            secret_hash: refresh.secret_hash(),
            expires_at: now
                .saturating_add(inner.refresh_ttl)
                .min(session.expires_at),
        };
        let login = TokenInfo::of_login(
            inner.issuer.issuer_name(),
            subject,
            refresh.session_id(),
            now,
        );
        inner
            .store
            .create_session(NewSession {
                session,
                refresh: grant,
            })
            .await?;
        // A login that raced a logout everywhere of its user (it began before the logout-all, and its session
        // was stored after the logout-all ended the user's sessions) is ended at once, so it can't outlive the
        // logout-all's marker: the user logs in again.
        if self.already_refused(&login).await {
            self.end_session(refresh.session_id(), self.revoked_now_until(now))
                .await?;
            return Err(SessionError::Unavailable(StoreError::new(
                "the login raced a logout everywhere of the same user; log in again",
            )));
        }
        Ok(self.pair(access, &refresh, now))
    }

    /// Exchanges a refresh token for a new pair, rotating it. Reusing a rotated token revokes its session. A
    /// DPoP-bound refresh token needs [`refresh_with`](Self::refresh_with) and a proof of its key.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, SessionError> {
        self.refresh_with(refresh_token, None).await
    }

    /// [`refresh`](Self::refresh) with a DPoP `proof` (checked with [`Dpop::check`](crate::dpop::Dpop::check)).
    /// A bound refresh token needs a proof by its key: without one, or with another key's, the refresh is
    /// [`SessionError::InvalidGrant`] and the store is not even asked (nothing rotates, nothing is revoked). An
    /// unbound token refreshed with a proof gets a pair bound to the proof's key from then on.
    pub async fn refresh_with(
        &self,
        refresh_token: &str,
        proof: Option<&DpopProof>,
    ) -> Result<TokenPair, SessionError> {
        let inner = &*self.inner;
        let jkt = proof.map(DpopProof::thumbprint);
        let presented = Self::presented(refresh_token, jkt)?;
        let now = inner.clock.now();
        let successor = presented.successor(&inner.successor_key, jkt);
        let request = RotateRequest {
            session_id: presented.session_id().to_owned(),
            generation: presented.generation(),
            secret_hash: presented.secret_hash(),
            successor: RefreshGrant {
                generation: successor.generation(),
                secret_hash: successor.secret_hash(),
                expires_at: now.saturating_add(inner.refresh_ttl),
            },
            now,
            grace_period: inner.grace_period,
            revoke_until: self.revoked_now_until(now),
        };
        let outcome = inner.store.rotate(request).await?;
        crate::stats::refresh(match &outcome {
            RotateOutcome::Rotated { .. } => "rotated",
            RotateOutcome::Retried { .. } => "retried",
            RotateOutcome::Reused { .. } => "reused",
            RotateOutcome::Outdated if presented.is_authentic(&inner.successor_key) => "reused",
            _ => "invalid",
        });
        match outcome {
            RotateOutcome::Rotated { session, .. } => {
                let access = self.access_token(&session, jkt)?;
                Ok(self.pair(access, &successor, now))
            }
            RotateOutcome::Retried {
                session,
                successor: stored,
            } => {
                // The same successor as the first rotation: derived again, and checked against the store.
                if stored.generation != successor.generation()
                    || stored.secret_hash != successor.secret_hash()
                {
                    return Err(SessionError::InvalidGrant);
                }
                let access = self.access_token(&session, jkt)?;
                Ok(self.pair(access, &successor, now))
            }
            RotateOutcome::Reused { .. } => {
                Self::reuse_detected();
                Err(SessionError::InvalidGrant)
            }
            RotateOutcome::Outdated if presented.is_authentic(&inner.successor_key) => {
                // A genuine token of an older generation: reuse.
                self.end_session(presented.session_id(), self.revoked_now_until(now))
                    .await?;
                Self::reuse_detected();
                Err(SessionError::InvalidGrant)
            }
            _ => Err(SessionError::InvalidGrant),
        }
    }

    /// A refresh token parsed, and fit for a proof by `jkt` (or none): a bound token only with its own key.
    fn presented(refresh_token: &str, jkt: Option<&str>) -> Result<RefreshToken, SessionError> {
        let presented = RefreshToken::parse(refresh_token).ok_or(SessionError::InvalidGrant)?;
        if presented.jkt().is_some_and(|bound| Some(bound) != jkt) {
            return Err(SessionError::InvalidGrant);
        }
        Ok(presented)
    }

    /// The session of a refresh token sent with a DPoP proof by `jkt`, judged before the proof is recorded and
    /// without the store: well formed, bound to `jkt` if bound at all, and tagged under the successor key (so
    /// minted by these sessions, some generation). A forged token makes nobody record anything.
    pub(crate) fn genuine_refresh_session(
        &self,
        refresh_token: &str,
        jkt: &str,
    ) -> Result<String, SessionError> {
        let presented = Self::presented(refresh_token, Some(jkt))?;
        if !presented.is_authentic(&self.inner.successor_key) {
            return Err(SessionError::InvalidGrant);
        }
        Ok(presented.session_id().to_owned())
    }

    fn reuse_detected() {
        #[cfg(feature = "tracing")]
        tracing::warn!("refresh token reuse detected; the session has been revoked");
    }

    /// Logs out the session of a verified access token: its refresh tokens stop working, and its access tokens
    /// (and every token sliding derived from them, which share the `sid`) are refused by a layer that checks this
    /// store. A token without a session has its own `jti` revoked instead. Each revocation is kept until the
    /// tokens it covers have expired, plus [`REVOCATION_MARGIN`].
    ///
    /// Only the sessions' own tokens end a local session: those a layer wired to these sessions verified with a
    /// key of their issuer ([`TokenInfo::is_own_token`]) and that carry its `iss`. A partner's or a remote key
    /// set's token whose `sid` happens to equal a local session id has only its `jti` revoked. A token that is
    /// refused already (logged out, revoked) is left as it is: nothing is written.
    pub async fn logout(&self, token: &TokenInfo) -> Result<(), SessionError> {
        let inner = &*self.inner;
        let own_issuer = token.issuer() == Some(inner.issuer.issuer_name());
        if token.session_id().is_some() && own_issuer && !token.is_own_token() {
            // It names a session of ours, but no layer wired to these sessions verified it: ending only its
            // `jti` would leave the session (and its sliding tokens) working while answering "logged out".
            return Err(SessionError::NotVerifiedBySessions);
        }
        let own_session = token.session_id().filter(|_| own_issuer);
        // The session's marker covers this token too: no `jti` marker beside it.
        let jti = token.token_id().filter(|_| own_session.is_none());
        let now = inner.clock.now();
        let expires_at = token
            .expires_at()
            .unwrap_or_else(|| now.saturating_add(inner.issuer.max_ttl_secs()));
        match (own_session, jti) {
            (Some(sid), _) => {
                let until = self
                    .revoked_now_until(now)
                    .max(Self::marker_until(expires_at));
                self.end_session(sid, until).await
            }
            // Refused already (its `jti`, or a logout everywhere): nothing to write.
            (None, Some(_)) if self.already_refused(token).await => Ok(()),
            (None, Some(jti)) => {
                inner
                    .store
                    .revoke_token(jti, Self::marker_until(expires_at))
                    .await?;
                Ok(())
            }
            (None, None) => Err(SessionError::NotASessionToken),
        }
    }

    /// Logs `subject` out everywhere: every session ends and every access token issued before this call returns
    /// is refused (in the same second, tokens without a session too; see
    /// [`TokenInfo::is_logged_out_by`]). A login right after it starts a session that works.
    pub async fn logout_all(&self, subject: &str) -> Result<(), SessionError> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        inner
            .store
            .revoke_subject(
                inner.issuer.issuer_name(),
                subject,
                now,
                self.revoked_now_until(now),
            )
            .await?;
        Ok(())
    }

    /// RFC 7009 revocation of a refresh token: revokes its whole session. Unknown or malformed tokens are not an
    /// error (the endpoint answers 200 either way). Returns whether a session was revoked.
    pub async fn revoke(&self, token: &str) -> Result<bool, SessionError> {
        let Some(presented) = RefreshToken::parse(token) else {
            return Ok(false);
        };
        let inner = &*self.inner;
        let now = inner.clock.now();
        let until = self.revoked_now_until(now);
        let revoked = inner
            .store
            .revoke_refresh_token(
                presented.session_id(),
                presented.generation(),
                presented.secret_hash(),
                until,
            )
            .await?;
        if revoked || !presented.is_authentic(&inner.successor_key) {
            return Ok(revoked);
        }
        // A genuine older generation: as on refresh, its family ends (once).
        self.end_session(presented.session_id(), until).await?;
        Ok(true)
    }

    /// Whether `token` has the shape of this crate's refresh tokens (`rt_…`), without checking it.
    pub(crate) fn looks_like_refresh_token(token: &str) -> bool {
        RefreshToken::parse(token).is_some()
    }

    fn access_token(
        &self,
        session: &SessionRecord,
        dpop_thumbprint: Option<&str>,
    ) -> Result<AccessToken, SessionError> {
        let claims: serde_json::Value = serde_json::from_str(&session.claims)
            .map_err(|e| SessionError::Issue(IssueError::Serialize(e)))?;
        let session_claims = SessionClaims {
            session_id: Some(&session.session_id),
            auth_time: Some(session.auth_time),
            not_after: Some(session.expires_at),
            dpop_thumbprint,
        };
        Ok(self
            .inner
            .issuer
            .issue_for_session(&session.subject, &claims, session_claims)?)
    }

    fn pair(&self, access: AccessToken, refresh: &RefreshToken, now: i64) -> TokenPair {
        let expires_in = access.expires_at().saturating_sub(now);
        TokenPair {
            access,
            refresh_token: refresh.encode(),
            expires_in,
            dpop_bound: refresh.jkt().is_some(),
        }
    }
}
