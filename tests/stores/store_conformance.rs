//! The store conformance suite (`tower_jwt_auth::testing`, feature `test-util`: rotation, reuse detection,
//! concurrent refreshes, grace period, caps, logout, revocation) against the crate's own stores: the memory
//! store, (feature `redis`) a real Redis server per case, and the SQL store on SQLite (in memory and in a
//! file) and on a real PostgreSQL server (features `sqlite`, `postgres`). `tests/stores/custom_store.rs` runs it against a store
//! written outside the crate.

use crate::common;

use std::time::Duration;

use common::sessions::{fixture_with, memory_store_under_test};
use tower_jwt_auth::{session::SessionError, MemoryStore, Sessions, SigningKey, TokenIssuer};

mod memory_store {
    use super::*;

    tower_jwt_auth::store_conformance_tests!(async { memory_store_under_test() });
}

#[cfg(feature = "redis")]
mod redis_store {
    tower_jwt_auth::store_conformance_tests!(optional: super::common::sessions::redis_store_under_test());
}

#[cfg(feature = "sqlite")]
mod sqlite_memory_store {
    tower_jwt_auth::store_conformance_tests!(
        super::common::sessions::sqlite_memory_store_under_test()
    );
}

#[cfg(feature = "sqlite")]
mod sqlite_file_store {
    tower_jwt_auth::store_conformance_tests!(
        super::common::sessions::sqlite_file_store_under_test()
    );
}

#[cfg(feature = "postgres")]
mod postgres_store {
    tower_jwt_auth::store_conformance_tests!(optional: super::common::sessions::postgres_store_under_test());
}

#[tokio::test]
async fn the_memory_store_is_bounded_and_cleans_up() {
    let store = MemoryStore::new();
    let f = fixture_with(std::sync::Arc::new(store.clone()), Duration::ZERO);
    let scope = serde_json::json!({ "scope": "read write" });
    for _ in 0..20 {
        f.sessions.login("alice", &scope).await.unwrap();
    }
    assert_eq!(store.len(), 20, "one entry per session");
    let small = MemoryStore::with_capacity(10);
    let issuer = TokenIssuer::builder(
        SigningKey::hmac(jsonwebtoken::Algorithm::HS256, common::SECRET).unwrap(),
    )
    .issuer(common::ISSUER)
    .audience(common::AUDIENCE)
    .clock(f.clock.clone())
    .build()
    .unwrap();
    let sessions = Sessions::builder(issuer, small.clone())
        .max_session(Duration::from_secs(100))
        .build()
        .unwrap();
    let mut refused = 0;
    for _ in 0..20 {
        if matches!(
            sessions.login("alice", &scope).await,
            Err(SessionError::Unavailable(_))
        ) {
            refused += 1;
        }
    }
    assert!(
        refused > 0 && small.len() <= 10,
        "full store refuses writes instead of growing"
    );
    f.clock.advance(101);
    assert!(
        sessions.login("alice", &scope).await.is_ok(),
        "expired sessions are swept to make room"
    );
    assert!(small.len() <= 2);
}
