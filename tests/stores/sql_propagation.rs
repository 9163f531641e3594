//! Revocations reach other processes through the SQL log within a poll, and sessions and revocations survive a
//! restart, on SQLite files and real PostgreSQL.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use std::time::Duration;

use crate::sql_fixtures::{harness, logout, revoked, within};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{session::SessionError, store::SqlStoreBuilder, SqlStore};

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
