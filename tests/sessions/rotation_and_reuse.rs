//! Refresh rotation and reuse: a reused older generation, or the revocation of an older refresh token, ends
//! the family; a forgery changes nothing; the grace period rounds up to whole seconds.

use std::sync::Arc;
use std::time::Duration;

use crate::common::sessions::{fixture_with, Fixture};
use crate::fixtures::{every_store, scope};
use http::StatusCode;
use tower_jwt_auth::MemoryStore;

async fn reuse_of_any_older_generation_revokes_the_family(f: Fixture) {
    for older in 0..4usize {
        let mut chain = vec![f.sessions.login("alice", &scope()).await.unwrap()];
        for _ in 0..5 {
            let next = f
                .sessions
                .refresh(chain.last().unwrap().refresh_token())
                .await
                .unwrap();
            chain.push(next);
        }
        let current = chain.last().unwrap();
        assert!(f
            .sessions
            .refresh(chain[older].refresh_token())
            .await
            .is_err());
        assert!(
            f.sessions.refresh(current.refresh_token()).await.is_err(),
            "generation {older} reused: the family is revoked"
        );
        assert_eq!(
            f.status(current.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // A forged token of an old generation (right session, wrong secret) changes nothing.
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    let next = f.sessions.refresh(next.refresh_token()).await.unwrap();
    let sid = pair.refresh_token().split('.').next().unwrap();
    let forged = format!("{sid}.0.{}", "A".repeat(43));
    assert!(f.sessions.refresh(&forged).await.is_err());
    assert!(
        f.sessions.refresh(next.refresh_token()).await.is_ok(),
        "the family survives a forgery"
    );
}

async fn revoking_an_older_refresh_token_ends_its_family(f: Fixture) {
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let second = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let third = f.sessions.refresh(second.refresh_token()).await.unwrap();
    assert!(f.sessions.revoke(first.refresh_token()).await.unwrap());
    assert!(f.sessions.refresh(third.refresh_token()).await.is_err());
    assert_eq!(
        f.status(third.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_sub_second_grace_period_rounds_up() {
    let f = fixture_with(Arc::new(MemoryStore::new()), Duration::from_millis(500));
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let second = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let retry = f.sessions.refresh(first.refresh_token()).await.unwrap();
    assert_eq!(retry.refresh_token(), second.refresh_token());
}

every_store! {
    reuse_of_any_older_generation_revokes_the_family,
    revoking_an_older_refresh_token_ends_its_family,
}
