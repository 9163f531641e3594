//! Logout everywhere: it covers its own second, a login right after it works, racing logins leave no session
//! behind, and it ends only the sessions' own subject, not a partner issuer's.

use crate::common::sessions::Fixture;
use crate::common::*;
use crate::fixtures::{every_store, partner_keys, partner_token, scope, PARTNER};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{JwtAuthLayer, TokenPair};

async fn logout_all_covers_the_same_second_and_a_login_right_after_works(f: Fixture) {
    let before = f.sessions.login("alice", &scope()).await.unwrap();
    let loose = f.sessions.issuer().issue("alice", &scope()).unwrap();
    let bob = f.sessions.login("bob", &scope()).await.unwrap();
    // Same second: iat == the logout-all time.
    f.sessions.logout_all("alice").await.unwrap();
    let after = f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        payload(before.access_token())["iat"],
        payload(after.access_token())["iat"]
    );
    assert_eq!(
        f.status(before.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.status(loose.as_str()).await,
        StatusCode::UNAUTHORIZED,
        "a session-less token of that second"
    );
    assert!(f.sessions.refresh(before.refresh_token()).await.is_err());
    assert_eq!(
        f.status(after.access_token()).await,
        StatusCode::OK,
        "a login right after works"
    );
    assert!(f.sessions.refresh(after.refresh_token()).await.is_ok());
    assert_eq!(
        f.status(bob.access_token()).await,
        StatusCode::OK,
        "other subjects are untouched"
    );
}

async fn logout_all_racing_logins_leaves_no_session_behind(f: Fixture) {
    let sessions = f.sessions.clone();
    let done_before: Vec<TokenPair> = {
        let mut pairs = Vec::new();
        for _ in 0..5 {
            pairs.push(sessions.login("alice", &scope()).await.unwrap());
        }
        pairs
    };
    let racing: Vec<_> = (0..40)
        .map(|_| {
            let sessions = sessions.clone();
            tokio::spawn(async move { sessions.login("alice", &json!({})).await.unwrap() })
        })
        .collect();
    let logout = {
        let sessions = sessions.clone();
        tokio::spawn(async move { sessions.logout_all("alice").await.unwrap() })
    };
    let mut raced = Vec::new();
    for task in racing {
        raced.push(task.await.unwrap());
    }
    logout.await.unwrap();
    for pair in &done_before {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Whatever the order, a later logout-all ends every one of them: none escaped the index.
    f.clock.advance(1);
    sessions.logout_all("alice").await.unwrap();
    for pair in done_before.iter().chain(&raced) {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            sessions.refresh(pair.refresh_token()).await.is_err(),
            "a session escaped logout-all"
        );
    }
}

async fn logout_all_is_per_issuer(f: Fixture) {
    let layer = JwtAuthLayer::builder()
        .trust_issuer(PARTNER, partner_keys())
        .sessions(&f.sessions)
        .build()
        .unwrap();
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let partner_token = partner_token(
        &json!({ "iss": PARTNER, "aud": AUDIENCE, "sub": "alice", "iat": t - 10, "exp": t + 3600, "sid": "idp-session" }),
    );
    let local = f.sessions.login("alice", &scope()).await.unwrap();
    f.clock.advance(1);
    f.sessions.logout_all("alice").await.unwrap();
    assert_eq!(
        send(&layer, bearer(local.access_token())).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&layer, bearer(&partner_token)).await.status(),
        StatusCode::OK,
        "the partner's alice is not the sessions' alice: its lifetime is not theirs to bound"
    );
}

every_store! {
    logout_all_covers_the_same_second_and_a_login_right_after_works,
    logout_all_racing_logins_leaves_no_session_behind,
    logout_all_is_per_issuer,
}
