//! SQL store specifics, on SQLite files and real PostgreSQL servers: revocations reach other processes through
//! the log within a poll, sessions and revocations survive a restart, a database that is down fails closed
//! (503) and the store recovers by itself, one row per session, sweeps, schema and prefix.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::testing::{Harness, StoreUnderTest};
use tower_jwt_auth::{
    session::SessionError, store::SqlDialect, store::SqlStoreBuilder, SessionStore, SqlStore,
    TokenInfo,
};

fn harness(store: SqlStore) -> Harness {
    Harness::new(StoreUnderTest::new(Arc::new(store)), Duration::ZERO)
}

/// One account can't make the SQL store grow: after a login, N refreshes and an RFC 7009 revocation of every
/// access token, the markers and log rows are the same for N = 5 and N = 50 (one session marker, one log row).
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn revocations_per_account_stay_bounded_on_sqlite() {
    let mut counts = Vec::new();
    for n in [5, 50] {
        // One connection that lives as long as the pool: an in-memory database is per connection.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let store = SqlStore::sqlite(pool.clone()).build().await.unwrap();
        let h = harness(store);
        common::sessions::login_refresh_and_revoke_each(&h, n).await;
        let mut row = Vec::new();
        for table in ["jwt_auth_revocations", "jwt_auth_revocation_log"] {
            let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            row.push(count);
        }
        counts.push(row);
    }
    assert_eq!(
        counts[0], counts[1],
        "markers and log rows after N = 5 and N = 50"
    );
    assert_eq!(counts[0], vec![1, 1]);
}

/// Polls `check` every 5 ms for at most `limit`; returns how long it took to hold.
async fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// Logs out the session of `token`, as the demo's `/logout` does.
async fn logout(h: &Harness, token: &str) {
    let info = h.token_info(token).await.expect("a valid token");
    h.sessions.logout(&info).await.unwrap();
}

fn revoked(store: &SqlStore, token: &str) -> Option<bool> {
    let info: TokenInfo =
        tower_jwt_auth::testing::token_info(&tower_jwt_auth::testing::claims_of(token));
    match tower_jwt_auth::store::RevocationCheck::is_revoked(store, &info) {
        tower_jwt_auth::store::Lookup::Ready(result) => result.ok(),
        tower_jwt_auth::store::Lookup::Pending(_) => {
            panic!("the SQL store answers from its mirror")
        }
    }
}

/// Two processes' stores on one database: a logout on one reaches the other's mirror within a poll, and a
/// restarted process finds every session and revocation.
async fn shared_database(first: SqlStoreBuilder, second: impl Fn() -> SqlStoreBuilder) {
    let a = harness(
        first
            .poll_interval(Duration::from_millis(50))
            .build()
            .await
            .unwrap(),
    );
    let b_store = second()
        .poll_interval(Duration::from_millis(50))
        .build()
        .await
        .unwrap();
    let b = harness(b_store.clone());
    let scope = json!({ "scope": "read" });
    let kept = a.sessions.login("alice", &scope).await.unwrap();
    let ended = a.sessions.login("alice", &scope).await.unwrap();
    assert_eq!(b.status(ended.access_token()).await, StatusCode::OK);
    logout(&a, ended.access_token()).await;
    assert_eq!(
        a.status(ended.access_token()).await,
        StatusCode::UNAUTHORIZED,
        "own writes at once"
    );
    let took = within(Duration::from_secs(2), || {
        revoked(&b_store, ended.access_token()) == Some(true)
    })
    .await;
    eprintln!("a logout reached the other store's mirror in {took:?}");
    assert_eq!(
        b.status(ended.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(b.status(kept.access_token()).await, StatusCode::OK);
    // The other process refreshes the kept session: one database.
    let next = b.sessions.refresh(kept.refresh_token()).await.unwrap();
    assert!(matches!(
        a.sessions.refresh(ended.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    drop((a, b, b_store));

    // A restart: a new store on the same database knows both.
    let c = harness(second().build().await.unwrap());
    assert_eq!(
        c.status(ended.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(c.status(next.access_token()).await, StatusCode::OK);
    c.sessions.refresh(next.refresh_token()).await.unwrap();
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_file_logouts_reach_other_processes_and_survive_a_restart() {
    let file = common::sessions::SqliteFile::new();
    let url = file.url();
    let first = SqlStore::connect(&url).await.unwrap();
    let second = SqlStore::connect(&url).await.unwrap();
    shared_database(first, move || second.clone()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_logouts_reach_other_processes_and_survive_a_restart() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return; // said loudly; a failure under CI
    };
    let pool = || {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect_lazy(&server.url())
            .unwrap()
    };
    let builder = move |pool| SqlStore::postgres(pool).table_prefix("shared_");
    let second_pool = pool();
    shared_database(builder(pool()), move || builder(second_pool.clone())).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_postgres_outage_fails_closed_and_the_store_recovers_by_itself() {
    let Some(server) = common::postgres_server::PostgresServer::start() else {
        return;
    };
    let builder = SqlStore::connect(&server.url()).await.unwrap();
    let store = builder
        .poll_interval(Duration::from_millis(50))
        .max_feed_lag(Duration::from_millis(500))
        .timeout(Duration::from_millis(800))
        .build()
        .await
        .unwrap();
    let h = harness(store);
    let pair = h.sessions.login("alice", &json!({})).await.unwrap();
    assert_eq!(h.status(pair.access_token()).await, StatusCode::OK);

    server.halt();
    let started = Instant::now();
    while h.status(pair.access_token()).await == StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "fails closed once the log goes unread"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "checks failed closed {:?} after the database stopped",
        started.elapsed()
    );
    assert_eq!(
        h.status(pair.access_token()).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(matches!(
        h.sessions.refresh(pair.refresh_token()).await,
        Err(SessionError::Unavailable(_))
    ));
    assert!(matches!(
        h.sessions.login("bob", &json!({})).await,
        Err(SessionError::Unavailable(_))
    ));

    server.resume();
    let started = Instant::now();
    while h.status(pair.access_token()).await != StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "recovers without a restart of the app"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "recovered {:?} after the database came back",
        started.elapsed()
    );
    h.sessions.refresh(pair.refresh_token()).await.unwrap();
}

/// One row per session however often it rotates; expired rows are swept.
async fn bounded_and_swept(
    store: SqlStore,
    rows: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = i64> + Send>>,
) {
    let h = harness(store.clone());
    let mut pair = h.sessions.login("alice", &json!({})).await.unwrap();
    for _ in 0..50 {
        pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
    }
    assert_eq!(rows().await, 1, "one row after 50 rotations");
    logout(&h, pair.access_token()).await;
    assert_eq!(rows().await, 0, "logout deletes the session");
    h.sessions.login("bob", &json!({})).await.unwrap();
    h.clock.advance(5 * 3600); // past the 4 h session cap
    let carol = h.sessions.login("carol", &json!({})).await.unwrap(); // tells the store the time
    let dave = h.sessions.login("dave", &json!({})).await.unwrap();
    logout(&h, dave.access_token()).await; // a live revocation: kept until its `until`
    assert!(store.sweep().await.unwrap() >= 1);
    assert_eq!(rows().await, 1, "only carol's session is left");
    assert_eq!(
        h.status(dave.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.status(carol.access_token()).await, StatusCode::OK);
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_storage_is_one_row_per_session_and_expired_rows_are_swept() {
    let file = common::sessions::SqliteFile::new();
    let store = SqlStore::connect(&file.url())
        .await
        .unwrap()
        .build()
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&file.url()).await.unwrap();
    bounded_and_swept(store, move || {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query_scalar("SELECT COUNT(*) FROM jwt_auth_sessions")
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    })
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_storage_is_one_row_per_session_and_expired_rows_are_swept() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return;
    };
    let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
    let store = SqlStore::postgres(pool.clone())
        .table_prefix("bounded_")
        .build()
        .await
        .unwrap();
    bounded_and_swept(store, move || {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query_scalar("SELECT COUNT(*) FROM bounded_sessions")
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    })
    .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_schema_is_created_with_its_prefix_or_left_to_your_migrations() {
    let file = common::sessions::SqliteFile::new();
    let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", file.url()))
        .await
        .unwrap();
    let invalid = SqlStore::sqlite(pool.clone())
        .table_prefix("a;drop")
        .build()
        .await;
    assert!(invalid
        .unwrap_err()
        .to_string()
        .contains("invalid table prefix"));
    // Without the tables, a store that does not create them cannot start.
    assert!(SqlStore::sqlite(pool.clone())
        .table_prefix("mine_")
        .without_schema()
        .build()
        .await
        .is_err());
    // The schema text, applied by "your migrations", then a store that uses it.
    assert!(SqlStore::schema(SqlDialect::Sqlite, "a;drop").is_err());
    let schema = SqlStore::schema(SqlDialect::Sqlite, "mine_").unwrap();
    for statement in schema.split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    let store = SqlStore::sqlite(pool.clone())
        .table_prefix("mine_")
        .without_schema()
        .build()
        .await
        .unwrap();
    let h = harness(store);
    let pair = h.sessions.login("alice", &json!({})).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'mine_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "mine_dpop_proofs",
            "mine_revocation_log",
            "mine_revocations",
            "mine_sessions"
        ]
    );
    // Only the hash of the refresh secret is stored.
    let secret = pair.refresh_token().rsplit('.').next().unwrap().to_owned();
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT current_hash FROM mine_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 32);
    assert!(!String::from_utf8_lossy(&hashes[0]).contains(&secret));
    let _: &dyn SessionStore = h.store().as_ref();
}

/// Log numbers are handed out at insert, but transactions commit in any order: a revocation whose transaction
/// commits after a later one's must still reach every mirror (the follower reads the gap again) — also when the
/// log is empty and its sequence far ahead (every row expired and swept), so the first number seen is a jump.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_revocation_committed_out_of_order_still_reaches_the_mirror() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return;
    };
    for (prefix, sequence_at) in [("order_", None), ("jump_", Some(50_000))] {
        out_of_order(&server.url(), prefix, sequence_at, Duration::ZERO).await;
    }
}

/// A revocation whose commit becomes visible longer than the gap wait (10 s) after a later one still reaches the
/// mirror within the late-gap recheck (5 s) and a poll, not only at the 5-minute rehydration.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_revocation_committed_after_the_gap_wait_reaches_the_mirror_within_the_recheck() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return;
    };
    out_of_order(&server.url(), "late_", None, Duration::from_secs(11)).await;
}

#[cfg(feature = "postgres")]
async fn out_of_order(url: &str, prefix: &str, sequence_at: Option<i64>, hold: Duration) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let follower = SqlStore::postgres(pool.clone())
        .table_prefix(prefix)
        .poll_interval(Duration::from_millis(20))
        .build()
        .await
        .unwrap();
    if let Some(at) = sequence_at {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{prefix}revocation_log', 'seq'), $1)"
        ))
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    let writer = SqlStore::postgres(pool.clone())
        .table_prefix(prefix)
        .build()
        .await
        .unwrap();
    let until = i64::MAX / 2;
    // A slow transaction takes its log number first, and holds it.
    let mut slow = pool.begin().await.unwrap();
    for table in ["revocations", "revocation_log"] {
        sqlx::query(&format!(
            "INSERT INTO {prefix}{table} (kind, issuer, id, not_before, until_at) VALUES ('j', '', 'slow', 0, $1)"
        ))
        .bind(until)
        .execute(&mut *slow)
        .await
        .unwrap();
    }
    // A later revocation commits first, and the follower reads past the slow one's number.
    writer.revoke_token("fast", until).await.unwrap();
    let token = |jti: &str| {
        tower_jwt_auth::testing::token_info(&json!({ "jti": jti, "sub": "x", "exp": until }))
    };
    let revoked = |jti: &str| match tower_jwt_auth::store::RevocationCheck::is_revoked(
        &follower,
        &token(jti),
    ) {
        tower_jwt_auth::store::Lookup::Ready(result) => result.unwrap(),
        tower_jwt_auth::store::Lookup::Pending(_) => unreachable!(),
    };
    within(Duration::from_secs(2), || revoked("fast")).await;
    assert!(!revoked("slow"), "not committed yet");
    tokio::time::sleep(hold).await;
    slow.commit().await.unwrap();
    // Within a poll, or (held past the gap wait) within the late-gap recheck of 5 s and a poll.
    let limit = Duration::from_secs(if hold.is_zero() { 2 } else { 7 });
    let took = within(limit, || revoked("slow")).await;
    eprintln!("{prefix}: the out-of-order revocation reached the mirror {took:?} after its commit");
}

/// More revocations than one page of hydration and one batch of the log: a store built afterwards reads them
/// all page by page, and a store following the log reads them all batch by batch.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn thousands_of_revocations_are_hydrated_in_pages_and_followed_in_batches() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return;
    };
    let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
    let build = || {
        SqlStore::postgres(pool.clone())
            .table_prefix("many_")
            .poll_interval(Duration::from_millis(20))
            .build()
    };
    let follower = build().await.unwrap();
    let until = i64::MAX / 2;
    // 2500 revocations in one statement each way (markers and log rows), as many logouts would write them.
    for table in ["revocations", "revocation_log"] {
        sqlx::query(&format!(
            "INSERT INTO many_{table} (kind, issuer, id, not_before, until_at) \
             SELECT 'j', '', 'jti-' || n, 0, $1 FROM generate_series(1, 2500) AS n"
        ))
        .bind(until)
        .execute(&pool)
        .await
        .unwrap();
    }
    within(Duration::from_secs(5), || {
        follower.mirrored_revocations() == 2500
    })
    .await;
    let hydrated = build().await.unwrap();
    assert_eq!(
        hydrated.mirrored_revocations(),
        2500,
        "every page read at hydration"
    );
    let info = tower_jwt_auth::testing::token_info(
        &json!({ "jti": "jti-2500", "sub": "x", "exp": until }),
    );
    match tower_jwt_auth::store::RevocationCheck::is_revoked(&hydrated, &info) {
        tower_jwt_auth::store::Lookup::Ready(result) => assert!(result.unwrap()),
        tower_jwt_auth::store::Lookup::Pending(_) => unreachable!(),
    }
}

/// The store sweeps by itself: expired sessions go without anyone calling `sweep`, live ones stay.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn expired_rows_are_swept_in_the_background() {
    let file = common::sessions::SqliteFile::new();
    let store = SqlStore::connect(&file.url())
        .await
        .unwrap()
        .sweep_interval(Duration::from_millis(50))
        .build()
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&file.url()).await.unwrap();
    let h = harness(store);
    h.sessions.login("bob", &json!({})).await.unwrap();
    h.clock.advance(5 * 3600); // past the 4 h session cap
    let carol = h.sessions.login("carol", &json!({})).await.unwrap(); // tells the store the time
    let started = Instant::now();
    loop {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jwt_auth_sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
        if rows == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bob's expired session is swept"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.sessions.refresh(carol.refresh_token()).await.unwrap();
}
