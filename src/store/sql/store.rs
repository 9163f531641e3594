//! [`SqlStore`]: sessions and revocations in PostgreSQL or SQLite (features `postgres`, `sqlite`), on the
//! application's own sqlx pool.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::store::mirror::Mirror;
use crate::store::sql::dialect::on_pool;
use crate::store::sql::feed::{sql_error, LogFeed};
use crate::store::{Lookup, StoreError, StoreFuture};

/// A [`SessionStore`](crate::store::SessionStore) and [`RevocationCheck`](crate::store::RevocationCheck) in a SQL
/// database: PostgreSQL (feature `postgres`) or SQLite (feature `sqlite`), on your own sqlx pool. Sessions and
/// revocations survive restarts, and every process on the same database shares them.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_jwt_auth::SqlStore;
///
/// // Your application's pool (here SQLite; `SqlStore::postgres(pg_pool)` likewise), or
/// // `SqlStore::connect("postgres://…")` / `SqlStore::connect("sqlite://sessions.db")`.
/// let pool = sqlx::SqlitePool::connect("sqlite://sessions.db?mode=rwc").await?;
/// let store = SqlStore::sqlite(pool).table_prefix("auth_").build().await?;
/// # let _ = store; Ok(()) }
/// ```
///
/// **Guarantees**, the same as the memory and Redis stores (the crate's store conformance suite and lifecycle
/// model test run against both databases):
/// - Every write is one statement or one transaction. A rotation is one conditional `UPDATE … WHERE
///   generation = $n AND current_hash = $h … RETURNING`: of concurrent refreshes with one token exactly one
///   updates the row (PostgreSQL re-checks the condition on the row it waited for; SQLite serialises writers).
///   A presentation that updates nothing then reads the row (the outcome is the one for the state it reads:
///   a grace-period retry, reuse — which deletes the session and writes its marker in one transaction —, an
///   older generation, or nothing valid).
/// - One row per session whatever the number of rotations; only SHA-256 hashes of refresh secrets are stored.
///   (The hash is compared by the database, not in constant time; a timing difference in comparing hashes of
///   256-bit secrets reveals nothing usable.)
/// - A revocation writes its marker and a log row in one transaction; logging a subject out everywhere
///   deletes its sessions in the same transaction (on PostgreSQL under a table lock, so a concurrent login
///   lands before, and is revoked, or after).
/// - Expired sessions, markers and log rows are removed in bounded batches every minute.
///
/// **Revocation checks make no database round trip**: like the Redis store, each process keeps a mirror of the
/// live revocations, hydrated from the markers and fed by polling the log table every
/// [`poll_interval`](super::SqlStoreBuilder::poll_interval) (250 ms). A process sees its own revocations at once,
/// the others within a poll. Until the first read, and while the database has not answered a poll for
/// [`max_feed_lag`](super::SqlStoreBuilder::max_feed_lag) (5 s), checks fail closed (503); the mirror catches up by
/// itself when the database is back.
///
/// **Schema**: [`build`](super::SqlStoreBuilder::build) creates the four tables if they are missing (idempotent;
/// [`without_schema`](super::SqlStoreBuilder::without_schema) if your migrations do it, with the text of
/// [`SqlStore::schema`]): `<prefix>sessions`, `<prefix>revocations`, `<prefix>revocation_log`, and
/// `<prefix>dpop_proofs` (the DPoP proofs used, when the store is the [`ReplayCache`](crate::dpop::ReplayCache)
/// of [`Dpop`](crate::dpop::Dpop) rules), with the prefix `jwt_auth_` unless configured.
///
/// **Upgrading** a database of a version before the device list: `<prefix>sessions` gained two nullable columns,
/// `created_at` and `user_agent`, and an index `<prefix>sessions_page`. `build` adds what is missing inside its
/// schema transaction (one creator at a time on PostgreSQL); with `without_schema`, run
/// [`SqlStore::schema_upgrade`] in your migrations first — `build` checks for the columns and refuses, saying so,
/// when they are missing. Rows written before the upgrade list their `auth_time` as their start and no user agent.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) inner: Arc<Inner>,
}

/// What every clone of a store shares.
pub(super) struct Inner {
    /// The pool, statements, call timeout and latest time seen: what the store and its tasks share.
    pub(super) feed: LogFeed,
    pub(super) mirror: Arc<Mirror>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.inner.feed.backend)
            .field("timeout", &self.inner.feed.timeout)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// How many revocations the local mirror holds (live markers of the whole database).
    pub fn mirrored_revocations(&self) -> usize {
        self.inner.mirror.len()
    }

    /// Removes expired sessions, revocation markers and log rows now, in batches (the store does it every
    /// minute by itself); returns how many rows went.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        self.inner.feed.sweep().await
    }

    /// Records `now` as told by a caller: the database sweeps use the latest time seen (only the mirror's prune
    /// falls back to the system clock, in a process never told a time).
    pub(super) fn observe(&self, now: i64) {
        self.inner.feed.latest_now.fetch_max(now, Ordering::SeqCst);
    }

    pub(super) fn boxed<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> StoreFuture<T> {
        Box::pin(within(self.inner.feed.timeout, call))
    }
}

impl SqlStore {
    /// Records the one-time `key` until `until` (`now` is the current time): `Ok(true)` the first time,
    /// `Ok(false)` when it is already recorded (until it expires; sweeps remove the expired ones). Every
    /// instance on this database shares it (the DPoP replay cache uses it).
    pub(crate) fn remember_once(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        self.observe(now);
        let store = self.clone();
        let key = key.to_vec();
        Lookup::Pending(self.boxed(async move {
            let s = &store.inner.feed.statements;
            let done = on_pool!(&store.inner.feed.backend, |pool| {
                sqlx::query(&s.remember_proof)
                    .bind(&key)
                    .bind(until)
                    .bind(now)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected())
            })
            .map_err(sql_error)?;
            Ok(done == 1)
        }))
    }
}

/// `call`, failing with a store error when it takes longer than `timeout`.
pub(super) async fn within<T>(
    timeout: Duration,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| Err(StoreError::new("SQL store: the call timed out")))
}
