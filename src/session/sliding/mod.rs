//! Sliding sessions: on configured actions, a token past its threshold is reissued with a later expiry, never
//! past its session's end (`auth_time + max_session` of its [`Sessions`]).
//!
//! A [`SlidingPolicy`] names only the actions, the threshold and the delivery. The rest is configured once, on
//! the [`Sessions`] the layer is wired to with [`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions):
//! their issuer signs the new tokens (its lifetime is theirs), their `max_session` caps them, their clock decides,
//! and their store is the revocation check that refuses a logged-out session's tokens before any reissue.
//!
//! Only the sessions' own tokens slide: tokens verified by the issuer's key (not by a remote key set or a
//! partner's key), whose `iss` is the issuer's, that belong to a session (`sid`, which covers every reissue:
//! revoking the session stops the whole chain), and whose `exp` has not passed (a token inside the leeway is
//! accepted, never renewed). Other tokens pass through unchanged.
//!
//! The decision ([`SlidingPolicy::decide`]) is a pure function of the token and the time. The layer applies it
//! to requests whose method and path are actions, calls the inner service, and only when that answered 2xx signs
//! the new token and puts it into the response headers (and/or a cookie), with `Cache-Control: no-store`.
//!
//! ```
//! use std::time::Duration;
//! use http::Method;
//! use tower_jwt_auth::{
//!     sliding::SlidingPolicy, Algorithm, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer,
//! };
//!
//! let secret = [7; 32];
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
//!     .issuer("demo")
//!     .audience("demo-api")
//!     .ttl(Duration::from_secs(900))
//!     .build()
//!     .unwrap();
//! let sessions = Sessions::builder(issuer, MemoryStore::new())
//!     .max_session(Duration::from_secs(8 * 3600))
//!     .build()
//!     .unwrap();
//! // The sessions bring their issuer and its keys.
//! let auth = JwtAuthLayer::builder()
//!     .sessions(&sessions)
//!     .sliding(
//!         SlidingPolicy::new()
//!             .action(Method::POST, "/posts")
//!             .action(Method::POST, "/posts/{id}") // axum's syntax: one segment
//!             .action(Method::POST, "/payments/*"), // any path below /payments/
//!     )
//!     .build()
//!     .unwrap();
//! # let _ = auth;
//! ```
//!
//! [`Sessions`]: crate::Sessions

mod action_path;
mod policy;
mod reissue;

pub use policy::{
    ActionMatcher, Reissue, SameSite, SlidingPolicy, Threshold, DEFAULT_SLIDING_HEADER,
};
pub(crate) use reissue::{PendingReissue, Sliding};
