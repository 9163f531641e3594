//! `RedisStore`: sessions and revocations on one Redis or a Redis Cluster — the store and its scripts
//! (`store.rs`), its connection (`connection.rs`), its key names (`keys.rs`), and the revocation feed each
//! process's mirror follows (`feed.rs`).

mod connection;
mod feed;
mod keys;
mod store;

pub use store::{RedisStore, RedisStoreBuilder, DEFAULT_REDIS_TIMEOUT};
