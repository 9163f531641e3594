//! Starting a session: [`Sessions::login`], [`Sessions::login_with`] and [`Sessions::login_with_options`].

use serde::Serialize;

use super::{LoginOptions, SessionError, Sessions, TokenPair};
use crate::audit::AuditEventKind;
use crate::dpop::DpopProof;
use crate::issuer::IssueError;
use crate::session::refresh_token::RefreshToken;
use crate::store::StoreError;
use crate::store::{NewSession, RefreshGrant, SessionRecord};
use crate::TokenInfo;

impl Sessions {
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
        let mut options = LoginOptions::new();
        if let Some(proof) = proof {
            options = options.dpop(proof);
        }
        self.login_with_options(subject, claims, options).await
    }

    /// [`login`](Self::login) with everything else the login request shows ([`LoginOptions`]): a DPoP proof to
    /// bind the pair to, the client's user agent.
    pub async fn login_with_options<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
        options: LoginOptions,
    ) -> Result<TokenPair, SessionError> {
        let inner = &*self.inner;
        let claims = serde_json::to_string(claims)
            .map_err(|e| SessionError::Issue(IssueError::Serialize(e)))?;
        let now = inner.clock.now();
        let jkt = options.dpop.as_ref().map(DpopProof::thumbprint);
        let refresh = RefreshToken::generate(&inner.successor_key, jkt);
        let session = SessionRecord::new(
            refresh.session_id(),
            subject,
            now,
            now.saturating_add(inner.max_session),
            claims,
        )
        .with_user_agent(options.user_agent.clone());
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
        self.auditor().emit(
            self.audit_event(AuditEventKind::Login)
                .subject(Some(subject))
                .session_id(Some(refresh.session_id()))
                .user_agent(options.user_agent.as_deref()),
        );
        Ok(self.pair(access, &refresh, now))
    }
}
