//! Rotating a refresh token: [`Sessions::refresh`], reuse detection and the grace period.

use super::{RefreshOptions, SessionError, Sessions, TokenPair};
use crate::audit::AuditEventKind;
use crate::dpop::DpopProof;
use crate::session::refresh_token::RefreshToken;
use crate::store::{RefreshGrant, RotateOutcome, RotateRequest, SessionRecord};

impl Sessions {
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
        let mut options = RefreshOptions::new();
        if let Some(proof) = proof {
            options = options.dpop(proof);
        }
        self.refresh_with_options(refresh_token, options).await
    }

    /// [`refresh`](Self::refresh) with everything else the refresh request shows ([`RefreshOptions`]): the
    /// DPoP proof, the client's user agent.
    pub async fn refresh_with_options(
        &self,
        refresh_token: &str,
        options: RefreshOptions,
    ) -> Result<TokenPair, SessionError> {
        let inner = &*self.inner;
        let jkt = options.dpop.as_ref().map(DpopProof::thumbprint);
        let presented = Self::presented(refresh_token, jkt)?;
        let now = inner.clock.now();
        let successor = presented.successor(&inner.successor_key, jkt);
        let request = self.rotate_request(&presented, &successor, now);
        let outcome = inner.store.rotate(request).await?;
        crate::stats::refresh(match &outcome {
            RotateOutcome::Rotated { .. } => "rotated",
            RotateOutcome::Retried { .. } => "retried",
            RotateOutcome::Reused { .. } => "reused",
            RotateOutcome::Outdated if presented.is_authentic(&inner.successor_key) => "reused",
            _ => "invalid",
        });
        let user_agent = options.user_agent.as_deref();
        self.answer(outcome, &presented, &successor, jkt, now, user_agent)
            .await
    }

    /// What the store is asked: rotate `presented` to `successor` at `now`.
    fn rotate_request(
        &self,
        presented: &RefreshToken,
        successor: &RefreshToken,
        now: i64,
    ) -> RotateRequest {
        let inner = &*self.inner;
        RotateRequest {
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
        }
    }

    /// The answer to a refresh the store decided: the new pair, or `InvalidGrant` (ending the session when a
    /// genuine older token was reused).
    async fn answer(
        &self,
        outcome: RotateOutcome,
        presented: &RefreshToken,
        successor: &RefreshToken,
        jkt: Option<&str>,
        now: i64,
        user_agent: Option<&str>,
    ) -> Result<TokenPair, SessionError> {
        match outcome {
            RotateOutcome::Rotated { session, .. } => {
                let access = self.access_token(&session, jkt)?;
                self.refreshed(&session, user_agent);
                Ok(self.pair(access, successor, now))
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
                self.refreshed(&session, user_agent);
                Ok(self.pair(access, successor, now))
            }
            RotateOutcome::Reused {
                session_id,
                subject,
            } => {
                self.reuse_detected(&session_id, Some(&subject), user_agent);
                Err(SessionError::InvalidGrant)
            }
            RotateOutcome::Outdated if presented.is_authentic(&self.inner.successor_key) => {
                // A genuine token of an older generation: reuse.
                self.end_session(presented.session_id(), self.revoked_now_until(now))
                    .await?;
                self.reuse_detected(presented.session_id(), None, user_agent);
                Err(SessionError::InvalidGrant)
            }
            _ => Err(SessionError::InvalidGrant),
        }
    }

    /// A refresh token parsed, and fit for a proof by `jkt` (or none): a bound token only with its own key.
    pub(super) fn presented(
        refresh_token: &str,
        jkt: Option<&str>,
    ) -> Result<RefreshToken, SessionError> {
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

    /// The session of a refresh token minted by these sessions (any generation, bound or not), for a report.
    pub(crate) fn refresh_session_of(&self, refresh_token: &str) -> Option<String> {
        RefreshToken::parse(refresh_token)
            .filter(|presented| presented.is_authentic(&self.inner.successor_key))
            .map(|presented| presented.session_id().to_owned())
    }

    /// Reports a refresh of `session` (audit event `refresh`), with the request's user agent.
    fn refreshed(&self, session: &SessionRecord, user_agent: Option<&str>) {
        self.auditor().emit(
            self.audit_event(AuditEventKind::Refresh)
                .subject(Some(&session.subject))
                .session_id(Some(&session.session_id))
                .user_agent(user_agent),
        );
    }

    /// Reports reuse that revoked `session_id` (audit event `reuse_detected`; a `tracing` warning).
    fn reuse_detected(&self, session_id: &str, subject: Option<&str>, user_agent: Option<&str>) {
        self.auditor().emit(
            self.audit_event(AuditEventKind::ReuseDetected)
                .subject(subject)
                .session_id(Some(session_id))
                .user_agent(user_agent),
        );
    }

    /// Whether `token` has the shape of this crate's refresh tokens (`rt_…`), without checking it.
    pub(crate) fn looks_like_refresh_token(token: &str) -> bool {
        RefreshToken::parse(token).is_some()
    }
}
