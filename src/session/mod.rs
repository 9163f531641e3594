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
//!
//! # Refresh tokens
//!
//! Refresh tokens are opaque: `rt_<session>.<generation>.<secret>` — a 128-bit session id (base64url), the token's
//! generation in its session (decimal, 0 at login), and a 256-bit secret (base64url). The store keeps only
//! SHA-256(secret). A token bound to a DPoP key (see [`dpop`](crate::dpop)) has a fourth part, the key's
//! thumbprint; one bound to a client certificate (see [`certificate`](crate::certificate)) ends in
//! `.x5t.<thumbprint>`. Both the tag and the stored hash cover the binding: a bound token stripped of its
//! binding, or moved to another key or certificate, matches nothing.
//!
//! The secret is 128 bits of entropy followed by a 128-bit tag, an HMAC under the server key of the session id,
//! the generation and the entropy. The tag lets [`Sessions`] recognise *any* earlier token of a
//! session as genuine in constant time (and revoke the family on its reuse) while the store keeps only the
//! current and previous hashes. A successor's entropy is derived from its predecessor's secret with the same
//! key, so a retry inside the grace period gets the identical successor, and nobody without the key can
//! compute one.
//!
//! Stores never parse a token: a rotation names its session explicitly
//! ([`RotateRequest::session_id`](crate::store::RotateRequest::session_id)) and hands over only hashes
//! ([`RefreshGrant::secret_hash`](crate::store::RefreshGrant::secret_hash)). The stores themselves, and the
//! contract they keep, are in [`store`](crate::store).
//!
//! # Your devices
//!
//! [`Sessions::sessions_of`] lists the live sessions of the user of a verified token, a bounded page at a time
//! ([`DeviceList`], [`DeviceSession`]: start, last refresh, end, the user agent recorded at login with
//! [`LoginOptions::user_agent`], and whether it is the caller's own); [`Sessions::end_session_of`] ends one of
//! them by id, and only one of the caller's own; that is reported as the [audit event](crate::audit)
//! `session_ended`.
//!
//! # Endpoints
//!
//! [`RefreshEndpoint`] (RFC 6749 §6) and [`RevokeEndpoint`] (RFC 7009) are tower services over [`Sessions`], for
//! axum's `route_service`, hyper or tonic. For browsers, [`BrowserSessions`] deliver the pair as cookies with a
//! CSRF token bound to the session, through [`BrowserRefreshEndpoint`] and [`BrowserLogoutEndpoint`].

mod backchannel;
mod browser;
mod builder;
mod devices;
mod endpoint;
mod endpoint_certificates;
mod error_response;
mod introspection;
mod login;
mod logout;
mod logout_endpoint;
mod options;
mod pair;
mod reauthenticate;
mod refresh;
mod refresh_proof;
mod refresh_token;
mod session_error;
mod sessions;
pub mod sliding;
#[cfg(feature = "metrics")]
pub(crate) mod timed_store;

pub use backchannel::BackchannelLogout;
pub(crate) use backchannel::{LentVerification, LogoutVerifier};
pub(crate) use browser::is_cross_site as browser_is_cross_site;
pub use browser::{
    BrowserLogoutEndpoint, BrowserRefreshEndpoint, BrowserSessions, BrowserSessionsBuilder,
    CsrfTokens, DEFAULT_ACCESS_COOKIE, DEFAULT_CSRF_COOKIE, DEFAULT_CSRF_HEADER,
    DEFAULT_REFRESH_COOKIE,
};
pub use builder::{SessionsBuilder, MAX_GRACE_PERIOD};
pub use devices::{DeviceList, DeviceSession, DEVICE_PAGE_SIZE};
pub(crate) use endpoint::AccessVerifier;
pub use endpoint::{RefreshEndpoint, RevokeEndpoint};
pub use introspection::IntrospectionEndpoint;
pub use logout_endpoint::LogoutEndpoint;
pub use options::{LoginOptions, RefreshOptions, MAX_USER_AGENT_LEN};
pub use pair::TokenPair;
pub use session_error::SessionError;
pub use sessions::Sessions;
