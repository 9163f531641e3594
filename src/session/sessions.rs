//! [`Sessions`]: the session authority (its issuer, store and caps) and what its operations share.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{SessionError, TokenPair};
use crate::audit::{AuditEvent, AuditEventKind, Auditor};
use crate::clock::SharedClock;
use crate::issuer::{AccessToken, IssueError, SessionClaims, TokenIssuer};
use crate::session::refresh_token::RefreshToken;
use crate::store::REVOCATION_MARGIN;
use crate::store::{SessionRecord, SessionStore};
use crate::TokenInfo;

/// The latest time a revocation marker is kept until (9999-12-31): stores such as Redis can't express
/// later expiries, and no token this crate accepts for a revocation store lives that long in practice.
const LATEST_MARKER: i64 = 253_402_300_799;

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
    pub(super) inner: Arc<SessionsInner>,
}

pub(super) struct SessionsInner {
    pub(super) issuer: TokenIssuer,
    pub(super) store: Arc<dyn SessionStore>,
    pub(super) refresh_ttl: i64,
    pub(super) max_session: i64,
    pub(super) grace_period: i64,
    pub(super) successor_key: [u8; 32],
    pub(super) clock: SharedClock,
    pub(super) audit: Auditor,
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

impl Sessions {
    /// The store behind these sessions.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// The issuer that mints the sessions' access tokens.
    pub fn issuer(&self) -> &TokenIssuer {
        &self.inner.issuer
    }

    /// The absolute session lifetime ([`SessionsBuilder::max_session`](super::SessionsBuilder::max_session)).
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

    /// Where these sessions' audit events go ([`SessionsBuilder::audit`](super::SessionsBuilder::audit)).
    pub(crate) fn auditor(&self) -> &Auditor {
        &self.inner.audit
    }

    /// An audit event of `kind` now (by the sessions' clock), of these sessions' issuer: fill in the rest and
    /// [`report`](Self::report) it.
    pub fn audit_event(&self, kind: AuditEventKind) -> AuditEvent {
        AuditEvent::new(kind, self.inner.clock.now()).issuer(Some(self.inner.issuer.issuer_name()))
    }

    /// Reports `event` as the sessions report their own ([`SessionsBuilder::audit`](super::SessionsBuilder::audit),
    /// `tracing`, `metrics`): for what the application decides itself, such as a DPoP proof replay its login
    /// handler refused ([`AuthError::is_dpop_replay`](crate::AuthError::is_dpop_replay)).
    pub fn report(&self, event: AuditEvent) {
        self.inner.audit.emit(event);
    }

    /// Until when a revocation made now must be kept, for tokens that expire at `covered_until` at the latest
    /// (the one place marker lifetimes come from; see [`REVOCATION_MARGIN`]).
    pub(super) fn marker_until(covered_until: i64) -> i64 {
        covered_until
            .saturating_add(REVOCATION_MARGIN.as_secs() as i64)
            .min(LATEST_MARKER)
    }

    /// The marker lifetime for a session or subject revoked now: its tokens were all issued before now, so none
    /// expires later than now + the longest lifetime a token of the issuer can have
    /// ([`TokenIssuerBuilder::max_ttl`](crate::issuer::TokenIssuerBuilder::max_ttl), which layers wired to these
    /// sessions enforce), whatever the ttl was when they were minted.
    pub(super) fn revoked_now_until(&self, now: i64) -> i64 {
        Self::marker_until(now.saturating_add(self.inner.issuer.max_ttl_secs()))
    }

    /// Whether the store already refuses `token` (so revoking it again would change nothing). A store that
    /// can't tell now (a mirror catching up, a store down) answers "no", and the revocation is written.
    pub(super) async fn already_refused(&self, token: &TokenInfo) -> bool {
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
    pub(super) async fn end_session(
        &self,
        session_id: &str,
        until: i64,
    ) -> Result<(), SessionError> {
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

    pub(super) fn access_token(
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

    pub(super) fn pair(&self, access: AccessToken, refresh: &RefreshToken, now: i64) -> TokenPair {
        let expires_in = access.expires_at().saturating_sub(now);
        TokenPair {
            access,
            refresh_token: refresh.encode(),
            expires_in,
            dpop_bound: refresh.jkt().is_some(),
        }
    }
}
