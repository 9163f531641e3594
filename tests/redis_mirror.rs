//! The Redis store's local revocation mirror, against a real redis-server: revocation checks make no round
//! trip at steady state, a logout on one instance is refused by another within 100 ms, a revocation made while an
//! instance's feed is cut is enforced once it reconnects, checks fail closed until the mirror has hydrated, and
//! the mirror holds only live revocations.
#![cfg(feature = "redis")]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::redis_server::RedisServer;
use http::StatusCode;
use tower_jwt_auth::testing::{Harness, StoreUnderTest};
use tower_jwt_auth::{RedisStore, RevocationCheck, SessionStore};

async fn store(server: &RedisServer) -> RedisStore {
    RedisStore::builder(server.url())
        .prefix("mirror")
        .max_feed_lag(Duration::from_secs(2))
        .build()
        .await
        .unwrap()
}

/// An application instance: sessions over its own connection to the shared Redis, and a layer wired to them.
async fn instance(server: &RedisServer) -> (Harness, RedisStore) {
    let store = store(server).await;
    let harness = Harness::new(StoreUnderTest::new(Arc::new(store.clone())), Duration::ZERO);
    (harness, store)
}

async fn connection(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Calls per command since the server started (`INFO commandstats`).
async fn command_counts(server: &RedisServer) -> std::collections::BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut connection(server).await)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// Waits until `check` holds, polling every millisecond; the time it took, or `None` after `deadline`.
async fn within<F, Fut>(deadline: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < deadline {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

#[tokio::test]
async fn the_request_path_makes_no_redis_call_at_steady_state() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, _) = instance(&server).await;
    let pair = a.sessions.login("alice", &()).await.unwrap();
    let revoked = a.sessions.login("bob", &()).await.unwrap();
    let info = a.token_info(revoked.access_token()).await.unwrap();
    a.sessions.logout(&info).await.unwrap();
    let before = command_counts(&server).await;
    for _ in 0..500 {
        assert_eq!(a.status(pair.access_token()).await, StatusCode::OK);
        assert_eq!(
            a.status(revoked.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let after = command_counts(&server).await;
    // Only the feed's blocking reads (and our own INFO) ran meanwhile.
    let calls: Vec<_> = after
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "xread" | "info"))
        .filter(|(name, calls)| before.get(*name) != Some(calls))
        .collect();
    assert!(calls.is_empty(), "1000 checks made Redis calls: {calls:?}");
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_by_another_within_100_ms() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, _) = instance(&server).await;
    let (b, _) = instance(&server).await;
    let delays = common::sessions::logouts_propagate(&a, &b, 100).await;
    let (p50, p99) = (delays[49], delays[98]);
    eprintln!(
        "propagation over 100 logouts (from the start of the logout call): p50 {p50:?}, p99 {p99:?}, max {:?}",
        delays[99]
    );
    assert!(p99 <= Duration::from_millis(100), "p99 {p99:?}");
}

#[tokio::test]
async fn a_revocation_made_while_the_feed_is_cut_is_enforced_after_it_reconnects() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, _) = instance(&server).await;
    let (b, _) = instance(&server).await;
    let pair = b.sessions.login("alice", &()).await.unwrap();
    assert_eq!(a.status(pair.access_token()).await, StatusCode::OK);
    // Cut every feed connection (the blocking XREADs), then revoke while they are down.
    let mut admin = connection(&server).await;
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut admin)
        .await
        .unwrap();
    let feeds: Vec<&str> = clients
        .lines()
        .filter(|line| line.contains("cmd=xread"))
        .filter_map(|line| line.split(' ').find_map(|f| f.strip_prefix("id=")))
        .collect();
    assert!(
        feeds.len() >= 2,
        "both instances follow the feed: {clients}"
    );
    for id in &feeds {
        let _: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut admin)
            .await
            .unwrap();
    }
    let info = b.token_info(pair.access_token()).await.unwrap();
    b.sessions.logout(&info).await.unwrap();
    let delay = within(Duration::from_secs(3), || async {
        a.status(pair.access_token()).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(delay.is_some(), "the mirror catches up after reconnecting");
}

#[tokio::test]
async fn a_new_instance_hydrates_from_the_markers_and_holds_only_live_ones() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, store_a) = instance(&server).await;
    let pair = a.sessions.login("alice", &()).await.unwrap();
    let info = a.token_info(pair.access_token()).await.unwrap();
    a.sessions.logout(&info).await.unwrap();
    a.sessions.logout_all("bob").await.unwrap();
    // Revocations that lapse in a second (their tokens have expired): Redis drops them, and so must a mirror.
    let soon = common::now() + 1;
    for i in 0..50 {
        store_a
            .revoke_token(&format!("short-{i}"), soon)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Without the stream, a new instance must find every live revocation from the markers themselves.
    let _: i64 = redis::cmd("DEL")
        .arg("mirror:feed")
        .query_async(&mut connection(&server).await)
        .await
        .unwrap();
    let (c, store_c) = instance(&server).await;
    assert_eq!(
        c.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    let bob = c.sessions.login("bob", &()).await.unwrap();
    assert_eq!(
        c.status(bob.access_token()).await,
        StatusCode::OK,
        "logged in after"
    );
    // The session of the logout (whose marker covers the token's jti) and bob's not-before: the lapsed ones
    // are gone.
    assert_eq!(store_c.mirrored_revocations(), 2);
}

#[tokio::test]
async fn checks_fail_closed_until_the_mirror_has_hydrated_and_recover_alone() {
    let Some(mut server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, _) = instance(&server).await;
    let pair = a.sessions.login("alice", &()).await.unwrap();
    let info = a.token_info(pair.access_token()).await.unwrap();
    // An instance that starts while Redis is down admits nothing it could not check.
    server.stop();
    let cold = RedisStore::builder(server.url())
        .prefix("mirror")
        .timeout(Duration::from_millis(100))
        .build()
        .await
        .unwrap();
    assert!(
        cold.is_revoked(&info).resolve().await.is_err(),
        "503 before hydration"
    );
    // Redis comes back (empty: no persistence here); the mirror hydrates without a restart of the app.
    server.restart();
    let healed = within(Duration::from_secs(5), || async {
        cold.is_revoked(&info).resolve().await.is_ok()
    })
    .await;
    assert!(
        healed.is_some(),
        "the mirror hydrates once Redis is reachable"
    );
}
