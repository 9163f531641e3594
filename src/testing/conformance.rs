//! The store conformance suite: refresh-token rotation, reuse detection, grace period, caps, logout and
//! revocation (RFC 6749 §6, RFC 9700 §4.14), through [`Sessions`](crate::Sessions) and a layer wired to them
//! (and, in `refresh_decision.rs`, the store's own `rotate` held to the refresh decision).
//! Each case takes a fresh store and panics, naming what failed, when the store breaks the contract.

use std::future::Future;
use std::time::Duration;

use http::StatusCode;
use serde_json::json;

use super::harness::{claims_of, Harness, StoreUnderTest, T0};
use crate::{clock::Clock, session::SessionError, AuthErrorKind, TokenPair};

fn scope() -> serde_json::Value {
    json!({ "scope": "read write" })
}

const NO_GRACE: Duration = Duration::ZERO;
const GRACE: Duration = Duration::from_secs(30);

/// Runs every case of the suite, each against a fresh store from `make_store`, in a tokio runtime.
pub async fn run_store_conformance<F, Fut>(mut make_store: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreUnderTest>,
{
    login_refresh_chain_keeps_the_session(make_store().await).await;
    reuse_of_a_rotated_token_revokes_the_family_only(make_store().await).await;
    fifty_concurrent_refreshes_have_exactly_one_winner(make_store().await).await;
    grace_period_returns_the_same_successor_and_only_for_the_previous_token(make_store().await)
        .await;
    grace_period_ends(make_store().await).await;
    a_wrong_secret_for_a_real_id_changes_nothing(make_store().await).await;
    idle_and_absolute_lifetimes(make_store().await).await;
    logout_revokes_the_refresh_token_and_the_access_token(make_store().await).await;
    logout_all_ends_every_session_of_the_subject(make_store().await).await;
    revoking_a_refresh_token_ends_its_session(make_store().await).await;
    super::rotation_follows_the_refresh_decision(make_store().await).await;
    super::the_device_list_pages_through_live_sessions_only(make_store().await).await;
    super::sessions_are_listed_a_page_at_a_time_and_ended_by_their_owner(make_store().await).await;
}

async fn access_status(h: &Harness, pair: &TokenPair) -> StatusCode {
    h.status(pair.access_token()).await
}

/// Login, then refreshes: one session (`sid`, `auth_time`), new `jti`s, the scope carried over, and a session
/// that takes constant storage however often it is refreshed.
pub async fn login_refresh_chain_keeps_the_session(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let first = h.sessions.login("alice", &scope()).await.unwrap();
    assert!(first.refresh_token().starts_with("rt_"));
    assert!(
        first.refresh_token().len() >= 3 + 22 + 1 + 43,
        "128-bit id and 256-bit secret"
    );
    assert_eq!(first.expires_in(), 600);
    let body = serde_json::to_value(&first).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert!(
        !format!("{first:?}").contains(first.refresh_token()),
        "Debug must not print tokens"
    );
    let size_after_login = h.store_size().await;

    h.clock.advance(60);
    let second = h.sessions.refresh(first.refresh_token()).await.unwrap();
    h.clock.advance(60);
    let third = h.sessions.refresh(second.refresh_token()).await.unwrap();
    assert_eq!(access_status(&h, &third).await, StatusCode::OK);
    assert_eq!(
        h.store_size().await,
        size_after_login,
        "a session's storage does not grow with its rotations"
    );

    let (c1, c3) = (
        claims_of(first.access_token()),
        claims_of(third.access_token()),
    );
    assert_eq!(c1["sid"], c3["sid"], "same session");
    assert_eq!(c1["auth_time"], T0);
    assert_eq!(c3["auth_time"], T0, "auth_time is the session start");
    assert_ne!(c1["jti"], c3["jti"]);
    assert_eq!(
        c3["scope"], "read write",
        "the scope is carried over unchanged"
    );
    assert_eq!(c3["iat"], T0 + 120);
}

/// Presenting a rotated token again revokes its whole family (refresh and access tokens), and nothing else.
pub async fn reuse_of_a_rotated_token_revokes_the_family_only(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let alice = h.sessions.login("alice", &scope()).await.unwrap();
    let bob = h.sessions.login("bob", &scope()).await.unwrap();
    let alice2 = h.sessions.refresh(alice.refresh_token()).await.unwrap();

    assert!(matches!(
        h.sessions.refresh(alice.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    // The newest token of the family is refused too, and so are the family's access tokens.
    assert!(matches!(
        h.sessions.refresh(alice2.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    assert_eq!(access_status(&h, &alice2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(access_status(&h, &alice).await, StatusCode::UNAUTHORIZED);
    // Bob is untouched.
    assert_eq!(access_status(&h, &bob).await, StatusCode::OK);
    assert!(h.sessions.refresh(bob.refresh_token()).await.is_ok());
}

/// Of 50 concurrent refreshes with one token, exactly one rotates; the others are reuse.
pub async fn fifty_concurrent_refreshes_have_exactly_one_winner(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let pair = h.sessions.login("alice", &scope()).await.unwrap();
    let token = pair.refresh_token().to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let sessions = h.sessions.clone();
            let token = token.clone();
            tokio::spawn(async move { sessions.refresh(&token).await })
        })
        .collect();
    let mut wins = Vec::new();
    for task in tasks {
        if let Ok(pair) = task.await.unwrap() {
            wins.push(pair);
        }
    }
    assert_eq!(wins.len(), 1, "exactly one rotation wins");
    // With grace 0, the 49 losers were reuse: the family is revoked, the winner's token too.
    assert!(h.sessions.refresh(wins[0].refresh_token()).await.is_err());
}

/// Inside the grace period the previous token gets the identical successor (also to 50 concurrent retries);
/// a token two generations old is reuse even then.
pub async fn grace_period_returns_the_same_successor_and_only_for_the_previous_token(
    store: StoreUnderTest,
) {
    let h = Harness::new(store, GRACE);
    let r1 = h.sessions.login("alice", &scope()).await.unwrap();
    let r2 = h.sessions.refresh(r1.refresh_token()).await.unwrap();
    h.clock.advance(5);
    let retry = h.sessions.refresh(r1.refresh_token()).await.unwrap();
    assert_eq!(
        retry.refresh_token(),
        r2.refresh_token(),
        "a retry gets the identical successor, not a branch"
    );
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (sessions, token) = (h.sessions.clone(), r1.refresh_token().to_owned());
            tokio::spawn(async move {
                sessions
                    .refresh(&token)
                    .await
                    .map(|p| p.refresh_token().to_owned())
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), r2.refresh_token());
    }
    let r3 = h.sessions.refresh(r2.refresh_token()).await.unwrap();
    // R1 is now two generations old: reuse, even inside the grace window.
    assert!(h.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        h.sessions.refresh(r3.refresh_token()).await.is_err(),
        "the family was revoked"
    );
}

/// After the grace period, presenting the previous token is reuse.
pub async fn grace_period_ends(store: StoreUnderTest) {
    let h = Harness::new(store, GRACE);
    let r1 = h.sessions.login("alice", &scope()).await.unwrap();
    let r2 = h.sessions.refresh(r1.refresh_token()).await.unwrap();
    h.clock.advance(31);
    assert!(h.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        h.sessions.refresh(r2.refresh_token()).await.is_err(),
        "reuse after the window revokes the family"
    );
}

/// A real session id with a wrong secret is refused and changes nothing.
pub async fn a_wrong_secret_for_a_real_id_changes_nothing(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let pair = h.sessions.login("alice", &scope()).await.unwrap();
    let (id, secret) = pair.refresh_token().rsplit_once('.').unwrap();
    let forged_secret = "A".repeat(secret.len());
    assert_ne!(forged_secret, secret);
    let forged = format!("{id}.{forged_secret}");
    assert!(matches!(
        h.sessions.refresh(&forged).await,
        Err(SessionError::InvalidGrant)
    ));
    assert!(h.sessions.refresh("rt_garbage").await.is_err());
    assert!(
        h.sessions.refresh(pair.refresh_token()).await.is_ok(),
        "the real token still works"
    );
}

/// A refresh token idles out after `refresh_ttl` (1 h); refreshing keeps a session for at most `max_session`
/// (4 h), and no access token outlives it.
pub async fn idle_and_absolute_lifetimes(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let idle = h.sessions.login("alice", &scope()).await.unwrap();
    h.clock.advance(3600);
    assert!(h.sessions.refresh(idle.refresh_token()).await.is_err());

    let start = h.clock.now();
    let mut pair = h.sessions.login("alice", &scope()).await.unwrap();
    loop {
        h.clock.advance(50 * 60);
        match h.sessions.refresh(pair.refresh_token()).await {
            Ok(next) => {
                assert!(
                    next.access().expires_at() <= start + 4 * 3600,
                    "never past the session cap"
                );
                pair = next;
            }
            Err(_) => break,
        }
    }
    assert!(
        h.clock.now() >= start + 4 * 3600 - 50 * 60,
        "refreshes worked until near the cap"
    );
    assert!(h.clock.now() <= start + 4 * 3600 + 50 * 60);
}

/// Logout with the `TokenInfo` a handler sees revokes that session's refresh and access tokens, not the user's
/// other sessions.
pub async fn logout_revokes_the_refresh_token_and_the_access_token(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let pair = h.sessions.login("alice", &scope()).await.unwrap();
    let other = h.sessions.login("alice", &scope()).await.unwrap();
    let info = h.token_info(pair.access_token()).await.expect("accepted");
    h.sessions.logout(&info).await.unwrap();
    assert!(h.sessions.refresh(pair.refresh_token()).await.is_err());
    let response = h.send(pair.access_token()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(
        h.rejection(pair.access_token()).await.map(|e| e.kind()),
        Some(AuthErrorKind::Revoked)
    );
    assert_eq!(
        access_status(&h, &other).await,
        StatusCode::OK,
        "other sessions stay"
    );
}

/// Logout everywhere ends every session of the subject (refresh and access tokens), not other subjects';
/// logging in again afterwards works.
pub async fn logout_all_ends_every_session_of_the_subject(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let a = h.sessions.login("alice", &scope()).await.unwrap();
    let b = h.sessions.login("alice", &scope()).await.unwrap();
    let bob = h.sessions.login("bob", &scope()).await.unwrap();
    h.clock.advance(1);
    h.sessions.logout_all("alice").await.unwrap();
    for pair in [&a, &b] {
        assert_eq!(access_status(&h, pair).await, StatusCode::UNAUTHORIZED);
        assert!(h.sessions.refresh(pair.refresh_token()).await.is_err());
    }
    assert_eq!(access_status(&h, &bob).await, StatusCode::OK);
    h.clock.advance(1);
    let again = h.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(access_status(&h, &again).await, StatusCode::OK);
}

/// Revoking a refresh token (RFC 7009) ends its session, access tokens included; an unknown token revokes
/// nothing.
pub async fn revoking_a_refresh_token_ends_its_session(store: StoreUnderTest) {
    let h = Harness::new(store, NO_GRACE);
    let pair = h.sessions.login("alice", &scope()).await.unwrap();
    let other = h.sessions.login("alice", &scope()).await.unwrap();
    h.sessions.revoke("rt_not-a-token").await.unwrap();
    assert_eq!(
        access_status(&h, &pair).await,
        StatusCode::OK,
        "an unknown token revokes nothing"
    );
    h.sessions.revoke(pair.refresh_token()).await.unwrap();
    assert!(h.sessions.refresh(pair.refresh_token()).await.is_err());
    assert_eq!(
        access_status(&h, &pair).await,
        StatusCode::UNAUTHORIZED,
        "its access tokens too"
    );
    assert_eq!(
        access_status(&h, &other).await,
        StatusCode::OK,
        "other sessions stay"
    );
}
