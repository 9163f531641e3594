//! A PostgreSQL database that is down fails closed (503) and the store recovers by itself.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use std::time::{Duration, Instant};

use crate::sql_fixtures::harness;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{session::SessionError, SqlStore};

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
