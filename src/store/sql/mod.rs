//! `SqlStore`: sessions and revocations in PostgreSQL or SQLite — the store (`store.rs`), the schema and every
//! statement in both dialects (`dialect.rs`), and the revocation log each process's mirror follows (`feed.rs`).

mod dialect;
mod feed;
mod store;

pub use dialect::SqlDialect;
pub use store::{SqlStore, SqlStoreBuilder, DEFAULT_POLL_INTERVAL, DEFAULT_SQL_TIMEOUT};
