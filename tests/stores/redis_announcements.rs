//! Revocations announced on the Redis feed: an instance whose clock is ahead of Redis still announces them, and
//! a revocation that changes nothing writes and announces nothing.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use crate::redis_fixtures::{app, me, sid_of};
use common::redis_server::{self, RedisServer};
use common::*;
use http::StatusCode;
use tower_jwt_auth::{RedisStore, SessionStore, Sessions};

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
