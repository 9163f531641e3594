//! Keys: which keys verify a token (the key that signs the tokens this service issues lives in `issuer`).
//!
//! # Verification keys
//!
//! A [`VerificationKey`] is bound to exactly one [`Algorithm`](crate::Algorithm) (RFC 8725 §3.1): a token whose
//! `alg` differs is refused before any signature check, so an RSA public key can never be used as an HMAC
//! secret. `none` is not an `Algorithm`, so it can never be configured. HMAC secrets shorter than the hash
//! output and RSA keys under 2048 bits are refused when the key is made.
//!
//! A PEM key is checked for its kind when it is made: [`VerificationKey::from_pem`] takes the public half
//! (`-----BEGIN PUBLIC KEY-----`), [`SigningKey::from_pem`](crate::SigningKey::from_pem) the private one, each of
//! the algorithm's family and curve. Anything else is a [`ConfigError::WrongKeyKind`](crate::ConfigError::WrongKeyKind) naming
//! what was expected and what was found:
//!
//! ```text
//! VerificationKey::from_pem: expected an EC P-256 public key PEM (-----BEGIN PUBLIC KEY-----), found an
//! EC P-256 private key (-----BEGIN PRIVATE KEY-----): pass the public half (openssl pkey -in key.pem -pubout); ...
//! ```
//!
//! Give several keys during a rotation: a token's `kid` selects among them, and keys sharing a `kid` (an
//! overlap) are all tried. A token without `kid` is verified with the keys that have none, or with the keys of
//! the only `kid` there is.
//!
//! # Issuers
//!
//! Keys added to the builder form the default trust domain. [`trust_issuer`](crate::JwtAuthBuilder::trust_issuer)
//! adds a named issuer with keys of its own ([`TrustedIssuer`]): a token
//! is routed by its (not yet verified) `iss` to exactly one domain before any signature check, so issuer B's
//! token signed with issuer A's key is refused (RFC 8725 §3.8).
//!
//! ```
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, keys::TrustedIssuer, VerificationKey};
//!
//! let ours = VerificationKey::hmac(Algorithm::HS256, &[1; 32]).unwrap().with_kid("2026-12").unwrap();
//! let partner = TrustedIssuer::new().key(VerificationKey::hmac(Algorithm::HS256, &[2; 32]).unwrap());
//! let layer = JwtAuthLayer::builder()
//!     .key(ours)
//!     .issuer("https://auth.example.com")
//!     .trust_issuer("https://partner.example.net", partner)
//!     .audience("orders-api")
//!     .build()
//!     .unwrap();
//! # let _ = layer;
//! ```
//!
//! # Remote key sets
//!
//! With the `jwks` feature, [`Jwks`] trusts a JWK Set URL or OpenID Connect discovery, with a key
//! cache built for production:
//!
//! - reads are lock-free; one fetch at a time however many requests wait (single flight);
//! - a background task refreshes the set, honouring `Cache-Control: max-age` within configured bounds;
//! - an unknown `kid` triggers at most one refetch per interval, so random kids can't become a fetch flood;
//! - while the provider is down, the last good set keeps verifying, up to a maximum staleness;
//! - every fetch has a timeout; building never waits for the network, and until the first fetch succeeds,
//!   requests get 503.
//!
//! # Signing keys
//!
//! A [`SigningKey`](crate::SigningKey) (in [`issuer`](crate::issuer)) signs the tokens a [`TokenIssuer`](crate::TokenIssuer) mints; it is made from the same forms
//! (HMAC secret, PEM, DER) with the same checks as a verification key.
//!
//! The issuer rotates its key while serving: [`stage`](crate::TokenIssuer::stage) publishes the next key (in
//! [`TokenIssuer::jwks`](crate::TokenIssuer::jwks), served by [`JwksEndpoint`](crate::issuer::JwksEndpoint)) before it
//! signs anything, [`rotate`](crate::TokenIssuer::rotate) makes it sign, and the key it replaces stays published
//! until every token it signed has expired. A layer wired to the issuer's sessions trusts all of these keys by
//! itself; other services trust them through the published set ([`Jwks::url`]).

// `Jwks` exists only with its feature; docs.rs builds every feature.
#![cfg_attr(not(feature = "jwks"), allow(rustdoc::broken_intra_doc_links))]

pub(crate) mod der_kind;
#[cfg(feature = "jwks")]
pub(crate) mod jwks;
pub(crate) mod key_set;
pub(crate) mod material;
pub(crate) mod pem_kind;
pub(crate) mod prepared;
pub(crate) mod source;
pub(crate) mod trust;
pub(crate) mod verification;

pub use jsonwebtoken::jwk::Jwk;
pub use jsonwebtoken::DecodingKey;
#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
pub use jwks::{FetchError, FetchFuture, FetchedDocument, HyperFetcher, Jwks, JwksFetcher};
pub use trust::TrustedIssuer;
pub use verification::VerificationKey;
