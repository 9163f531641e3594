//! The SQL schema is created with its prefix, or left to your migrations.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use crate::sql_fixtures::harness;
use serde_json::json;
use tower_jwt_auth::{store::SqlDialect, SessionStore, SqlStore};

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
