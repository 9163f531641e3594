//! The SQL store's backends (PostgreSQL, SQLite), its schema, and every statement it runs — written once, in
//! SQL both dialects accept (`$n` parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`, `CASE` for the larger of
//! two values), with the table prefix put in when the store is built.

use std::fmt;

/// A SQL database the [`SqlStore`](crate::SqlStore) runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlDialect {
    /// PostgreSQL 12 or later (feature `postgres`).
    Postgres,
    /// SQLite 3.35 or later, bundled (feature `sqlite`).
    Sqlite,
}

/// The pool a store runs on: the application's own.
#[derive(Clone)]
pub(crate) enum Backend {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

impl Backend {
    pub(crate) fn dialect(&self) -> SqlDialect {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => SqlDialect::Postgres,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => SqlDialect::Sqlite,
        }
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.dialect(), f)
    }
}

/// Awaits `$body` (an async block's contents, whose `?` stays inside it) with `$pool` bound to the backend's
/// concrete pool: the statements are the same for both, the compiler makes one copy per database.
macro_rules! on_pool {
    ($backend:expr, |$pool:ident| $body:expr) => {
        match $backend {
            #[cfg(feature = "postgres")]
            $crate::store::sql::dialect::Backend::Postgres($pool) => async { $body }.await,
            #[cfg(feature = "sqlite")]
            $crate::store::sql::dialect::Backend::Sqlite($pool) => async { $body }.await,
        }
    };
}
pub(crate) use on_pool;

/// Whether `prefix` can start table names unquoted: `[A-Za-z_][A-Za-z0-9_]*`, at most 40 characters.
pub(crate) fn is_valid_prefix(prefix: &str) -> bool {
    crate::store::key_prefix::is_plain_prefix(prefix, 40, &[])
}

/// The schema: four tables, created if missing (idempotent).
///
/// - `<prefix>sessions`: one row per live session, whatever its number of rotations — the current refresh
///   token's generation, SHA-256 hash and idle expiry, the previous token's hash, when it was rotated, and for
///   the device list when it started and its user agent (both nullable: rows of earlier versions have neither,
///   see [`SESSION_COLUMNS_ADDED`]); indexed by subject, and by (subject, end, id) for paging.
/// - `<prefix>revocations`: the live revocation markers (`kind` `j` a token id, `s` a session, `n` a
///   subject's "logged out everywhere" of one issuer, `p` an identity provider's session ended by its
///   back-channel logout), each kept until `until_at`.
/// - `<prefix>revocation_log`: every revocation, in order (`seq`), which each process's mirror follows.
/// - `<prefix>dpop_proofs`: the DPoP proofs used (when the store is a replay cache), each kept until it expires.
pub(crate) fn schema(dialect: SqlDialect, prefix: &str) -> Vec<String> {
    let (bytes, serial) = match dialect {
        SqlDialect::Postgres => ("BYTEA", "BIGSERIAL PRIMARY KEY"),
        SqlDialect::Sqlite => ("BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    };
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {prefix}sessions (
    session_id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    claims TEXT NOT NULL,
    generation BIGINT NOT NULL,
    current_hash {bytes} NOT NULL,
    refresh_expires_at BIGINT NOT NULL,
    previous_hash {bytes},
    rotated_at BIGINT NOT NULL,
    created_at BIGINT,
    user_agent TEXT
)"
        ),
        format!("CREATE INDEX IF NOT EXISTS {prefix}sessions_subject ON {prefix}sessions (subject)"),
        page_index(prefix),
        format!(
            "CREATE INDEX IF NOT EXISTS {prefix}sessions_expiry ON {prefix}sessions (refresh_expires_at)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {prefix}revocations (
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    id TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    PRIMARY KEY (kind, issuer, id)
)"
        ),
        format!("CREATE INDEX IF NOT EXISTS {prefix}revocations_until ON {prefix}revocations (until_at)"),
        format!(
            "CREATE TABLE IF NOT EXISTS {prefix}revocation_log (
    seq {serial},
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    id TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    until_at BIGINT NOT NULL
)"
        ),
        format!("CREATE INDEX IF NOT EXISTS {prefix}revocation_log_until ON {prefix}revocation_log (until_at)"),
        format!(
            "CREATE TABLE IF NOT EXISTS {prefix}dpop_proofs (
    proof_key {bytes} PRIMARY KEY,
    until_at BIGINT NOT NULL
)"
        ),
        format!("CREATE INDEX IF NOT EXISTS {prefix}dpop_proofs_until ON {prefix}dpop_proofs (until_at)"),
    ]
}

/// The index the device list pages through: a subject's sessions in (end, id) order.
pub(crate) fn page_index(prefix: &str) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS {prefix}sessions_page ON {prefix}sessions (subject, expires_at, session_id)"
    )
}

/// The columns `<prefix>sessions` gained after its first release (for the device list), with their types:
/// `build` adds those an existing table lacks, and [`SqlStore::schema_upgrade`](crate::SqlStore::schema_upgrade)
/// writes the statements for your migrations.
pub(crate) const SESSION_COLUMNS_ADDED: [(&str, &str); 2] =
    [("created_at", "BIGINT"), ("user_agent", "TEXT")];

/// PostgreSQL: one schema creation at a time, so replicas starting together do not race on the catalog.
pub(crate) const SCHEMA_LOCK: &str = "SELECT pg_advisory_xact_lock(7216042101)";

/// Every statement of one store, with its prefix.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) create_session: String,
    /// The conditional rotation: only the current token, with its secret, of a live session, moves on.
    pub(crate) rotate: String,
    pub(crate) read_session: String,
    /// A page of a subject's live sessions in (end, id) order: the first page, then the page after a position.
    pub(crate) list_first: String,
    pub(crate) list_after: String,
    pub(crate) delete_session: String,
    /// PostgreSQL: keeps logins out while a subject is logged out everywhere (SQLite writes are serialised).
    pub(crate) lock_sessions: Option<String>,
    /// PostgreSQL: a table lock not granted within 2 s fails the call, rather than queue behind others.
    pub(crate) lock_timeout: Option<String>,
    pub(crate) delete_subject_sessions: String,
    /// Inserts a marker or makes it longer (or its not-before later); no row is affected when it would change
    /// nothing, and then nothing is logged.
    pub(crate) upsert_marker: String,
    pub(crate) log_marker: String,
    /// The markers in key order, a page at a time: the first page, then the page after a key.
    pub(crate) markers_first: String,
    pub(crate) markers_after: String,
    pub(crate) last_seq: String,
    pub(crate) recent_seqs: String,
    pub(crate) log_after: String,
    pub(crate) log_between: String,
    pub(crate) sweep_sessions: String,
    pub(crate) sweep_markers: String,
    pub(crate) sweep_log: String,
    /// Records a DPoP proof's use: one row affected the first time (or once the earlier use has expired).
    pub(crate) remember_proof: String,
    pub(crate) sweep_proofs: String,
    /// A step-up: the claims and `auth_time` of a live session of the subject (one row affected).
    pub(crate) reauthenticate: String,
}

/// What the device list reads of a session beside its record, in this order: the last rotation, the start (a
/// row of an earlier version has none: its `auth_time`), the user agent.
const DEVICE_COLUMNS: &str = "rotated_at, COALESCE(created_at, auth_time), user_agent";

/// How many expired rows of each table one sweep statement removes at most (a sweep repeats it while it
/// removes full batches).
pub(crate) const SWEEP_BATCH: i64 = 1000;
/// How many markers one hydration query reads.
pub(crate) const MARKER_PAGE: i64 = 1000;
/// How many log entries one poll reads at most.
pub(crate) const LOG_BATCH: i64 = 1000;

impl Statements {
    pub(crate) fn new(dialect: SqlDialect, p: &str) -> Self {
        let larger = |column: &str| {
            format!(
                "CASE WHEN excluded.{column} > {p}revocations.{column} THEN excluded.{column} \
                 ELSE {p}revocations.{column} END"
            )
        };
        Self {
            create_session: format!(
                "INSERT INTO {p}sessions (session_id, subject, auth_time, expires_at, claims, generation, \
                 current_hash, refresh_expires_at, previous_hash, rotated_at, created_at, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11)"
            ),
            rotate: format!(
                "UPDATE {p}sessions SET generation = generation + 1, previous_hash = current_hash, \
                 current_hash = $4, \
                 refresh_expires_at = CASE WHEN $5 < expires_at THEN $5 ELSE expires_at END, rotated_at = $6 \
                 WHERE session_id = $1 AND generation = $2 AND current_hash = $3 \
                 AND refresh_expires_at > $6 AND expires_at > $6 \
                 RETURNING subject, auth_time, expires_at, claims, generation, refresh_expires_at, \
                 {DEVICE_COLUMNS}"
            ),
            read_session: format!(
                "SELECT subject, auth_time, expires_at, claims, generation, current_hash, refresh_expires_at, \
                 previous_hash, {DEVICE_COLUMNS} FROM {p}sessions WHERE session_id = $1"
            ),
            list_first: format!(
                "SELECT session_id, subject, auth_time, expires_at, claims, {DEVICE_COLUMNS} FROM {p}sessions \
                 WHERE subject = $1 AND expires_at > $2 AND refresh_expires_at > $2 \
                 ORDER BY expires_at, session_id LIMIT $3"
            ),
            list_after: format!(
                "SELECT session_id, subject, auth_time, expires_at, claims, {DEVICE_COLUMNS} FROM {p}sessions \
                 WHERE subject = $1 AND expires_at > $2 AND refresh_expires_at > $2 \
                 AND (expires_at, session_id) > ($4, $5) ORDER BY expires_at, session_id LIMIT $3"
            ),
            delete_session: format!("DELETE FROM {p}sessions WHERE session_id = $1"),
            lock_sessions: (dialect == SqlDialect::Postgres).then(|| {
                format!("LOCK TABLE {p}sessions IN SHARE ROW EXCLUSIVE MODE")
            }),
            lock_timeout: (dialect == SqlDialect::Postgres)
                .then(|| "SET LOCAL lock_timeout = '2s'".to_owned()),
            delete_subject_sessions: format!(
                "DELETE FROM {p}sessions WHERE subject = $1 RETURNING session_id"
            ),
            upsert_marker: format!(
                "INSERT INTO {p}revocations (kind, issuer, id, not_before, until_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (kind, issuer, id) DO UPDATE SET not_before = {}, until_at = {} \
                 WHERE excluded.until_at > {p}revocations.until_at \
                 OR excluded.not_before > {p}revocations.not_before",
                larger("not_before"),
                larger("until_at")
            ),
            log_marker: format!(
                "INSERT INTO {p}revocation_log (kind, issuer, id, not_before, until_at) \
                 VALUES ($1, $2, $3, $4, $5)"
            ),
            markers_first: format!(
                "SELECT kind, issuer, id, not_before, until_at FROM {p}revocations \
                 ORDER BY kind, issuer, id LIMIT {MARKER_PAGE}"
            ),
            markers_after: format!(
                "SELECT kind, issuer, id, not_before, until_at FROM {p}revocations \
                 WHERE (kind, issuer, id) > ($1, $2, $3) ORDER BY kind, issuer, id LIMIT {MARKER_PAGE}"
            ),
            last_seq: format!("SELECT COALESCE(MAX(seq), 0) FROM {p}revocation_log"),
            recent_seqs: format!("SELECT seq FROM {p}revocation_log WHERE seq > $1 ORDER BY seq"),
            log_after: format!(
                "SELECT seq, kind, issuer, id, not_before, until_at FROM {p}revocation_log \
                 WHERE seq > $1 ORDER BY seq LIMIT {LOG_BATCH}"
            ),
            log_between: format!(
                "SELECT seq, kind, issuer, id, not_before, until_at FROM {p}revocation_log \
                 WHERE seq >= $1 AND seq <= $2 ORDER BY seq"
            ),
            // The condition is repeated outside the subquery: on PostgreSQL the DELETE re-checks it on a row a
            // concurrent write extended after the subquery's snapshot, which then stays. (The refresh expiry is
            // capped at the session end, so it alone says when a session is over.)
            sweep_sessions: format!(
                "DELETE FROM {p}sessions WHERE session_id IN (SELECT session_id FROM {p}sessions \
                 WHERE refresh_expires_at <= $1 LIMIT {SWEEP_BATCH}) AND refresh_expires_at <= $1"
            ),
            sweep_markers: format!(
                "DELETE FROM {p}revocations WHERE (kind, issuer, id) IN (SELECT kind, issuer, id \
                 FROM {p}revocations WHERE until_at <= $1 LIMIT {SWEEP_BATCH}) AND until_at <= $1"
            ),
            sweep_log: format!(
                "DELETE FROM {p}revocation_log WHERE seq IN (SELECT seq FROM {p}revocation_log \
                 WHERE until_at <= $1 LIMIT {SWEEP_BATCH}) AND until_at <= $1"
            ),
            remember_proof: format!(
                "INSERT INTO {p}dpop_proofs (proof_key, until_at) VALUES ($1, $2) \
                 ON CONFLICT (proof_key) DO UPDATE SET until_at = excluded.until_at \
                 WHERE {p}dpop_proofs.until_at < $3"
            ),
            // `<`, as the upsert above: a proof recorded until `now` is still a replay at `now`.
            sweep_proofs: format!(
                "DELETE FROM {p}dpop_proofs WHERE proof_key IN (SELECT proof_key FROM {p}dpop_proofs \
                 WHERE until_at < $1 LIMIT {SWEEP_BATCH}) AND until_at < $1"
            ),
            reauthenticate: format!(
                "UPDATE {p}sessions SET auth_time = $3, claims = $4 \
                 WHERE session_id = $1 AND subject = $2 AND expires_at > $5"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_plain_identifiers() {
        for good in ["jwt_auth_", "a", "_x9"] {
            assert!(is_valid_prefix(good), "{good}");
        }
        for bad in ["", "9a", "a-b", "a;drop", "a b", &"x".repeat(41)] {
            assert!(!is_valid_prefix(bad), "{bad}");
        }
    }
}
