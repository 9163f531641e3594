//! Ending sessions: [`Sessions::logout`], [`Sessions::logout_all`] and [`Sessions::revoke`].

use super::{SessionError, Sessions};
use crate::audit::AuditEventKind;
use crate::session::refresh_token::RefreshToken;
use crate::TokenInfo;

impl Sessions {
    /// Logs out the session of a verified access token: its refresh tokens stop working, and its access tokens
    /// (and every token sliding derived from them, which share the `sid`) are refused by a layer that checks this
    /// store. A token without a session has its own `jti` revoked instead. Each revocation is kept until the
    /// tokens it covers have expired, plus [`REVOCATION_MARGIN`](crate::store::REVOCATION_MARGIN).
    ///
    /// Only the sessions' own tokens end a local session: those a layer wired to these sessions verified with a
    /// key of their issuer ([`TokenInfo::is_own_token`]) and that carry its `iss`. A partner's or a remote key
    /// set's token whose `sid` happens to equal a local session id has only its `jti` revoked. A token that is
    /// refused already (logged out, revoked) is left as it is: nothing is written.
    pub async fn logout(&self, token: &TokenInfo) -> Result<(), SessionError> {
        self.logout_reporting(token, AuditEventKind::Logout).await
    }

    /// [`logout`](Self::logout), reported as an audit event of `kind` (`logout`, or `revoke` when the
    /// [`RevokeEndpoint`](super::RevokeEndpoint) revokes an access token).
    pub(crate) async fn logout_reporting(
        &self,
        token: &TokenInfo,
        kind: AuditEventKind,
    ) -> Result<(), SessionError> {
        self.end_by_token(token).await?;
        self.auditor().emit(
            self.audit_event(kind)
                .issuer(token.issuer())
                .subject(token.subject())
                .session_id(token.session_id()),
        );
        Ok(())
    }

    async fn end_by_token(&self, token: &TokenInfo) -> Result<(), SessionError> {
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
        self.auditor().emit(
            self.audit_event(AuditEventKind::LogoutAll)
                .subject(Some(subject)),
        );
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
        if !revoked && !presented.is_authentic(&inner.successor_key) {
            return Ok(false);
        }
        if !revoked {
            // A genuine older generation: as on refresh, its family ends (once).
            self.end_session(presented.session_id(), until).await?;
        }
        self.auditor().emit(
            self.audit_event(AuditEventKind::Revoke)
                .session_id(Some(presented.session_id())),
        );
        Ok(true)
    }
}
