//! The memory store seen through a wrapper, for tests that need to see what a store is given or to take the
//! layer's asynchronous revocation path.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};

use tower_jwt_auth::store::{ListSessions, SessionPage, SessionRecord};
use tower_jwt_auth::{
    store::Lookup, store::NewSession, store::RevocationCheck, store::RotateOutcome,
    store::RotateRequest, store::StoreFuture, MemoryStore, SessionStore, TokenInfo,
};

/// A [`MemoryStore`] that records every session write (as `Debug` text) and, when `asynchronous`, answers
/// revocation checks later, as a network store does.
#[derive(Clone, Default)]
pub struct ObservedStore {
    pub inner: MemoryStore,
    pub writes: Arc<Mutex<Vec<String>>>,
    pub asynchronous: bool,
}

impl ObservedStore {
    /// Answers revocation checks asynchronously (through `Lookup::Pending`).
    pub fn asynchronous(inner: MemoryStore) -> Self {
        Self {
            inner,
            asynchronous: true,
            ..Self::default()
        }
    }

    fn record(&self, what: &impl std::fmt::Debug) {
        self.writes.lock().unwrap().push(format!("{what:?}"));
    }
}

impl RevocationCheck for ObservedStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        let answer = self.inner.is_revoked(token);
        if !self.asynchronous {
            return answer;
        }
        Lookup::Pending(Box::pin(async move {
            tokio::task::yield_now().await;
            answer.resolve().await
        }))
    }
}

impl SessionStore for ObservedStore {
    fn is_shared_or_persistent(&self) -> bool {
        self.inner.is_shared_or_persistent()
    }
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        self.record(&session);
        self.inner.create_session(session)
    }
    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        self.record(&request);
        self.inner.rotate(request)
    }
    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        self.record(&(session_id, until));
        self.inner.revoke_session(session_id, until)
    }
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        self.record(&(session_id, generation, secret_hash, until));
        self.inner
            .revoke_refresh_token(session_id, generation, secret_hash, until)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        self.record(&(jti, until));
        self.inner.revoke_token(jti, until)
    }
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.record(&(issuer, subject, not_before, until));
        self.inner
            .revoke_subject(issuer, subject, not_before, until)
    }
    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        self.inner.list_sessions(request)
    }
    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        self.inner.find_session(session_id, now)
    }
}
