//! Step-up on the issuer side, on every store: logins record `acr`/`amr`/`auth_time`, refresh keeps them and
//! never moves `auth_time`; a re-authentication raises `acr`/`amr` and resets `auth_time` on the session, the
//! next refresh reflects it, and neither refresh nor sliding then outlives the session's original end.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tower_jwt_auth::session::{LoginOptions, SessionError};
use tower_jwt_auth::testing::{claims_of, Harness, StoreUnderTest, T0};

use crate::common::redis_cluster::RedisCluster;
use crate::common::sessions::*;
use crate::fixtures::verified_info;

const MINUTE: i64 = 60;
/// The harness's absolute session lifetime (4 h).
const SESSION_END: i64 = T0 + 240 * MINUTE;

async fn step_up_keeps_the_session_end(store: StoreUnderTest) {
    let h = Harness::new(store, Duration::ZERO);
    let claims = json!({ "scope": "read" });
    let password = LoginOptions::new().acr("urn:x:pwd").amr(["pwd"]);
    let pair = h
        .sessions
        .login_with_options("alice", &claims, password)
        .await
        .unwrap();
    let first = claims_of(pair.access_token());
    assert_eq!(
        (first["acr"].clone(), first["amr"].clone()),
        (json!("urn:x:pwd"), json!(["pwd"]))
    );
    assert_eq!(first["auth_time"], T0);
    assert!(first.get("session_exp").is_none(), "no step-up yet");

    h.clock.advance(50 * MINUTE);
    let pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
    let refreshed = claims_of(pair.access_token());
    assert_eq!(
        (refreshed["acr"].clone(), refreshed["auth_time"].clone()),
        (json!("urn:x:pwd"), json!(T0))
    );

    // The user authenticates again, with a second factor, on this session.
    h.clock.advance(50 * MINUTE);
    let stepped_at = T0 + 100 * MINUTE;
    let pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
    assert_eq!(
        claims_of(pair.access_token())["auth_time"],
        T0,
        "refresh never moves auth_time"
    );
    let info = verified_info(&h, pair.access_token(), None).await;
    assert_eq!(
        (info.acr(), info.amr(), info.auth_time()),
        (Some("urn:x:pwd"), &["pwd".to_owned()][..], Some(T0))
    );
    let mfa = LoginOptions::new().acr("urn:x:mfa").amr(["pwd", "otp"]);
    h.sessions
        .reauthenticate(&info, &claims, mfa)
        .await
        .unwrap();
    let mut pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
    let stepped = claims_of(pair.access_token());
    assert_eq!(stepped["acr"], "urn:x:mfa");
    assert_eq!(stepped["amr"], json!(["pwd", "otp"]));
    assert_eq!(stepped["auth_time"], stepped_at);
    assert_eq!(stepped["session_exp"], SESSION_END);
    assert_eq!(stepped["scope"], "read");

    // Refreshes keep the new authentication, and stop at the original end, not stepped_at + 4 h.
    for now in [150, 200, 226] {
        h.clock.set(T0 + now * MINUTE);
        pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
        let claims = claims_of(pair.access_token());
        assert_eq!(
            (claims["acr"].clone(), claims["auth_time"].clone()),
            (json!("urn:x:mfa"), json!(stepped_at))
        );
        assert!(claims["exp"].as_i64().unwrap() <= SESSION_END);
    }
    // Sliding renews the last token (expiring at T0 + 236 min) only up to the original end.
    h.clock.set(T0 + 232 * MINUTE);
    let (status, renewed) = h.act(pair.access_token()).await;
    assert!(status.is_success());
    let renewed = claims_of(&renewed.expect("past half its lifetime, the token slides"));
    assert_eq!(
        renewed["exp"], SESSION_END,
        "capped at the session end, not auth_time + max_session"
    );
    assert_eq!(
        (renewed["acr"].clone(), renewed["auth_time"].clone()),
        (json!("urn:x:mfa"), json!(stepped_at))
    );
    h.clock.set(SESSION_END);
    assert!(matches!(
        h.sessions.refresh(pair.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
}

async fn step_up_needs_a_live_session_of_these_sessions(store: StoreUnderTest) {
    let h = Harness::new(store, Duration::ZERO);
    let pair = h.sessions.login("alice", &json!({})).await.unwrap();
    let info = verified_info(&h, pair.access_token(), None).await;
    let mfa = || LoginOptions::new().acr("urn:x:mfa");
    // A token no layer of these sessions verified, or one without a session.
    let foreign = tower_jwt_auth::testing::token_info(&claims_of(pair.access_token()));
    let refused = h.sessions.reauthenticate(&foreign, &json!({}), mfa()).await;
    assert!(
        matches!(refused, Err(SessionError::NotVerifiedBySessions)),
        "{refused:?}"
    );
    // The application's claims may not name acr themselves when the options do.
    let clash = h
        .sessions
        .reauthenticate(&info, &json!({ "acr": "x" }), mfa())
        .await;
    assert!(matches!(clash, Err(SessionError::Issue(_))), "{clash:?}");
    h.sessions.logout(&info).await.unwrap();
    let ended = h.sessions.reauthenticate(&info, &json!({}), mfa()).await;
    assert!(
        matches!(ended, Err(SessionError::InvalidGrant)),
        "{ended:?}"
    );
}

async fn every_case(
    store: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = StoreUnderTest>>>,
) {
    step_up_keeps_the_session_end(store().await).await;
    step_up_needs_a_live_session_of_these_sessions(store().await).await;
}

#[tokio::test]
async fn step_up_on_the_memory_store() {
    every_case(|| Box::pin(async { memory_store_under_test() })).await;
}

#[tokio::test]
async fn step_up_on_redis() {
    if redis_store_under_test().await.is_none() {
        return; // said loudly by the server helper (and a failure under CI)
    }
    every_case(|| Box::pin(async { redis_store_under_test().await.unwrap() })).await;
}

#[tokio::test]
async fn step_up_on_a_redis_cluster() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let cluster = Arc::new(cluster);
    every_case(|| {
        let cluster = Arc::clone(&cluster);
        Box::pin(async move { cluster_store_under_test(cluster).await })
    })
    .await;
}

#[tokio::test]
async fn step_up_on_sqlite() {
    every_case(|| Box::pin(sqlite_memory_store_under_test())).await;
}

#[tokio::test]
async fn step_up_on_postgres() {
    if postgres_store_under_test().await.is_none() {
        return;
    }
    every_case(|| Box::pin(async { postgres_store_under_test().await.unwrap() })).await;
}
