//! SQL storage stays bounded: one row per session, expired rows swept (in the background too), revocations per
//! account bounded.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use std::time::{Duration, Instant};

use crate::sql_fixtures::{harness, logout};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::SqlStore;

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
