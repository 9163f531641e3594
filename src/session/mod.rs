//! Sessions: login hands out an access + refresh pair, refresh rotates the refresh token atomically and detects
//! reuse, logout revokes the session (and, through `sid`, its access tokens).
//!
//! ```
//! use std::time::Duration;
//! use tower_jwt_auth::{Algorithm, MemoryStore, Sessions, SigningKey, TokenIssuer};
//!
//! # tokio_test();
//! # fn tokio_test() { tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
//!     .issuer("demo")
//!     .audience("demo-api")
//!     .build()
//!     .unwrap();
//! let store = MemoryStore::new();
//! let sessions = Sessions::builder(issuer, store.clone())
//!     .refresh_ttl(Duration::from_secs(14 * 24 * 3600))
//!     .max_session(Duration::from_secs(30 * 24 * 3600))
//!     .build()
//!     .unwrap();
//!
//! let pair = sessions.login("alice", &serde_json::json!({ "scope": "read" })).await.unwrap();
//! let next = sessions.refresh(pair.refresh_token()).await.unwrap();
//! // The first refresh token was rotated: using it again is reuse, and revokes the whole session.
//! assert!(sessions.refresh(pair.refresh_token()).await.is_err());
//! assert!(sessions.refresh(next.refresh_token()).await.is_err());
//! # }) }
//! ```

mod endpoint;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod refresh_token;
mod sessions;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder, DEFAULT_REDIS_TIMEOUT};
pub use endpoint::{RefreshEndpoint, RevokeEndpoint};
pub use memory::MemoryStore;
pub use sessions::{SessionError, Sessions, SessionsBuilder, TokenPair, MAX_GRACE_PERIOD};
pub use store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
