//! A store behind an `Arc` is a store: one [`Sessions::builder`](crate::Sessions::builder) takes both an owned
//! store and one shared with the rest of the application (or chosen at run time as `Arc<dyn SessionStore>`).

use std::sync::Arc;

use crate::store::{
    ListSessions, Lookup, NewSession, RefreshTokenState, RevocationCheck, RotateOutcome,
    RotateRequest, SessionPage, SessionRecord, SessionStore, StoreFuture,
};
use crate::TokenInfo;

impl<S: RevocationCheck + ?Sized> RevocationCheck for Arc<S> {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        (**self).is_revoked(token)
    }
}

impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        (**self).create_session(session)
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        (**self).rotate(request)
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        (**self).revoke_session(session_id, until)
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        (**self).revoke_refresh_token(session_id, generation, secret_hash, until)
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        (**self).revoke_token(jti, until)
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        (**self).revoke_subject(issuer, subject, not_before, until)
    }

    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        (**self).list_sessions(request)
    }

    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        (**self).find_session(session_id, now)
    }

    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        (**self).reauthenticate(request)
    }

    fn is_shared_or_persistent(&self) -> bool {
        (**self).is_shared_or_persistent()
    }

    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        (**self).refresh_token_state(session_id, generation, secret_hash, now)
    }

    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        (**self).revoke_issuer_session(issuer, session_id, until)
    }

    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        (**self).revoke_issuer_subject(issuer, subject, not_before, until)
    }
}
