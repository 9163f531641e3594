//! The Redis store's local revocation mirror, against a real redis-server: revocation checks make no round
//! trip at steady state, a logout on one instance is refused by another within 100 ms, a revocation made while an
//! instance's feed is cut is enforced once it reconnects, checks fail closed until the mirror has hydrated, and
//! the mirror holds only live revocations.
#![cfg(feature = "redis")]

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::redis_server::{self, RedisServer};
use http::StatusCode;
use tower_jwt_auth::testing::{Harness, StoreUnderTest};
use tower_jwt_auth::{store::RevocationCheck, RedisStore, SessionStore};

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
    let before = redis_server::command_counts(&server).await;
    for _ in 0..500 {
        assert_eq!(a.status(pair.access_token()).await, StatusCode::OK);
        assert_eq!(
            a.status(revoked.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let after = redis_server::command_counts(&server).await;
    // Only the feed's blocking reads and position checks (and our own INFO) ran meanwhile.
    let calls: Vec<_> = redis_server::calls_between(&before, &after)
        .into_iter()
        .filter(|(name, _)| !matches!(name.as_str(), "xread" | "xinfo|stream" | "info"))
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

/// Redis's clock (`TIME`), in milliseconds.
async fn redis_millis(server: &RedisServer) -> i64 {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut connection(server).await)
        .await
        .unwrap();
    seconds * 1000 + micros / 1000
}

#[tokio::test]
async fn a_follower_rehydrates_when_entries_after_its_position_were_trimmed() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    let (a, _) = instance(&server).await;
    let (b, _) = instance(&server).await;
    // The feed is in use: B follows it from the middle.
    let earlier = a.sessions.login("bob", &()).await.unwrap();
    let info = a.token_info(earlier.access_token()).await.unwrap();
    a.sessions.logout(&info).await.unwrap();
    let seen = within(Duration::from_secs(1), || async {
        b.status(earlier.access_token()).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(seen.is_some(), "B follows the feed");
    let pair = a.sessions.login("alice", &()).await.unwrap();
    assert_eq!(b.status(pair.access_token()).await, StatusCode::OK);
    // A revocation whose announcement is trimmed before B reads it — in the same command, as a writer trimming by
    // a clock 11 minutes ahead of Redis's did (or an operator's XTRIM, or Redis's clock stepping forward).
    let sid = tower_jwt_auth::testing::claims_of(pair.access_token())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let until = tower_jwt_auth::testing::T0 + 3600;
    let cut = redis_millis(&server).await + 11 * 60 * 1000;
    let _: () = redis::Script::new(
        "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
         redis.call('XADD', KEYS[2], 'MINID', ARGV[3], '*', 'k', 's', 'i', ARGV[2], 'u', ARGV[1])",
    )
    .key("mirror:{mirror:feed}:s")
    .key("mirror:feed")
    .arg(until)
    .arg(&sid)
    .arg(cut)
    .invoke_async(&mut connection(&server).await)
    .await
    .unwrap();
    let feed_len: usize = redis::cmd("XLEN")
        .arg("mirror:feed")
        .query_async(&mut connection(&server).await)
        .await
        .unwrap();
    assert_eq!(feed_len, 0, "the announcement never reached the stream");
    let delay = within(Duration::from_secs(3), || async {
        b.status(pair.access_token()).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(
        delay.is_some(),
        "B notices that entries after its position were trimmed and reads the markers again"
    );
    eprintln!("refused by B after {delay:?}");
}

#[tokio::test]
async fn hydration_reads_the_marker_sets_and_never_the_rest_of_the_keyspace() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    const MARKERS: usize = 300;
    const UNRELATED: usize = 50_000;
    let a = store(&server).await;
    let until = common::now() + 3600;
    for i in 0..MARKERS {
        a.revoke_token(&format!("jti-{i}"), until).await.unwrap();
    }
    // Another application's keys in the same Redis.
    let mut admin = connection(&server).await;
    for chunk in 0..UNRELATED / 1000 {
        let mut mset = redis::cmd("MSET");
        for i in chunk * 1000..(chunk + 1) * 1000 {
            mset.arg(format!("other-app:item:{i}")).arg(i);
        }
        let _: () = mset.query_async(&mut admin).await.unwrap();
    }
    let before = redis_server::command_counts(&server).await;
    let c = store(&server).await;
    let after = redis_server::command_counts(&server).await;
    assert_eq!(c.mirrored_revocations(), MARKERS);
    let calls = redis_server::calls_between(&before, &after);
    let reads_of_markers =
        calls.get("zscan").copied().unwrap_or(0) + calls.get("hscan").copied().unwrap_or(0);
    eprintln!("hydrating {MARKERS} markers beside {UNRELATED} other keys: {calls:?}");
    assert_eq!(calls.get("scan"), None, "no keyspace scan: {calls:?}");
    // Four sorted sets (token ids, sessions, subjects, identity providers' sessions) and the not-before hash.
    assert!(reads_of_markers <= 5, "one page per marker set: {calls:?}");
}
