//! With the `metrics` feature, [`Sessions`](crate::Sessions) reaches its store through this wrapper: every call's
//! latency, and its failures, by operation. The revocation check passes straight through (it is the request path,
//! and answers without waiting for the stores the crate ships).

use std::sync::Arc;
use std::time::Instant;

use crate::store::{Lookup, RevocationCheck, StoreFuture};
use crate::store::{NewSession, RotateOutcome, RotateRequest, SessionStore};
use crate::token::info::TokenInfo;

pub(crate) struct Timed(pub(crate) Arc<dyn SessionStore>);

fn timed<T: Send + 'static>(operation: &'static str, call: StoreFuture<T>) -> StoreFuture<T> {
    let started = Instant::now();
    Box::pin(async move {
        let result = call.await;
        crate::stats::store_call(operation, started.elapsed(), result.is_ok());
        result
    })
}

impl RevocationCheck for Timed {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        self.0.is_revoked(token)
    }
}

impl SessionStore for Timed {
    fn is_shared_or_persistent(&self) -> bool {
        self.0.is_shared_or_persistent()
    }
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        timed("create_session", self.0.create_session(session))
    }
    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        timed("rotate", self.0.rotate(request))
    }
    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        timed("revoke_session", self.0.revoke_session(session_id, until))
    }
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let call = self
            .0
            .revoke_refresh_token(session_id, generation, secret_hash, until);
        timed("revoke_refresh_token", call)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        timed("revoke_token", self.0.revoke_token(jti, until))
    }
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        timed(
            "revoke_subject",
            self.0.revoke_subject(issuer, subject, not_before, until),
        )
    }
}
