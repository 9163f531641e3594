//! The Redis store against a real redis-server: failures are 503s and heal by themselves, data survives a
//! restart with append-only persistence, keys expire with what they protect, prefixes isolate, and two server
//! processes share sessions.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use common::demo;
use common::redis_server::{self, RedisServer};
use common::*;
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_jwt_auth::{
    session::RefreshEndpoint, Algorithm, JwtAuthLayer, RedisStore, SessionStore, Sessions,
    SigningKey, TokenIssuer, VerificationKey,
};

/// How long the revocation feed may be silent in these tests before checks fail closed.
const FEED_LAG: Duration = Duration::from_secs(2);

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

/// The layer, a `/me` route and the refresh endpoint over one Redis store, with the system clock.
async fn app(url: &str, prefix: &str) -> (Router, Sessions, RedisStore) {
    let store = RedisStore::builder(url)
        .prefix(prefix)
        .timeout(Duration::from_millis(300))
        .max_feed_lag(FEED_LAG)
        .build()
        .await
        .unwrap();
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    // A shared store: every instance (and every restart) uses the same successor key.
    let sessions = Sessions::builder(issuer, store.clone())
        .successor_key([8; 32])
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let router = Router::new()
        .route("/me", axum::routing::get(|| async { "me" }).layer(layer))
        .route_service("/refresh", RefreshEndpoint::new(sessions.clone()));
    (router, sessions, store)
}

async fn me(router: &Router, token: &str) -> StatusCode {
    let request = Request::get("/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    router.clone().oneshot(request).await.unwrap().status()
}

async fn refresh(router: &Router, token: &str) -> (StatusCode, serde_json::Value) {
    let body = serde_json::json!({ "refresh_token": token }).to_string();
    let request = Request::post("/refresh")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
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

#[tokio::test]
async fn append_only_persistence_keeps_sessions_across_a_restart() {
    let Some(mut server) = RedisServer::start(&["--appendonly", "yes", "--appendfsync", "always"])
    else {
        return;
    };
    let (router, sessions, _) = app(&server.url(), "durable").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let (status, rotated) = refresh(&router, pair.refresh_token()).await;
    assert_eq!(status, StatusCode::OK);
    server.restart(); // SIGKILL, then start on the same append-only file
    let mut body = serde_json::Value::Null;
    for _ in 0..50 {
        let (status, json) = refresh(&router, rotated["refresh_token"].as_str().unwrap()).await;
        if status == StatusCode::OK {
            body = json;
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        body["refresh_token"].is_string(),
        "a refresh token issued before the restart still rotates"
    );
    // ... and reuse detection survived too.
    assert_eq!(
        refresh(&router, pair.refresh_token()).await.0,
        StatusCode::BAD_REQUEST
    );
}

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
async fn two_demo_processes_share_sessions_through_redis() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    demo::two_demos_share_sessions(&[("REDIS_URL", server.url())]).await;
}

fn sid_of(access_token: &str) -> String {
    payload(access_token)["sid"].as_str().unwrap().to_owned()
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

/// The ids the feed of the store with `prefix` holds (`i` of each entry), oldest first.
async fn feed_ids(server: &RedisServer, prefix: &str) -> Vec<String> {
    let mut connection = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let entries: Vec<(String, std::collections::HashMap<String, String>)> = redis::cmd("XRANGE")
        .arg(format!("{prefix}:feed"))
        .arg("-")
        .arg("+")
        .query_async(&mut connection)
        .await
        .unwrap();
    entries
        .into_iter()
        .filter_map(|(_, mut fields)| fields.remove("i"))
        .collect()
}

#[tokio::test]
async fn an_instance_eleven_minutes_ahead_of_redis_still_announces_its_revocations() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    // B runs on the system clock (Redis's); A's clock is 11 minutes ahead.
    let (router_b, sessions_b, _) = app(&server.url(), "skew").await;
    let ahead = tower_jwt_auth::clock::ManualClock::new(now() + 11 * 60);
    let recorder = common::trace_recorder::Recorder::default();
    let store_a = {
        let _recording = tracing::subscriber::set_default(recorder.clone());
        RedisStore::builder(server.url())
            .prefix("skew")
            .clock(ahead.clone())
            .build()
            .await
            .unwrap()
    };
    let skew = store_a.clock_skew().unwrap();
    assert!((655..=665).contains(&skew), "measured at build: {skew}");
    let events = recorder.events.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e.contains(&format!("skew_seconds={skew}")) && e.contains("Redis's TIME")),
        "and warned about: {events:?}"
    );
    let issuer_a = common::sessions::test_issuer(&ahead, Duration::from_secs(3600));
    let sessions_a = Sessions::builder(issuer_a, store_a)
        .successor_key([8; 32])
        .build()
        .unwrap();
    let alice = sessions_b
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let bob = sessions_b
        .login("bob", &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(me(&router_b, alice.access_token()).await, StatusCode::OK);
    assert_eq!(me(&router_b, bob.access_token()).await, StatusCode::OK);
    // On A: alice's refresh token is revoked (RFC 7009), bob logs out everywhere.
    assert!(sessions_a.revoke(alice.refresh_token()).await.unwrap());
    sessions_a.logout_all("bob").await.unwrap();
    // The announcements are on the feed (not trimmed by A's clock) ...
    let ids = feed_ids(&server, "skew").await;
    assert!(
        ids.contains(&sid_of(alice.access_token())) && ids.contains(&ISSUER.to_owned()),
        "both announcements stay on the feed: {ids:?}"
    );
    // ... and B's mirror refuses both tokens.
    let started = std::time::Instant::now();
    while me(&router_b, alice.access_token()).await != StatusCode::UNAUTHORIZED
        || me(&router_b, bob.access_token()).await != StatusCode::UNAUTHORIZED
    {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still accepts tokens revoked on A"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_revocation_that_changes_nothing_writes_and_announces_nothing() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (_, sessions, store) = app(&server.url(), "noop").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let sid = sid_of(pair.access_token());
    let until = now() + 3600;
    let revoke_all = |until: i64| {
        let (store, sid) = (store.clone(), sid.clone());
        async move {
            store.revoke_session(&sid, until).await.unwrap();
            store.revoke_token("jti-1", until).await.unwrap();
            store
                .revoke_subject(ISSUER, "bob", until - 3600, until)
                .await
                .unwrap();
        }
    };
    revoke_all(until).await;
    assert!(sessions.revoke(pair.refresh_token()).await.is_ok());
    // The refresh token's session was revoked already, as long: announced once per kind, not again.
    let entries = redis_server::feed_entries(&server.url(), "noop").await;
    assert_eq!(
        entries, 3,
        "one announcement per revocation that changed something"
    );
    let markers = redis_server::markers(&server.url(), "noop").await;
    assert_eq!(markers.len(), 3, "{markers:?}");
    // Again, with the same or an earlier until, and the refresh token of the revoked session.
    let before = redis_server::command_counts(&server).await;
    revoke_all(until).await;
    revoke_all(until - 60).await;
    sessions.revoke(pair.refresh_token()).await.unwrap();
    let after = redis_server::command_counts(&server).await;
    let writes: Vec<_> = redis_server::calls_between(&before, &after)
        .into_iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "set" | "zadd" | "hset" | "xadd" | "expireat" | "zrem" | "hdel" | "xtrim"
            )
        })
        .collect();
    assert!(
        writes.is_empty(),
        "revocations that change nothing wrote {writes:?}"
    );
    assert_eq!(redis_server::markers(&server.url(), "noop").await, markers);
    assert_eq!(redis_server::feed_entries(&server.url(), "noop").await, 3);
    // A later until lengthens each marker once, and says so once.
    revoke_all(until + 60).await;
    assert_eq!(redis_server::feed_entries(&server.url(), "noop").await, 6);
    let lengthened = redis_server::markers(&server.url(), "noop").await;
    assert!(
        lengthened.iter().all(|m| m.until == until + 60),
        "{lengthened:?}"
    );
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
