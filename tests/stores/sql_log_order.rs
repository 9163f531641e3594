//! The SQL revocation log followed in order: revocations committed out of order or after the gap wait still
//! reach the mirror, and thousands are hydrated in pages and followed in batches.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use std::time::Duration;

use crate::sql_fixtures::within;
use serde_json::json;
use tower_jwt_auth::{SessionStore, SqlStore};

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
