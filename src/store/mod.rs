//! Where sessions and revocations are kept: the [`SessionStore`] contract, the [`RevocationCheck`] the verifying
//! layer consults, and the stores that come with the crate — [`MemoryStore`] (one process, bounded),
//! `RedisStore` (feature `redis`, many processes, one Redis or a Cluster) and `SqlStore` (features `postgres`,
//! `sqlite`: in your database, surviving restarts).
//!
//! This room knows token facts ([`TokenInfo`](crate::TokenInfo)), its errors and the clock; never the layer, the
//! sessions, the metrics or the DPoP rules that use it (the DPoP replay cache the shared stores offer is implemented
//! in `dpop`, over the stores' one-time keys; the timed wrapper `Sessions` puts around its store lives in
//! `session`). The networked stores answer revocation checks from a local mirror that follows a feed of revocations (a
//! Redis stream, a SQL log table), so the layer's check makes no round trip.
//!
//! The session store contract: every method is one atomic operation, so SQL (one transaction) and Redis (one
//! Lua script) can implement it with the same guarantees as [`MemoryStore`].
//!
//! A session keeps a constant amount of state however often it is refreshed: the current refresh token's
//! generation and hash, the previous token's hash (for the grace period and for reuse detection without the
//! server key), and when the last rotation happened. Older generations are recognised by
//! [`Sessions`](crate::Sessions), which tags every refresh token with a server key: the store answers
//! [`RotateOutcome::Outdated`] and `Sessions` checks the presented token's tag.
//!
//! Stores never choose how long a revocation lasts: every revocation carries its `until`, computed by
//! [`Sessions`](crate::Sessions) in one place (the covered tokens' latest expiry plus
//! [`REVOCATION_MARGIN`]).
//!
//! Besides the three stores that come with the crate, any type of yours implementing [`SessionStore`] works
//! (see its docs for a complete example; with the `test-util` feature, the `testing` module runs the crate's
//! store conformance suite and lifecycle model test against it).

mod contract;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod follower;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod key_prefix;
mod listing;
mod memory;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod mirror;
pub(crate) mod presented;
mod reauthentication;
#[cfg(feature = "redis")]
mod redis;
mod revocation;
mod revocations;
mod shared;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod sql;

pub use contract::{
    NewSession, RefreshGrant, RefreshTokenState, RotateOutcome, RotateRequest, SessionPage,
    SessionRecord, SessionStore,
};
pub use listing::{ListSessions, SessionCursor, MAX_SESSION_PAGE};
pub use memory::MemoryStore;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub use mirror::DEFAULT_MAX_FEED_LAG;
pub use reauthentication::Reauthentication;
#[cfg(feature = "redis")]
pub use redis::{RedisStore, RedisStoreBuilder, DEFAULT_REDIS_TIMEOUT};
pub use revocation::{Lookup, RevocationCheck, StoreError, StoreFuture, REVOCATION_MARGIN};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use sql::{SqlDialect, SqlStore, SqlStoreBuilder, DEFAULT_POLL_INTERVAL, DEFAULT_SQL_TIMEOUT};
