//! Redis down or stalled: failures are 503s and heal by themselves, with no restart.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use crate::redis_fixtures::{app, me, refresh, sid_of, FEED_LAG};
use axum::Router;
use common::redis_server::RedisServer;
use common::*;
use http::StatusCode;
use tower_jwt_auth::SessionStore;

/// Polls `/me` with `token` until it answers `wanted` (true) or `deadline` passes (false), asserting on the way
/// that `revoked` is never accepted.
async fn until_status(
    router: &Router,
    token: &str,
    revoked: &str,
    wanted: StatusCode,
    deadline: Duration,
) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < deadline {
        assert_ne!(
            me(router, revoked).await,
            StatusCode::OK,
            "a revoked token was accepted"
        );
        if me(router, token).await == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn redis_down_means_503_and_recovery_needs_no_restart() {
    let Some(mut server) = RedisServer::start(&[]) else {
        return;
    };
    let (router, sessions, _) = app(&server.url(), "fault").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let revoked = sessions.login("bob", &serde_json::json!({})).await.unwrap();
    assert_eq!(me(&router, pair.access_token()).await, StatusCode::OK);
    sessions
        .store()
        .revoke_session(&sid_of(revoked.access_token()), now() + 3600)
        .await
        .unwrap();
    assert_eq!(
        me(&router, revoked.access_token()).await,
        StatusCode::UNAUTHORIZED
    );

    server.stop();
    // Rotations need Redis: 503 at once. Revocation checks read the local mirror, which keeps refusing the
    // revoked token, and fails closed once the feed has been silent for the bound.
    assert_eq!(
        refresh(&router, pair.refresh_token()).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(
        until_status(
            &router,
            pair.access_token(),
            revoked.access_token(),
            StatusCode::SERVICE_UNAVAILABLE,
            FEED_LAG + Duration::from_secs(3),
        )
        .await,
        "checks fail closed once the feed is silent for longer than the bound"
    );
    for _ in 0..5 {
        // Never a 200 (least of all for the revoked token), never another 5xx, never a panic.
        assert_eq!(
            me(&router, pair.access_token()).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            me(&router, revoked.access_token()).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            refresh(&router, pair.refresh_token()).await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    assert!(matches!(
        sessions.login("carol", &serde_json::json!({})).await,
        Err(tower_jwt_auth::session::SessionError::Unavailable(_))
    ));

    // The server comes back empty (no persistence here): the app reconnects by itself.
    server.restart();
    let mut recovered = false;
    for _ in 0..50 {
        if me(&router, pair.access_token()).await == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "requests succeed again once Redis is back");
    assert!(sessions
        .login("carol", &serde_json::json!({}))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_stalled_redis_times_out_into_503() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (router, sessions, _) = app(&server.url(), "slow").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let pid = redis_pid(&server).await;
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
    };
    let revoked = sessions.login("bob", &serde_json::json!({})).await.unwrap();
    sessions
        .store()
        .revoke_session(&sid_of(revoked.access_token()), now() + 3600)
        .await
        .unwrap();
    signal("-STOP");
    // A rotation times out into 503 instead of hanging.
    let started = std::time::Instant::now();
    let (status, _) = refresh(&router, pair.refresh_token()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the call timed out instead of hanging"
    );
    // Revocation checks never wait for Redis; they fail closed once the feed is stalled beyond the bound.
    let failed_closed = until_status(
        &router,
        pair.access_token(),
        revoked.access_token(),
        StatusCode::SERVICE_UNAVAILABLE,
        FEED_LAG + Duration::from_secs(3),
    )
    .await;
    signal("-CONT");
    assert!(failed_closed, "a stalled feed fails closed");
    assert!(
        until_status(
            &router,
            pair.access_token(),
            revoked.access_token(),
            StatusCode::OK,
            Duration::from_secs(5),
        )
        .await,
        "and recovers when Redis resumes"
    );
}

async fn redis_pid(server: &RedisServer) -> u32 {
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut connection)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn nothing_listening_builds_unless_fail_if_unreachable() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let timeout = Duration::from_millis(200);
    let builder = || tower_jwt_auth::RedisStore::builder(url.clone()).timeout(timeout);
    assert!(builder().build().await.is_ok(), "lazy by default");
    let error = builder()
        .fail_if_unreachable()
        .build()
        .await
        .unwrap_err()
        .to_string();
    for part in ["did not answer", "fail_if_unreachable", "start it"] {
        assert!(error.contains(part), "{part} in {error}");
    }
    assert!(!error.contains(&port.to_string()), "no URL: {error}");
    // A Redis that answers builds with the option.
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    tower_jwt_auth::RedisStore::builder(server.url())
        .fail_if_unreachable()
        .build()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_evicting_redis_builds_unless_require_noeviction() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let set_policy = |policy: &'static str| {
        let url = server.url();
        async move {
            let mut connection = redis::Client::open(url)
                .unwrap()
                .get_multiplexed_async_connection()
                .await
                .unwrap();
            let () = redis::cmd("CONFIG")
                .arg("SET")
                .arg("maxmemory-policy")
                .arg(policy)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    };
    let builder = || tower_jwt_auth::RedisStore::builder(server.url());
    set_policy("allkeys-lru").await;
    assert!(builder().build().await.is_ok(), "only a warning by default");
    let error = builder()
        .require_noeviction()
        .build()
        .await
        .unwrap_err()
        .to_string();
    for part in [
        "allkeys-lru",
        "require_noeviction",
        "CONFIG SET maxmemory-policy noeviction",
    ] {
        assert!(error.contains(part), "{part} in {error}");
    }
    set_policy("noeviction").await;
    builder().require_noeviction().build().await.unwrap();
}
