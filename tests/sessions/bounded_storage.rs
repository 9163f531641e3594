//! Bounded storage: nothing grows with rotations or revocations, Redis forgets ended sessions, and a full
//! memory store still takes every revocation and logout.

use std::sync::Arc;
use std::time::Duration;

use crate::common;
#[cfg(feature = "redis")]
use crate::common::sessions::redis_fixture;
use crate::common::sessions::{fixture_with, Fixture, T0};
use crate::fixtures::{every_store, info, scope};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{session::SessionError, MemoryStore};

async fn storage_stays_constant_over_a_thousand_rotations(f: Fixture) {
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let before = f.store_size().await;
    let mut current = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let mut tokens = vec![
        first.refresh_token().to_owned(),
        current.refresh_token().to_owned(),
    ];
    for _ in 1..1000 {
        current = f.sessions.refresh(current.refresh_token()).await.unwrap();
        tokens.push(current.refresh_token().to_owned());
    }
    let after = f.store_size().await;
    eprintln!("store size before / after 1000 rotations: {before} / {after}");
    assert_eq!(before, after, "storage independent of the rotations");
    assert!(
        before <= 2,
        "one session (and, on Redis, its subject index): {before}"
    );
    // Reuse of the very first generation, 1000 rotations back, is still recognised and revokes the family.
    assert!(matches!(
        f.sessions.refresh(&tokens[0]).await,
        Err(SessionError::InvalidGrant)
    ));
    assert!(f.sessions.refresh(current.refresh_token()).await.is_err());
    assert_eq!(
        f.status(current.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_session_index_forgets_ended_sessions() {
    let Some(f) = redis_fixture(Duration::ZERO).await else {
        return;
    };
    for _ in 0..3 {
        f.sessions.login("alice", &scope()).await.unwrap();
    }
    let index = || async {
        let keys = f.redis_keys().await;
        let key = keys.iter().find(|k| k.ends_with(":ss")).unwrap().clone();
        let server = f.server.as_ref().unwrap();
        let client = redis::Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("ZCARD")
            .arg(key)
            .query_async::<usize>(&mut connection)
            .await
            .unwrap()
    };
    assert_eq!(index().await, 3);
    f.clock.advance(4 * 3600 + 1);
    f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        index().await,
        1,
        "ended sessions are pruned on the next login"
    );
}

#[tokio::test]
async fn a_full_memory_store_never_refuses_a_revocation_or_a_logout() {
    let store = MemoryStore::with_capacity(3);
    let f = fixture_with(Arc::new(store.clone()), Duration::ZERO);
    let a = f.sessions.login("alice", &scope()).await.unwrap();
    let b = f.sessions.login("bob", &scope()).await.unwrap();
    let c = f.sessions.login("carol", &scope()).await.unwrap();
    assert!(
        matches!(
            f.sessions.login("dave", &scope()).await,
            Err(SessionError::Unavailable(_))
        ),
        "a full store refuses new sessions"
    );
    // Rotation needs no room, and revocations are always taken.
    let c2 = f.sessions.refresh(c.refresh_token()).await.unwrap();
    f.sessions
        .logout(&info(&f, a.access_token()))
        .await
        .unwrap();
    f.sessions.logout_all("bob").await.unwrap();
    f.store.revoke_token("some-jti", T0 + 600).await.unwrap();
    assert!(f.sessions.revoke(c2.refresh_token()).await.unwrap());
    for pair in [&a, &b, &c2] {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(store.len() > 3, "revocations went past the session bound");
}

/// One account can't make the memory store grow: a login, N refreshes and an RFC 7009 revocation of every access
/// token leave as many entries for N = 50 as for N = 5 (one session marker; no `jti` marker per token, nothing
/// written for a token already refused), and revocations never fill the room logins need.
#[tokio::test]
async fn revocations_per_account_stay_bounded_in_the_memory_store() {
    let mut sizes = Vec::new();
    for n in [5, 50] {
        let store = MemoryStore::with_capacity(2);
        let h = tower_jwt_auth::testing::Harness::new(
            tower_jwt_auth::testing::StoreUnderTest::new(Arc::new(store.clone())),
            Duration::ZERO,
        );
        common::sessions::login_refresh_and_revoke_each(&h, n).await;
        sizes.push(store.len());
        // The revocations count against nothing logins need: two sessions still fit in a store of two.
        for _ in 0..2 {
            h.sessions.login("alice", &json!({})).await.unwrap();
        }
    }
    assert_eq!(sizes[0], sizes[1], "entries after N = 5 and N = 50");
    assert_eq!(sizes[0], 1, "the session's marker alone");
}

every_store! {
    storage_stays_constant_over_a_thousand_rotations,
}
