//! Upgrading a sessions table of an earlier version: the columns the device list added
//! ([`SESSION_COLUMNS_ADDED`]), added by `build` when missing, written out for your own migrations
//! ([`SqlStore::schema_upgrade`]), and checked at every `build`.

use crate::store::sql::dialect::{on_pool, page_index, Backend, SqlDialect, SESSION_COLUMNS_ADDED};
use crate::store::sql::feed::sql_error;
use crate::store::sql::store::SqlStore;
use crate::store::StoreError;

/// The statement that adds `column` to `<prefix>sessions`.
fn add_column(prefix: &str, (column, kind): (&str, &str)) -> String {
    format!("ALTER TABLE {prefix}sessions ADD COLUMN {column} {kind}")
}

/// How many columns named `column` `<prefix>sessions` has (0 or 1).
fn column_count(dialect: SqlDialect, prefix: &str, column: &str) -> String {
    match dialect {
        // Unquoted names are folded to lower case by PostgreSQL.
        SqlDialect::Postgres => format!(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = lower('{prefix}sessions') AND column_name = '{column}'"
        ),
        SqlDialect::Sqlite => {
            format!("SELECT COUNT(*) FROM pragma_table_info('{prefix}sessions') WHERE name = '{column}'")
        }
    }
}

/// The statements that add what a sessions table of an earlier version lacks (`build` runs them, inside its
/// schema transaction, for the columns that are missing).
pub(crate) fn upgrade_statements(dialect: SqlDialect, prefix: &str) -> Vec<(String, String)> {
    SESSION_COLUMNS_ADDED
        .iter()
        .map(|&column| {
            (
                column_count(dialect, prefix, column.0),
                add_column(prefix, column),
            )
        })
        .collect()
}

impl SqlStore {
    /// The statements that upgrade the schema of an earlier version (before the device list) for a store that
    /// does not create its own ([`SqlStoreBuilder::without_schema`](crate::store::SqlStoreBuilder::without_schema)):
    /// two nullable columns of `<prefix>sessions`, `created_at` and `user_agent` (rows written before them list
    /// their `auth_time` as the start and no user agent), and the index the list pages through. Run them once,
    /// in your migrations; `build` checks that the columns exist. A store that creates its schema adds them
    /// itself. Fails for a prefix `build` would refuse.
    pub fn schema_upgrade(dialect: SqlDialect, table_prefix: &str) -> Result<String, StoreError> {
        Self::schema(dialect, table_prefix)?;
        let mut statements: Vec<String> = SESSION_COLUMNS_ADDED
            .iter()
            .map(|&column| add_column(table_prefix, column))
            .collect();
        statements.push(page_index(table_prefix));
        Ok(statements.into_iter().map(|s| s + ";\n").collect())
    }
}

/// Fails, saying how to upgrade, when `<prefix>sessions` lacks a column of the device list.
pub(crate) async fn check_columns(backend: &Backend, prefix: &str) -> Result<(), StoreError> {
    let probe = format!(
        "SELECT {} FROM {prefix}sessions WHERE 1 = 0",
        SESSION_COLUMNS_ADDED.map(|(column, _)| column).join(", ")
    );
    let probed = on_pool!(backend, |pool| {
        sqlx::query(&probe).fetch_optional(pool).await.map(drop)
    });
    probed.map_err(|e| {
        StoreError::new(format!(
            "the table {prefix}sessions is missing, or lacks the device list's columns (created_at, \
             user_agent): apply SqlStore::schema_upgrade(..) in your migrations, or let build() create the \
             schema ({})",
            sql_error(e)
        ))
    })
}
