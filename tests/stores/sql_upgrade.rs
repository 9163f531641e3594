//! A sessions table of a version before the device list (without `created_at` and `user_agent`) is upgraded:
//! by `build` when it creates the schema, or by `SqlStore::schema_upgrade` in your migrations — and `build`
//! without the schema refuses a table that was not, saying so. Sessions stored before list their `auth_time`
//! as their start and no user agent. SQLite and PostgreSQL.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use crate::common;

use crate::sql_fixtures::harness;
use serde_json::json;
use tower_jwt_auth::session::LoginOptions;
use tower_jwt_auth::store::{ListSessions, SqlDialect};
use tower_jwt_auth::testing::T0;
use tower_jwt_auth::SqlStore;

/// The sessions table as earlier versions created it (`{p}` the prefix, `{bytes}` the dialect's byte type).
const EARLIER_SESSIONS: &str = "CREATE TABLE {p}sessions (session_id TEXT PRIMARY KEY, subject TEXT NOT NULL, \
    auth_time BIGINT NOT NULL, expires_at BIGINT NOT NULL, claims TEXT NOT NULL, generation BIGINT NOT NULL, \
    current_hash {bytes} NOT NULL, refresh_expires_at BIGINT NOT NULL, previous_hash {bytes}, \
    rotated_at BIGINT NOT NULL)";

/// The statements that make a database of an earlier version under prefix `p`, with one session of alice
/// started at `T0 - 100`.
fn earlier_database(dialect: SqlDialect, p: &str) -> Vec<String> {
    let bytes = match dialect {
        SqlDialect::Postgres => "BYTEA",
        _ => "BLOB",
    };
    let mut statements: Vec<String> = SqlStore::schema(dialect, p)
        .unwrap()
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .collect();
    statements.push(format!("DROP TABLE {p}sessions"));
    statements.push(EARLIER_SESSIONS.replace("{p}", p).replace("{bytes}", bytes));
    let zeros = match dialect {
        SqlDialect::Postgres => {
            "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea"
        }
        _ => "zeroblob(32)",
    };
    statements.push(format!(
        "INSERT INTO {p}sessions VALUES ('earlier', 'alice', {}, {}, '{{}}', 0, {zeros}, {}, NULL, {})",
        T0 - 100,
        T0 + 3600,
        T0 + 3600,
        i64::MIN
    ));
    statements
}

/// Runs `$statements` on one connection of `$pool`, one by one.
macro_rules! run_all {
    ($pool:expr, $statements:expr) => {
        let mut connection = $pool.acquire().await.unwrap();
        for statement in $statements {
            sqlx::query(&statement)
                .execute(&mut *connection)
                .await
                .unwrap();
        }
    };
}

/// What every dialect's case checks, on a store built over the upgraded database: the earlier session is listed
/// with its `auth_time` as its start and no user agent, a new one with both.
async fn lists_earlier_and_new_sessions(store: SqlStore) {
    let h = harness(store);
    let options = LoginOptions::new().user_agent("curl/8.5");
    h.sessions
        .login_with_options("alice", &json!({}), options)
        .await
        .unwrap();
    let page = h
        .store()
        .list_sessions(ListSessions::new("alice", T0, 10))
        .await
        .unwrap();
    let listed: Vec<_> = page
        .sessions
        .iter()
        .map(|r| {
            (
                r.session_id == "earlier",
                r.created_at,
                r.last_refresh_at,
                r.user_agent.clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (true, T0 - 100, T0 - 100, None),
            (false, T0, T0, Some("curl/8.5".to_owned()))
        ]
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn an_earlier_sqlite_sessions_table_is_upgraded_by_build_or_by_your_migrations() {
    let file = common::sessions::SqliteFile::new();
    let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", file.url()))
        .await
        .unwrap();
    // Your migrations: `build` without the schema refuses the earlier table, and takes it once upgraded.
    run_all!(&pool, earlier_database(SqlDialect::Sqlite, "mine_"));
    let refused = SqlStore::sqlite(pool.clone())
        .table_prefix("mine_")
        .without_schema()
        .build()
        .await;
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("SqlStore::schema_upgrade"));
    let upgrade = SqlStore::schema_upgrade(SqlDialect::Sqlite, "mine_").unwrap();
    run_all!(
        &pool,
        upgrade
            .split(';')
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    );
    let store = SqlStore::sqlite(pool.clone())
        .table_prefix("mine_")
        .without_schema()
        .build()
        .await;
    lists_earlier_and_new_sessions(store.unwrap()).await;
    // `build` upgrades by itself (and again changes nothing).
    run_all!(&pool, earlier_database(SqlDialect::Sqlite, "auto_"));
    for _ in 0..2 {
        SqlStore::sqlite(pool.clone())
            .table_prefix("auto_")
            .build()
            .await
            .unwrap();
    }
    let store = SqlStore::sqlite(pool.clone())
        .table_prefix("auto_")
        .build()
        .await;
    lists_earlier_and_new_sessions(store.unwrap()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn an_earlier_postgres_sessions_table_is_upgraded_by_build_or_by_your_migrations() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return;
    };
    let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
    run_all!(
        &pool,
        earlier_database(SqlDialect::Postgres, "upgrade_mine_")
    );
    let refused = SqlStore::postgres(pool.clone())
        .table_prefix("upgrade_mine_")
        .without_schema()
        .build()
        .await;
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("SqlStore::schema_upgrade"));
    let upgrade = SqlStore::schema_upgrade(SqlDialect::Postgres, "upgrade_mine_").unwrap();
    run_all!(
        &pool,
        upgrade
            .split(';')
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    );
    let store = SqlStore::postgres(pool.clone())
        .table_prefix("upgrade_mine_")
        .without_schema()
        .build()
        .await;
    lists_earlier_and_new_sessions(store.unwrap()).await;
    // Upper-case letters in the prefix: PostgreSQL folds the unquoted names, and `build` still finds the columns.
    run_all!(
        &pool,
        earlier_database(SqlDialect::Postgres, "Upgrade_Auto_")
    );
    for _ in 0..2 {
        SqlStore::postgres(pool.clone())
            .table_prefix("Upgrade_Auto_")
            .build()
            .await
            .unwrap();
    }
    let store = SqlStore::postgres(pool.clone())
        .table_prefix("Upgrade_Auto_")
        .build()
        .await;
    lists_earlier_and_new_sessions(store.unwrap()).await;
}
