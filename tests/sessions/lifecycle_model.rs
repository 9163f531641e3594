//! The session lifecycle model test (`tower_jwt_auth::testing::check_lifecycle_model`, feature `test-util`):
//! random sequences of logins, refreshes (current, previous, older, concurrent), sliding actions, logouts,
//! logouts everywhere, revocations and time steps, checked step by step against a reference model — here against
//! `MemoryStore`, a real `RedisStore` (a fresh server per case) and the `SqlStore` on SQLite and a real
//! PostgreSQL server. `tests/stores/custom_store.rs` runs it against a
//! store written outside the crate.

use crate::common;

use tower_jwt_auth::testing::check_lifecycle_model;

#[test]
fn the_memory_store_follows_the_model() {
    check_lifecycle_model(64, || async { common::sessions::memory_store_under_test() });
}

#[cfg(feature = "redis")]
#[test]
fn the_redis_store_follows_the_model() {
    if common::redis_server::RedisServer::start(&[]).is_none() {
        return; // said loudly; a failure under CI
    }
    check_lifecycle_model(24, || async {
        common::sessions::redis_store_under_test()
            .await
            .expect("redis-server is installed")
    });
}

#[cfg(feature = "sqlite")]
#[test]
fn the_sqlite_store_follows_the_model() {
    check_lifecycle_model(24, common::sessions::sqlite_memory_store_under_test);
    check_lifecycle_model(8, common::sessions::sqlite_file_store_under_test);
}

#[cfg(feature = "postgres")]
#[test]
fn the_postgres_store_follows_the_model() {
    if common::postgres_server::PostgresServer::shared().is_none() {
        return; // said loudly; a failure under CI
    }
    check_lifecycle_model(24, || async {
        common::sessions::postgres_store_under_test()
            .await
            .expect("PostgreSQL is installed")
    });
}
