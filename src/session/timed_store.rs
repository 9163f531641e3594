//! With the `metrics` feature, [`Sessions`](crate::Sessions) reaches its store through this wrapper: every call's
//! latency, and its failures, by operation, handed to the recorder the sessions give it (the crate's metrics; the
//! store room records nothing itself). The revocation check passes straight through (it is the request path,
//! and answers without waiting for the stores the crate ships).
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::{ListSessions, SessionPage, SessionRecord};
use crate::store::{Lookup, RevocationCheck, StoreFuture};
use crate::store::{NewSession, RefreshTokenState, RotateOutcome, RotateRequest, SessionStore};
use crate::token::info::TokenInfo;

/// What a timed call reports: the operation (`create_session`, `rotate`, `revoke_*`), its latency, whether it
/// succeeded.
pub(crate) type Record = fn(&'static str, Duration, bool);

/// A store whose every session call is timed and handed to `record`.
pub(crate) struct Timed {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) record: Record,
}

impl Timed {
    fn timed<T: Send + 'static>(
        &self,
        operation: &'static str,
        call: StoreFuture<T>,
    ) -> StoreFuture<T> {
        let (started, record) = (Instant::now(), self.record);
        Box::pin(async move {
            let result = call.await;
            record(operation, started.elapsed(), result.is_ok());
            result
        })
    }
}

impl RevocationCheck for Timed {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        self.store.is_revoked(token)
    }
}

impl SessionStore for Timed {
    fn is_shared_or_persistent(&self) -> bool {
        self.store.is_shared_or_persistent()
    }
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        self.timed("create_session", self.store.create_session(session))
    }
    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        self.timed("rotate", self.store.rotate(request))
    }
    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        self.timed(
            "revoke_session",
            self.store.revoke_session(session_id, until),
        )
    }
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let call = self
            .store
            .revoke_refresh_token(session_id, generation, secret_hash, until);
        self.timed("revoke_refresh_token", call)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        self.timed("revoke_token", self.store.revoke_token(jti, until))
    }
    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        self.timed("reauthenticate", self.store.reauthenticate(request))
    }
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.timed(
            "revoke_subject",
            self.store
                .revoke_subject(issuer, subject, not_before, until),
        )
    }
    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        self.timed(
            "refresh_token_state",
            self.store
                .refresh_token_state(session_id, generation, secret_hash, now),
        )
    }
    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        self.timed(
            "revoke_issuer_session",
            self.store.revoke_issuer_session(issuer, session_id, until),
        )
    }
    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.timed(
            "revoke_issuer_subject",
            self.store
                .revoke_issuer_subject(issuer, subject, not_before, until),
        )
    }
    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        self.timed("list_sessions", self.store.list_sessions(request))
    }
    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        self.timed("find_session", self.store.find_session(session_id, now))
    }
}
