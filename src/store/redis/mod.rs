//! `RedisStore`: sessions and revocations on one Redis or a Redis Cluster — the store type and its guide
//! (`store.rs`), its builder and the server checks (`builder.rs`), its Lua scripts (`scripts.rs`), sessions
//! (`sessions.rs`, step-ups in `reauthenticate.rs`), the device list (`listing.rs`) and revocations (`revocations.rs`), its connection (`connection.rs`), its key names
//! (`keys.rs`), and the revocation feed each process's mirror follows (`feed.rs`).

mod builder;
mod connection;
mod feed;
mod keys;
mod listing;
mod reauthenticate;
mod refresh_state;
mod revocations;
mod scripts;
mod sessions;
mod store;

pub use builder::{RedisStoreBuilder, DEFAULT_REDIS_TIMEOUT};
pub use store::RedisStore;
