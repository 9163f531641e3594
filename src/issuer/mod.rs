//! The issuer: [`TokenIssuer`] signs access tokens (RFC 9068 profile) with a [`SigningKey`], keeps its keys in a
//! ring (active, staged, retired) it rotates without a restart, lends that ring to the layers wired to its
//! sessions as their key source, and publishes its public keys with [`JwksEndpoint`].
//!
//! # Rotating the signing key without a restart
//!
//! [`JwksEndpoint`] serves the issuer's public keys at [`JWKS_PATH`] (`Cache-Control: public, max-age=300`), so
//! other services verify its tokens with a remote key set (`keys::Jwks::url`, feature `jwks`); an HMAC secret is
//! never published. A layer wired to the issuer's sessions ([`JwtAuthLayer::for_sessions`]) trusts the ring
//! itself, rotations included: giving one of its keys again with `.key(..)` is a build error, since a static
//! copy would outlive the ring. The recipe for the successor key:
//!
//! 1. [`TokenIssuer::stage`] the next key: published in the key set, not yet signing;
//! 2. wait at least the verifiers' cache lifetime (300 s for the set this endpoint serves);
//! 3. [`TokenIssuer::rotate`] to it: it signs from now on, and the previous key stays published — and
//!    accepted — until every token it signed has expired;
//! 4. a compromised key goes at once with [`TokenIssuer::retire`]: its tokens get 401 `invalid_token` from then
//!    on.
//!
//! ```
//! use tower_jwt_auth::issuer::{JwksEndpoint, JWKS_PATH};
//! use tower_jwt_auth::{Algorithm, SigningKey, TokenIssuer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Your key files (these are the crate's tests').
//! let pem = |name: &str| std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR")));
//! let key = SigningKey::from_pem(Algorithm::ES256, &pem("ec256_private.pem")?)?.with_kid("2026-11")?;
//! let issuer = TokenIssuer::builder(key)
//!     .issuer("https://api.example.com")
//!     .audience("my-api")
//!     .build()?;
//! let app: axum::Router =
//!     axum::Router::new().route_service(JWKS_PATH, JwksEndpoint::new(issuer.clone()));
//!
//! // Later, while serving: publish the successor first …
//! let next = || -> Result<SigningKey, Box<dyn std::error::Error>> {
//!     Ok(SigningKey::from_pem(Algorithm::EdDSA, &pem("ed25519_private.pem")?)?.with_kid("2026-12")?)
//! };
//! issuer.stage(next()?)?;
//! assert_eq!(issuer.active_kid().as_deref(), Some("2026-11"));
//! // … wait at least 300 s (the verifiers' cache), then sign with it.
//! issuer.rotate(next()?)?;
//! assert_eq!(issuer.active_kid().as_deref(), Some("2026-12"));
//! assert_eq!(issuer.jwks().keys.len(), 2); // "2026-11" stays until its tokens have expired
//! issuer.retire("2026-11")?; // only if it leaked: its tokens are refused from now on
//! assert_eq!(issuer.jwks().keys.len(), 1);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The sessions' refresh tokens have a key of their own, which never rotates this way:
//! [`SessionsBuilder::successor_key`](crate::SessionsBuilder::successor_key) (see [`store`](crate::store#many-instances-and-restarts)).
//!
//! [`JwtAuthLayer::for_sessions`]: crate::JwtAuthLayer::for_sessions

mod access_token;
mod builder;
pub(crate) mod jwks_endpoint;
pub(crate) mod key_source;
pub(crate) mod ring;
mod rotation;
pub(crate) mod signing;
pub(crate) mod token_issuer;

pub(crate) use access_token::RESERVED_CLAIMS;
pub use access_token::{AccessToken, IssueError, SessionClaims};
pub use builder::{TokenIssuerBuilder, DEFAULT_ACCESS_TTL};
pub use jwks_endpoint::{JwksEndpoint, JWKS_PATH};
pub use signing::SigningKey;
pub use token_issuer::TokenIssuer;
