//! Shared and persistent stores need a stable successor key; a process-local store does not.

use std::sync::Arc;

use crate::common;
use crate::fixtures::test_issuer;
use tower_jwt_auth::{ConfigError, MemoryStore, Sessions, TokenInfo};

/// A store kept outside this process (the default answer of `SessionStore::is_shared_or_persistent`).
#[derive(Clone, Default)]
struct OutOfProcess(MemoryStore);

impl tower_jwt_auth::store::RevocationCheck for OutOfProcess {
    fn is_revoked(&self, token: &TokenInfo) -> tower_jwt_auth::store::Lookup<bool> {
        self.0.is_revoked(token)
    }
}

impl tower_jwt_auth::SessionStore for OutOfProcess {
    fn create_session(
        &self,
        s: tower_jwt_auth::store::NewSession,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.create_session(s)
    }
    fn rotate(
        &self,
        r: tower_jwt_auth::store::RotateRequest,
    ) -> tower_jwt_auth::store::StoreFuture<tower_jwt_auth::store::RotateOutcome> {
        self.0.rotate(r)
    }
    fn revoke_session(&self, sid: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_session(sid, until)
    }
    fn revoke_refresh_token(
        &self,
        sid: &str,
        generation: u64,
        hash: [u8; 32],
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<bool> {
        self.0.revoke_refresh_token(sid, generation, hash, until)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_token(jti, until)
    }
    fn revoke_subject(
        &self,
        iss: &str,
        sub: &str,
        not_before: i64,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_subject(iss, sub, not_before, until)
    }
}

/// `Sessions` over `store` without a successor key: refused, naming `.successor_key(..)`.
fn refused_without_successor_key(store: impl tower_jwt_auth::SessionStore + Clone) {
    let builder = || Sessions::builder(test_issuer(), Arc::new(store.clone()));
    let error = builder().build().unwrap_err();
    assert!(matches!(error, ConfigError::Missing(_)), "{error:?}");
    assert!(error.to_string().contains(".successor_key(..)"), "{error}");
    assert!(builder().successor_key([3; 32]).build().is_ok());
}

#[tokio::test]
async fn shared_and_persistent_stores_need_a_stable_successor_key() {
    // The memory store lives and dies with its process, and so does a random key.
    assert!(Sessions::builder(test_issuer(), MemoryStore::new())
        .build()
        .is_ok());
    // A store that does not say it is process-local is treated as shared (fail closed).
    refused_without_successor_key(OutOfProcess::default());
    #[cfg(feature = "sqlite")]
    refused_without_successor_key(
        tower_jwt_auth::SqlStore::connect("sqlite::memory:")
            .await
            .unwrap()
            .build()
            .await
            .unwrap(),
    );
    #[cfg(feature = "redis")]
    if let Some(server) = common::redis_server::RedisServer::start(&[]) {
        refused_without_successor_key(
            tower_jwt_auth::RedisStore::builder(server.url())
                .build()
                .await
                .unwrap(),
        );
    }
}
