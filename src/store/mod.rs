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
//!
//! # Many instances and restarts
//!
//! Instances behind a load balancer (`RedisStore`, or `SqlStore` on PostgreSQL), or one server that keeps its
//! sessions across restarts (`SqlStore`), work only if every instance — and every restart — agrees on three
//! things:
//!
//! - **the store**: the same Redis (or Cluster, with one `prefix` per application) or the same database;
//! - **the signing key** of the [`TokenIssuer`](crate::TokenIssuer): a random secret or key made per process
//!   makes every token of the others (or of before the restart) fail verification — the demo warns when
//!   `JWT_SECRET` is not set for that reason;
//! - **the successor key** of the sessions,
//!   [`SessionsBuilder::successor_key`](crate::SessionsBuilder::successor_key): 32 random bytes (made once,
//!   e.g. `openssl rand -hex 32`, kept beside the signing key in your secret store) that tag every refresh
//!   token, so a token rotated on one instance is recognised — and its reuse detected — on another.
//!   `build()` refuses a shared or persistent store ([`SessionStore::is_shared_or_persistent`]) without it;
//!   only a process-local store such as [`MemoryStore`] may go without, with a random key per process.
//!
//! Run Redis with `maxmemory-policy noeviction` (an evicting policy may drop revocation markers, which
//! re-validates revoked tokens): `RedisStore::builder(url).require_noeviction()` makes `build()` fail otherwise,
//! `.fail_if_unreachable()` when Redis does not answer.
//!
//! ```no_run
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, RedisStore, Sessions, SigningKey, TokenIssuer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Both from your secret store: the same bytes on every instance and after every restart.
//! let signing_secret = [42u8; 32];
//! let successor_key = [7u8; 32];
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &signing_secret)?)
//!     .issuer("https://auth.example.com")
//!     .audience("my-api")
//!     .build()?;
//! let store = RedisStore::builder("redis://127.0.0.1:6379")
//!     .prefix("my-app")
//!     .require_noeviction()
//!     .build()
//!     .await?;
//! let sessions = Sessions::builder(issuer, store)
//!     .successor_key(successor_key) // without it, build() refuses the shared store
//!     .build()?;
//! let auth = JwtAuthLayer::for_sessions(&sessions).build()?;
//! # let _ = (sessions, auth);
//! # Ok(())
//! # }
//! ```
//!
//! The issuer's signing key can change while serving (publish the successor first, then rotate): see
//! [`issuer`](crate::issuer#rotating-the-signing-key-without-a-restart).

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
