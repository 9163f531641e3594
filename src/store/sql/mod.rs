//! `SqlStore`: sessions and revocations in PostgreSQL or SQLite — the store type and its guide (`store.rs`), its
//! builder (`builder.rs`), sessions (`sessions.rs`) and revocations (`revocations.rs`), the schema and every
//! statement in both dialects (`dialect.rs`), a revocation marker as its tables hold it (`marker.rs`), upgrading a sessions table of an earlier version
//! (`migration.rs`), and the
//! revocation log each process's mirror follows (`feed.rs`, with the follower's position and gaps in
//! `position.rs`).

mod builder;
mod dialect;
mod feed;
mod listing;
mod marker;
mod migration;
mod position;
mod revocations;
mod sessions;
mod store;

pub use builder::{SqlStoreBuilder, DEFAULT_POLL_INTERVAL, DEFAULT_SQL_TIMEOUT};
pub use dialect::SqlDialect;
pub use store::SqlStore;
