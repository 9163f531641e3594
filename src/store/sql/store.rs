//! [`SqlStore`]: sessions and revocations in PostgreSQL or SQLite (features `postgres`, `sqlite`), on the
//! application's own sqlx pool.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use crate::store::mirror::{Mirror, DEFAULT_MAX_FEED_LAG};
use crate::store::presented::{Presented, StoredTokens};
use crate::store::sql::dialect::{
    is_valid_prefix, on_pool, schema, Backend, SqlDialect, Statements, SCHEMA_LOCK,
};
use crate::store::sql::feed::{sql_error, Feed, Marker, SWEEP_EVERY};
use crate::store::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::TokenInfo;

/// The default time limit of one store call.
pub const DEFAULT_SQL_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the mirror polls the revocation log, unless configured.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Upserts a marker (keeping the later `until` and not-before) and, when that changed the stored marker,
/// appends its log row, on `$executor`: a revocation that changes nothing writes and announces nothing.
macro_rules! write_marker {
    ($statements:expr, $executor:expr, $marker:expr) => {{
        let (s, m) = ($statements, $marker);
        for statement in [&s.upsert_marker, &s.log_marker] {
            let written = sqlx::query(statement)
                .bind(m.kind)
                .bind(&m.issuer)
                .bind(&m.id)
                .bind(m.not_before)
                .bind(m.until)
                .execute(&mut *$executor)
                .await?;
            if written.rows_affected() == 0 {
                break;
            }
        }
    }};
}

/// A [`SessionStore`] and [`RevocationCheck`] in a SQL database: PostgreSQL (feature `postgres`) or SQLite
/// (feature `sqlite`), on your own sqlx pool. Sessions and revocations survive restarts, and every process on
/// the same database shares them.
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
/// [`poll_interval`](SqlStoreBuilder::poll_interval) (250 ms). A process sees its own revocations at once,
/// the others within a poll. Until the first read, and while the database has not answered a poll for
/// [`max_feed_lag`](SqlStoreBuilder::max_feed_lag) (5 s), checks fail closed (503); the mirror catches up by
/// itself when the database is back.
///
/// **Schema**: [`build`](SqlStoreBuilder::build) creates the four tables if they are missing (idempotent;
/// [`without_schema`](SqlStoreBuilder::without_schema) if your migrations do it, with the text of
/// [`SqlStore::schema`]): `<prefix>sessions`, `<prefix>revocations`, `<prefix>revocation_log`, and
/// `<prefix>dpop_proofs` (the DPoP proofs used, when the store is the [`ReplayCache`](crate::dpop::ReplayCache)
/// of [`Dpop`](crate::dpop::Dpop) rules), with the prefix `jwt_auth_` unless configured.
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The pool, statements, call timeout and latest time seen: what the store and its tasks share.
    feed: Feed,
    mirror: Arc<Mirror>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.inner.feed.backend)
            .field("timeout", &self.inner.feed.timeout)
            .finish_non_exhaustive()
    }
}

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

    /// How many revocations the local mirror holds (live markers of the whole database).
    pub fn mirrored_revocations(&self) -> usize {
        self.inner.mirror.len()
    }

    /// Removes expired sessions, revocation markers and log rows now, in batches (the store does it every
    /// minute by itself); returns how many rows went.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        self.inner.feed.sweep().await
    }

    /// Records `now` as told by a caller (the store never reads a clock; sweeps use the latest time seen).
    fn observe(&self, now: i64) {
        self.inner.feed.latest_now.fetch_max(now, Ordering::SeqCst);
    }

    /// Writes `markers` (and their log rows) in one transaction, after deleting `session` (if any), and puts
    /// them into the local mirror at once.
    async fn revoke(&self, session: Option<&str>, markers: &[Marker]) -> Result<(), StoreError> {
        let s = &self.inner.feed.statements;
        on_pool!(&self.inner.feed.backend, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(session_id) = session {
                sqlx::query(&s.delete_session)
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for marker in markers {
                write_marker!(s, &mut *tx, marker);
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        })
        .map_err(sql_error)?;
        self.mirror(markers);
        Ok(())
    }

    fn mirror(&self, markers: &[Marker]) {
        let mut revocations = self.inner.mirror.write();
        for marker in markers {
            marker.apply(&mut revocations);
        }
    }

    fn boxed<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> StoreFuture<T> {
        Box::pin(within(self.inner.feed.timeout, call))
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

    /// Prefix of the three tables (default `jwt_auth_`): letters, digits and `_`, not starting with a digit,
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
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(())
                })
                .map_err(sql_error)
            };
            within(self.timeout, create).await?;
        }
        let statements = Arc::new(Statements::new(dialect, &self.prefix));
        let max_lag = self.max_feed_lag.max(self.poll_interval * 2);
        let mirror = Mirror::new(max_lag, "SQL revocation log");
        let latest_now = Arc::new(AtomicI64::new(i64::MIN));
        let feed = || Feed {
            backend: self.backend.clone(),
            statements: Arc::clone(&statements),
            mirror: Arc::downgrade(&mirror),
            latest_now: Arc::clone(&latest_now),
            poll_interval: self.poll_interval,
            sweep_interval: self.sweep_interval,
            timeout: self.timeout,
        };
        let follower = feed();
        let cursor = follower.first_hydration().await?;
        tokio::spawn(follower.follow(Some(cursor)));
        tokio::spawn(feed().sweep_forever());
        Ok(SqlStore {
            inner: Arc::new(Inner {
                feed: feed(),
                mirror,
            }),
        })
    }
}

/// The DPoP replay cache of every instance on this database: a proof's first use inserts its row, a replay
/// finds it (until it expires; sweeps remove the expired ones).
impl crate::store::ReplayCache for SqlStore {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
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

impl RevocationCheck for SqlStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(self.inner.mirror.is_revoked(token))
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

/// `call`, failing with a store error when it takes longer than `timeout`.
async fn within<T>(
    timeout: Duration,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| Err(StoreError::new("SQL store: the call timed out")))
}

/// A stored session, as `read_session` returns it.
struct StoredSession {
    record: SessionRecord,
    tokens: StoredTokens,
}

/// A stored SHA-256 hash (a column of 32 bytes).
fn hash_of(bytes: Vec<u8>) -> Result<[u8; 32], sqlx::Error> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| sqlx::Error::Decode("a stored refresh-token hash is not 32 bytes".into()))
}

impl SqlStore {
    async fn read_session(&self, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
        let s = &self.inner.feed.statements;
        let row = on_pool!(&self.inner.feed.backend, |pool| {
            let row = sqlx::query(&s.read_session)
                .bind(session_id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                Ok::<_, sqlx::Error>(StoredSession {
                    record: SessionRecord::new(
                        session_id,
                        row.try_get::<String, _>(0)?,
                        row.try_get::<i64, _>(1)?,
                        row.try_get::<i64, _>(2)?,
                        row.try_get::<String, _>(3)?,
                    ),
                    tokens: StoredTokens {
                        current: RefreshGrant::new(
                            row.try_get::<i64, _>(4)? as u64,
                            hash_of(row.try_get::<Vec<u8>, _>(5)?)?,
                            row.try_get::<i64, _>(6)?,
                        ),
                        previous_hash: row
                            .try_get::<Option<Vec<u8>>, _>(7)?
                            .map(hash_of)
                            .transpose()?,
                        rotated_at: row.try_get::<i64, _>(8)?,
                    },
                })
            })
            .transpose()
        })
        .map_err(sql_error)?;
        Ok(row)
    }

    async fn create(&self, new: NewSession) -> Result<(), StoreError> {
        let NewSession {
            session,
            mut refresh,
        } = new;
        self.observe(session.auth_time);
        refresh.expires_at = refresh.expires_at.min(session.expires_at);
        let s = &self.inner.feed.statements;
        on_pool!(&self.inner.feed.backend, |pool| {
            sqlx::query(&s.create_session)
                .bind(&session.session_id)
                .bind(&session.subject)
                .bind(session.auth_time)
                .bind(session.expires_at)
                .bind(&session.claims)
                .bind(refresh.generation as i64)
                .bind(refresh.secret_hash.to_vec())
                .bind(refresh.expires_at)
                .bind(i64::MIN)
                .execute(pool)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
        .map_err(sql_error)
    }

    async fn rotate_now(&self, request: RotateRequest) -> Result<RotateOutcome, StoreError> {
        let now = request.now;
        self.observe(now);
        let s = &self.inner.feed.statements;
        let rotated = on_pool!(&self.inner.feed.backend, |pool| {
            let row = sqlx::query(&s.rotate)
                .bind(&request.session_id)
                .bind(request.generation as i64)
                .bind(request.secret_hash.to_vec())
                .bind(request.successor.secret_hash.to_vec())
                .bind(request.successor.expires_at)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let session = SessionRecord::new(
                    request.session_id.as_str(),
                    row.try_get::<String, _>(0)?,
                    row.try_get::<i64, _>(1)?,
                    row.try_get::<i64, _>(2)?,
                    row.try_get::<String, _>(3)?,
                );
                let successor = RefreshGrant::new(
                    row.try_get::<i64, _>(4)? as u64,
                    request.successor.secret_hash,
                    row.try_get::<i64, _>(5)?,
                );
                Ok::<_, sqlx::Error>(RotateOutcome::Rotated { session, successor })
            })
            .transpose()
        })
        .map_err(sql_error)?;
        if let Some(rotated) = rotated {
            return Ok(rotated);
        }
        // Not the current token (or not any more): the previous one (a retry, or reuse), an older one, or
        // nothing valid.
        let Some(stored) = self.read_session(&request.session_id).await? else {
            return Ok(RotateOutcome::Invalid);
        };
        if now >= stored.record.expires_at {
            return Ok(RotateOutcome::Invalid);
        }
        let judged = stored.tokens.judge(
            request.generation,
            &request.secret_hash,
            now,
            request.grace_period,
        );
        Ok(match judged {
            Presented::Retry => RotateOutcome::Retried {
                session: stored.record,
                successor: stored.tokens.current,
            },
            Presented::Reuse => {
                let marker = Marker::session(&request.session_id, request.revoke_until);
                self.revoke(Some(&request.session_id), &[marker]).await?;
                RotateOutcome::Reused {
                    session_id: request.session_id,
                    subject: stored.record.subject,
                }
            }
            Presented::Outdated => RotateOutcome::Outdated,
            // Current, yet the conditional update missed it: it expired (or moved on) in between.
            Presented::Current | Presented::Invalid => RotateOutcome::Invalid,
        })
    }

    async fn revoke_refresh(
        &self,
        session_id: String,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> Result<bool, StoreError> {
        let Some(stored) = self.read_session(&session_id).await? else {
            return Ok(false);
        };
        if !stored
            .tokens
            .is_current_or_previous(generation, &secret_hash)
        {
            return Ok(false);
        }
        self.revoke(Some(&session_id), &[Marker::session(&session_id, until)])
            .await?;
        Ok(true)
    }

    async fn revoke_everywhere(
        &self,
        issuer: String,
        subject: String,
        not_before: i64,
        until: i64,
    ) -> Result<(), StoreError> {
        self.observe(not_before);
        let s = &self.inner.feed.statements;
        let markers = on_pool!(&self.inner.feed.backend, |pool| {
            let mut tx = pool.begin().await?;
            if let (Some(timeout), Some(lock)) = (&s.lock_timeout, &s.lock_sessions) {
                sqlx::query(timeout).execute(&mut *tx).await?;
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let sessions: Vec<String> = sqlx::query_scalar(&s.delete_subject_sessions)
                .bind(&subject)
                .fetch_all(&mut *tx)
                .await?;
            let mut markers: Vec<Marker> = sessions
                .iter()
                .map(|session_id| Marker::session(session_id, until))
                .collect();
            markers.push(Marker::subject(&issuer, &subject, not_before, until));
            for marker in &markers {
                write_marker!(s, &mut *tx, marker);
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(markers)
        })
        .map_err(sql_error)?;
        self.mirror(&markers);
        Ok(())
    }
}

impl SessionStore for SqlStore {
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        let store = self.clone();
        self.boxed(async move { store.create(session).await })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let store = self.clone();
        self.boxed(async move { store.rotate_now(request).await })
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            let marker = Marker::session(&session_id, until);
            store.revoke(Some(&session_id), &[marker]).await
        })
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            store
                .revoke_refresh(session_id, generation, secret_hash, until)
                .await
        })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let (store, jti) = (self.clone(), jti.to_owned());
        self.boxed(async move { store.revoke(None, &[Marker::token(&jti, until)]).await })
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let (store, issuer, subject) = (self.clone(), issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            store
                .revoke_everywhere(issuer, subject, not_before, until)
                .await
        })
    }
}
