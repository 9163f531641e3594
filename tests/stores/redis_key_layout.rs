//! The Redis store's keys: they expire with what they protect, prefixes isolate (and refuse glob or hash-tag
//! characters), markers and feed entries do not grow with refreshes and revocations, and an eviction policy
//! that can drop revocations is reported.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use crate::redis_fixtures::{app, refresh, sid_of};
use axum::body::Body;
use axum::Router;
use common::redis_server::{self, RedisServer};
use common::*;
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_jwt_auth::{session::RefreshEndpoint, RedisStore, SessionStore};

#[tokio::test]
async fn keys_expire_with_what_they_protect_and_prefixes_isolate() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (_, sessions, store) = app(&server.url(), "ttl").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    // Session ids are base64url-encoded in keys.
    let sid = common::b64(sid_of(pair.access_token()));
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("ttl:{{{sid}}}:s"))
        .query_async(&mut connection)
        .await
        .unwrap();
    let fourteen_days = 14 * 24 * 3600;
    assert!(
        (fourteen_days - 5..=fourteen_days).contains(&ttl),
        "session TTL {ttl} = the refresh token's idle expiry (under the absolute cap)"
    );
    store.revoke_token("some-jti", now() + 600).await.unwrap();
    let markers = redis_server::markers(&server.url(), "ttl").await;
    assert_eq!(markers.len(), 1, "{markers:?}");
    assert_eq!((markers[0].kind, markers[0].id.as_str()), ("j", "some-jti"));
    let ttl: i64 = redis::cmd("TTL")
        .arg("ttl:{ttl:feed}:j")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        (595..=600).contains(&ttl) && (now() + 595..=now() + 600).contains(&markers[0].until),
        "a revoked jti lives until the token's exp (TTL {ttl}, {markers:?})"
    );
    // Only hashes of refresh secrets are stored.
    let secret = pair.refresh_token().rsplit('.').next().unwrap().to_owned();
    let all: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .unwrap();
    for key in all {
        let dump: Vec<u8> = redis::cmd("DUMP")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&dump).contains(&secret),
            "{key} holds a plaintext secret"
        );
    }
    // Another prefix on the same Redis sees none of it.
    let (_, other, _) = app(&server.url(), "other-app").await;
    assert!(other.refresh(pair.refresh_token()).await.is_err());
    assert!(sessions.refresh(pair.refresh_token()).await.is_ok());
}

#[tokio::test]
async fn the_store_reports_an_eviction_policy_that_can_drop_revocations() {
    let Some(safe) = RedisServer::start(&[]) else {
        return;
    };
    let store = RedisStore::builder(safe.url()).build().await.unwrap();
    assert_eq!(store.eviction_policy(), Some("noeviction"));
    let Some(evicting) = RedisServer::start(&["--maxmemory-policy", "volatile-ttl"]) else {
        return;
    };
    let store = RedisStore::builder(evicting.url()).build().await.unwrap();
    assert_eq!(
        store.eviction_policy(),
        Some("volatile-ttl"),
        "read at start (and warned about through tracing)"
    );
    // An unreachable Redis still builds (lazily), with the policy unknown.
    let mut gone = safe;
    gone.stop();
    let store = RedisStore::builder(gone.url())
        .timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    assert_eq!(store.eviction_policy(), None);
}

/// The marker and feed-entry counts after 1 login, `n` refreshes and an RFC 7009 revocation of every access
/// token the session got, on a fresh Redis.
async fn storage_after_revoking_every_access_token(n: usize) -> (usize, u64) {
    let f = common::sessions::redis_fixture(Duration::ZERO)
        .await
        .unwrap();
    let router = Router::new()
        .route_service("/refresh", RefreshEndpoint::new(f.sessions.clone()))
        .route_service(
            "/revoke",
            tower_jwt_auth::session::RevokeEndpoint::new(f.sessions.clone())
                .with_access_tokens(f.layer.clone()),
        );
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let mut access = vec![pair.access_token().to_owned()];
    let mut refresh_token = pair.refresh_token().to_owned();
    for _ in 0..n {
        let (status, body) = refresh(&router, &refresh_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        access.push(body["access_token"].as_str().unwrap().to_owned());
        refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    for token in &access {
        let request = Request::post("/revoke")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap();
        let status = router.clone().oneshot(request).await.unwrap().status();
        assert_eq!(status, StatusCode::OK);
    }
    let url = f.server.as_ref().unwrap().url();
    (
        redis_server::markers(&url, "tja").await.len(),
        redis_server::feed_entries(&url, "tja").await,
    )
}

#[tokio::test]
async fn markers_and_feed_entries_do_not_grow_with_refreshes_and_revocations() {
    if RedisServer::start(&[]).is_none() {
        return;
    }
    let few = storage_after_revoking_every_access_token(5).await;
    let many = storage_after_revoking_every_access_token(50).await;
    eprintln!("(markers, feed entries): N=5 {few:?}, N=50 {many:?}");
    assert_eq!(few, many, "storage grows with N");
}

#[tokio::test]
async fn a_prefix_with_glob_or_hash_tag_characters_is_refused_at_build() {
    for prefix in ["app*", "app?", "app[12]", "a{b}", "", "my app", "1app"] {
        let error = RedisStore::builder("redis://127.0.0.1:1")
            .prefix(prefix)
            .build()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("invalid Redis key prefix") && error.contains("letters, digits"),
            "{prefix:?}: {error}"
        );
    }
}
