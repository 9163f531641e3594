//! [`SqlStoreBuilder`]: configuring a [`SqlStore`] on a pool (or a new pool for a URL), creating its schema,
//! and starting the tasks that follow the revocation log and sweep expired rows.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use crate::store::follower::{follow, Feed};
use crate::store::mirror::{Mirror, DEFAULT_MAX_FEED_LAG};
use crate::store::sql::dialect::{
    is_valid_prefix, on_pool, schema, Backend, SqlDialect, Statements, SCHEMA_LOCK,
};
use crate::store::sql::feed::{sql_error, LogFeed, SWEEP_EVERY};
use crate::store::sql::migration::{check_columns, upgrade_statements};
use crate::store::sql::store::{within, Inner, SqlStore};
use crate::store::StoreError;

/// The default time limit of one store call.
pub const DEFAULT_SQL_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the mirror polls the revocation log, unless configured.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Builds a [`SqlStore`].
#[derive(Debug, Clone)]
pub struct SqlStoreBuilder {
    backend: Backend,
    prefix: String,
    timeout: Duration,
    max_feed_lag: Duration,
    poll_interval: Duration,
    sweep_interval: Duration,
    apply_schema: bool,
}

impl SqlStore {
    /// A store on your PostgreSQL pool.
    #[cfg(feature = "postgres")]
    pub fn postgres(pool: sqlx::PgPool) -> SqlStoreBuilder {
        SqlStoreBuilder::new(Backend::Postgres(pool))
    }

    /// A store on your SQLite pool (for a file: the write-ahead log and a busy timeout, as
    /// [`connect`](Self::connect) sets them). A `sqlite::memory:` database disappears with its last
    /// connection, tables and all: give such a pool one connection that never closes, as `connect` does, and
    /// know that a replaced connection means an empty database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(pool: sqlx::SqlitePool) -> SqlStoreBuilder {
        SqlStoreBuilder::new(Backend::Sqlite(pool))
    }

    /// A store on a new pool for `url`: `postgres://…` (feature `postgres`), or `sqlite://path` (created if
    /// missing, write-ahead log) and `sqlite::memory:` (feature `sqlite`). The pool waits at most 2 s for a
    /// connection, so a database that is down makes calls fail (503) quickly.
    pub async fn connect(url: &str) -> Result<SqlStoreBuilder, StoreError> {
        let acquire = DEFAULT_SQL_TIMEOUT;
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(acquire)
                .connect_lazy(url)
                .map_err(|_| StoreError::new("invalid PostgreSQL URL"))?;
            return Ok(Self::postgres(pool));
        }
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            use std::str::FromStr;
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::new("invalid SQLite URL"))?
                .create_if_missing(true)
                .busy_timeout(acquire);
            let (options, pool) = if memory {
                // One connection, kept forever: it is the database.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
                (options, pool)
            } else {
                let options = options.journal_mode(SqliteJournalMode::Wal);
                (options, SqlitePoolOptions::new())
            };
            let pool = pool
                .acquire_timeout(acquire)
                .connect_with(options)
                .await
                .map_err(sql_error)?;
            return Ok(Self::sqlite(pool));
        }
        let _ = acquire;
        Err(StoreError::new(
            "unsupported database URL (postgres://… with feature `postgres`, sqlite:… with feature `sqlite`)",
        ))
    }

    /// The schema `build` creates, as SQL statements (each ends with `;`), for your own migrations. Fails for
    /// a prefix `build` would refuse.
    pub fn schema(dialect: SqlDialect, table_prefix: &str) -> Result<String, StoreError> {
        check_prefix(table_prefix)?;
        Ok(schema(dialect, table_prefix)
            .into_iter()
            .map(|statement| statement + ";\n")
            .collect())
    }
}

impl SqlStoreBuilder {
    fn new(backend: Backend) -> Self {
        Self {
            backend,
            prefix: "jwt_auth_".into(),
            timeout: DEFAULT_SQL_TIMEOUT,
            max_feed_lag: DEFAULT_MAX_FEED_LAG,
            poll_interval: DEFAULT_POLL_INTERVAL,
            sweep_interval: SWEEP_EVERY,
            apply_schema: true,
        }
    }

    /// Prefix of the four tables (default `jwt_auth_`): letters, digits and `_`, not starting with a digit,
    /// at most 40 characters (checked by `build`).
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Time limit of every store call (default [`DEFAULT_SQL_TIMEOUT`], 2 s): a slower call fails (503).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the revocation log may go unread before revocation checks fail closed (default
    /// [`DEFAULT_MAX_FEED_LAG`], 5 s; at least twice the poll interval).
    pub fn max_feed_lag(mut self, lag: Duration) -> Self {
        self.max_feed_lag = lag;
        self
    }

    /// How often the mirror reads new revocations from the log (default [`DEFAULT_POLL_INTERVAL`], 250 ms):
    /// how long another process's logout takes to reach this one, at most.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// How often expired sessions, revocation markers and log rows are removed (default one minute); each
    /// process sweeps (the statements re-check expiry, so concurrent sweeps are harmless).
    pub fn sweep_interval(mut self, interval: Duration) -> Self {
        self.sweep_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Does not create the tables: your migrations do (see [`SqlStore::schema`]).
    pub fn without_schema(mut self) -> Self {
        self.apply_schema = false;
        self
    }

    /// Creates the tables unless told otherwise, reads the live revocations into the mirror, and starts the
    /// task that follows the revocation log and sweeps expired rows (it ends when the last clone of the store
    /// is dropped). Fails when the prefix is invalid or the database cannot be reached. Call it inside a tokio
    /// runtime.
    pub async fn build(self) -> Result<SqlStore, StoreError> {
        check_prefix(&self.prefix)?;
        let dialect = self.backend.dialect();
        if self.apply_schema {
            let statements = schema(dialect, &self.prefix);
            let upgrades = upgrade_statements(dialect, &self.prefix);
            let postgres = dialect == SqlDialect::Postgres;
            let create = async {
                on_pool!(&self.backend, |pool| {
                    // One transaction (DDL is transactional on both), one creator at a time on PostgreSQL.
                    let mut tx = pool.begin().await?;
                    if postgres {
                        sqlx::query(SCHEMA_LOCK).execute(&mut *tx).await?;
                    }
                    for statement in &statements {
                        sqlx::query(statement).execute(&mut *tx).await?;
                    }
                    // A table of an earlier version gets the columns it lacks.
                    for (count, add) in &upgrades {
                        let present: i64 = sqlx::query_scalar(count).fetch_one(&mut *tx).await?;
                        if present == 0 {
                            sqlx::query(add).execute(&mut *tx).await?;
                        }
                    }
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(())
                })
                .map_err(sql_error)
            };
            within(self.timeout, create).await?;
        }
        let statements = Arc::new(Statements::new(dialect, &self.prefix));
        let max_lag = self.max_feed_lag.max(self.poll_interval * 2);
        let mirror = Mirror::new(max_lag, LogFeed::NAME);
        let latest_now = Arc::new(AtomicI64::new(i64::MIN));
        let feed = || LogFeed {
            backend: self.backend.clone(),
            statements: Arc::clone(&statements),
            mirror: Arc::downgrade(&mirror),
            latest_now: Arc::clone(&latest_now),
            poll_interval: self.poll_interval,
            sweep_interval: self.sweep_interval,
            timeout: self.timeout,
        };
        let follower = feed();
        let position = follower.rehydrate_first().await?;
        within(self.timeout, check_columns(&self.backend, &self.prefix)).await?;
        tokio::spawn(follow(Arc::downgrade(&mirror), follower, Some(position)));
        tokio::spawn(feed().sweep_forever());
        Ok(SqlStore {
            inner: Arc::new(Inner {
                feed: feed(),
                mirror,
            }),
        })
    }
}

fn check_prefix(prefix: &str) -> Result<(), StoreError> {
    if is_valid_prefix(prefix) {
        return Ok(());
    }
    Err(StoreError::new(format!(
        "invalid table prefix {prefix:?}: letters, digits and _ only, not starting with a digit, at most 40"
    )))
}
