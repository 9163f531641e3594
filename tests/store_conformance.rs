//! The store conformance suite: refresh-token rotation, reuse detection, grace period, caps, logout
//! (RFC 6749 §6, RFC 9700 §4.14), through `Sessions` and the verifying layer, run against every store: the
//! memory store, and (feature `redis`) a real Redis server the tests start.

mod common;

use std::time::Duration;

#[cfg(feature = "redis")]
use common::sessions::redis_fixture;
use common::sessions::{fixture, Fixture, T0};
use common::*;
use http::StatusCode;
use tower_jwt_auth::{SessionError, TokenPair};

fn scope() -> serde_json::Value {
    serde_json::json!({ "scope": "read write" })
}

async fn access_status(f: &Fixture, pair: &TokenPair) -> StatusCode {
    send(&f.layer, bearer(pair.access_token())).await.status()
}

async fn login_refresh_chain_keeps_the_session(f: Fixture) {
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    assert!(first.refresh_token().starts_with("rt_"));
    assert!(
        first.refresh_token().len() >= 3 + 22 + 1 + 43,
        "128-bit id and 256-bit secret"
    );
    assert_eq!(first.expires_in(), 600);
    let json: serde_json::Value = serde_json::to_value(&first).unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 600);
    assert!(
        !format!("{first:?}").contains(first.refresh_token()),
        "Debug must not print tokens"
    );

    f.clock.advance(60);
    let second = f.sessions.refresh(first.refresh_token()).await.unwrap();
    f.clock.advance(60);
    let third = f.sessions.refresh(second.refresh_token()).await.unwrap();
    assert_eq!(access_status(&f, &third).await, StatusCode::OK);

    let claims = |pair: &TokenPair| -> serde_json::Value {
        let payload = pair.access_token().split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap()
    };
    let (c1, c3) = (claims(&first), claims(&third));
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

async fn reuse_of_a_rotated_token_revokes_the_family_only(f: Fixture) {
    let alice = f.sessions.login("alice", &scope()).await.unwrap();
    let bob = f.sessions.login("bob", &scope()).await.unwrap();
    let alice2 = f.sessions.refresh(alice.refresh_token()).await.unwrap();

    assert!(matches!(
        f.sessions.refresh(alice.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    // The newest token of the family is refused too, and so are the family's access tokens.
    assert!(matches!(
        f.sessions.refresh(alice2.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    assert_eq!(access_status(&f, &alice2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(access_status(&f, &alice).await, StatusCode::UNAUTHORIZED);
    // Bob is untouched.
    assert_eq!(access_status(&f, &bob).await, StatusCode::OK);
    assert!(f.sessions.refresh(bob.refresh_token()).await.is_ok());
}

async fn fifty_concurrent_refreshes_have_exactly_one_winner(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let token = pair.refresh_token().to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let sessions = f.sessions.clone();
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
    assert!(f.sessions.refresh(wins[0].refresh_token()).await.is_err());
}

async fn grace_period_returns_the_same_successor_and_only_for_the_previous_token(f: Fixture) {
    let r1 = f.sessions.login("alice", &scope()).await.unwrap();
    let r2 = f.sessions.refresh(r1.refresh_token()).await.unwrap();
    f.clock.advance(5);
    let retry = f.sessions.refresh(r1.refresh_token()).await.unwrap();
    assert_eq!(
        retry.refresh_token(),
        r2.refresh_token(),
        "a retry gets the identical successor, not a branch"
    );
    // 50 concurrent retries all get the same successor.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (sessions, token) = (f.sessions.clone(), r1.refresh_token().to_owned());
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
    let r3 = f.sessions.refresh(r2.refresh_token()).await.unwrap();
    // R1 is now two generations old: reuse, even inside the grace window.
    assert!(f.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        f.sessions.refresh(r3.refresh_token()).await.is_err(),
        "the family was revoked"
    );
}

async fn grace_period_ends(f: Fixture) {
    let r1 = f.sessions.login("alice", &scope()).await.unwrap();
    let r2 = f.sessions.refresh(r1.refresh_token()).await.unwrap();
    f.clock.advance(31);
    assert!(f.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        f.sessions.refresh(r2.refresh_token()).await.is_err(),
        "reuse after the window revokes the family"
    );
}

async fn a_wrong_secret_for_a_real_id_changes_nothing(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    // The real id with another well-formed 256-bit secret: the store is asked, and must refuse without
    // marking the real token used.
    let (id, secret) = pair.refresh_token().rsplit_once('.').unwrap();
    let forged_secret = "A".repeat(secret.len());
    assert_ne!(forged_secret, secret);
    let forged = format!("{id}.{forged_secret}");
    assert!(matches!(
        f.sessions.refresh(&forged).await,
        Err(SessionError::InvalidGrant)
    ));
    assert!(f.sessions.refresh("rt_garbage").await.is_err());
    assert!(
        f.sessions.refresh(pair.refresh_token()).await.is_ok(),
        "the real token still works"
    );
}

async fn idle_and_absolute_lifetimes(f: Fixture) {
    // Idle: a refresh token unused for longer than refresh_ttl (1 h) expires.
    let idle = f.sessions.login("alice", &scope()).await.unwrap();
    f.clock.advance(3600);
    assert!(f.sessions.refresh(idle.refresh_token()).await.is_err());

    // Absolute: refreshing every 50 minutes keeps a session for at most max_session (4 h).
    let start = f.clock.now_secs();
    let mut pair = f.sessions.login("alice", &scope()).await.unwrap();
    loop {
        f.clock.advance(50 * 60);
        match f.sessions.refresh(pair.refresh_token()).await {
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
        f.clock.now_secs() >= start + 4 * 3600 - 50 * 60,
        "refreshes worked until near the cap"
    );
    assert!(f.clock.now_secs() <= start + 4 * 3600 + 50 * 60);
}

async fn logout_revokes_the_refresh_token_and_the_access_token(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let other = f.sessions.login("alice", &scope()).await.unwrap();
    let response = send(&f.layer, bearer(pair.access_token())).await;
    assert_eq!(response.status(), StatusCode::OK);
    let request = bearer(pair.access_token());
    let info = {
        // What a handler sees: the TokenInfo the layer inserted.
        let service = tower::service_fn(|r: http::Request<String>| async move {
            Ok::<_, std::convert::Infallible>(http::Response::new(
                r.extensions().get::<tower_jwt_auth::TokenInfo>().cloned(),
            ))
        });
        tower::ServiceExt::oneshot(tower::Layer::layer(&f.layer, service), request)
            .await
            .unwrap()
            .into_body()
    };
    f.sessions.logout(&info.unwrap()).await.unwrap();
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
    let response = send(&f.layer, bearer(pair.access_token())).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(
        rejection_kind(&response).unwrap(),
        tower_jwt_auth::AuthErrorKind::Revoked
    );
    // The user's other session is untouched.
    assert_eq!(access_status(&f, &other).await, StatusCode::OK);
}

async fn logout_all_ends_every_session_of_the_subject(f: Fixture) {
    let a = f.sessions.login("alice", &scope()).await.unwrap();
    let b = f.sessions.login("alice", &scope()).await.unwrap();
    let bob = f.sessions.login("bob", &scope()).await.unwrap();
    f.clock.advance(1);
    f.sessions.logout_all("alice").await.unwrap();
    for pair in [&a, &b] {
        assert_eq!(access_status(&f, pair).await, StatusCode::UNAUTHORIZED);
        assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
    }
    assert_eq!(access_status(&f, &bob).await, StatusCode::OK);
    // Logging in again afterwards works.
    f.clock.advance(1);
    let again = f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(access_status(&f, &again).await, StatusCode::OK);
}

#[tokio::test]
async fn the_memory_store_is_bounded_and_cleans_up() {
    let clock = tower_jwt_auth::ManualClock::new(T0);
    let store = tower_jwt_auth::MemoryStore::new().with_clock(clock.clone());
    let f = common::sessions::fixture_with(
        std::sync::Arc::new(store.clone()),
        clock.clone(),
        Duration::ZERO,
    );
    for _ in 0..20 {
        f.sessions.login("alice", &scope()).await.unwrap();
    }
    assert_eq!(store.len(), 20, "one entry per session");
    let small = tower_jwt_auth::MemoryStore::with_capacity(10).with_clock(clock.clone());
    let issuer = tower_jwt_auth::TokenIssuer::builder(
        tower_jwt_auth::SigningKey::hmac(jsonwebtoken::Algorithm::HS256, SECRET).unwrap(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .clock(clock.clone())
    .build()
    .unwrap();
    let sessions = tower_jwt_auth::Sessions::builder(issuer, small.clone())
        .max_session(Duration::from_secs(100))
        .clock(clock.clone())
        .build()
        .unwrap();
    let mut refused = 0;
    for _ in 0..20 {
        if matches!(
            sessions.login("alice", &scope()).await,
            Err(SessionError::Unavailable(_))
        ) {
            refused += 1;
        }
    }
    assert!(
        refused > 0 && small.len() <= 10,
        "full store refuses writes instead of growing"
    );
    clock.advance(101);
    assert!(
        sessions.login("alice", &scope()).await.is_ok(),
        "expired sessions are swept to make room"
    );
    assert!(small.len() <= 2);
}

trait NowSecs {
    fn now_secs(&self) -> i64;
}
impl NowSecs for tower_jwt_auth::ManualClock {
    fn now_secs(&self) -> i64 {
        tower_jwt_auth::Clock::now(self)
    }
}

async fn revoking_a_refresh_token_ends_its_session(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let other = f.sessions.login("alice", &scope()).await.unwrap();
    f.sessions.revoke("rt_not-a-token").await.unwrap();
    assert_eq!(
        access_status(&f, &pair).await,
        StatusCode::OK,
        "an unknown token revokes nothing"
    );
    f.sessions.revoke(pair.refresh_token()).await.unwrap();
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
    assert_eq!(
        access_status(&f, &pair).await,
        StatusCode::UNAUTHORIZED,
        "its access tokens too"
    );
    assert_eq!(
        access_status(&f, &other).await,
        StatusCode::OK,
        "other sessions stay"
    );
}

/// Runs every case against the memory store, and against Redis with the `redis` feature.
macro_rules! conformance_suite {
    ($($case:ident: $grace:expr),* $(,)?) => {
        mod memory_store {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(fixture($grace)).await
                }
            )*
        }

        #[cfg(feature = "redis")]
        mod redis_store {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    if let Some(f) = redis_fixture($grace).await {
                        super::$case(f).await
                    }
                }
            )*
        }
    };
}

conformance_suite! {
    login_refresh_chain_keeps_the_session: Duration::ZERO,
    reuse_of_a_rotated_token_revokes_the_family_only: Duration::ZERO,
    fifty_concurrent_refreshes_have_exactly_one_winner: Duration::ZERO,
    grace_period_returns_the_same_successor_and_only_for_the_previous_token: Duration::from_secs(30),
    grace_period_ends: Duration::from_secs(30),
    a_wrong_secret_for_a_real_id_changes_nothing: Duration::ZERO,
    idle_and_absolute_lifetimes: Duration::ZERO,
    logout_revokes_the_refresh_token_and_the_access_token: Duration::ZERO,
    logout_all_ends_every_session_of_the_subject: Duration::ZERO,
    revoking_a_refresh_token_ends_its_session: Duration::ZERO,
}
