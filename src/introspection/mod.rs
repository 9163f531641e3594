//! Remote token introspection (RFC 7662, feature `introspection`): the layer accepts tokens it cannot verify
//! itself — opaque tokens, or JWTs of an issuer that must be asked whether they are still live — by asking the
//! identity provider's introspection endpoint.
//!
//! - Every call authenticates with the provider's client credentials (`client_secret_basic`) and has a timeout.
//! - Answers are cached by a SHA-256 of the token, never past the token's `exp` nor [`Introspection::cache_ttl`],
//!   in a cache bounded by [`Introspection::cache_capacity`].
//! - One call is in flight per token however many requests wait for it (single flight).
//! - A provider that can't be reached (or answers garbage) is 503 for a token not in the cache: never an
//!   acceptance.
//! - An active answer becomes [`Claims`](crate::Claims) and [`TokenInfo`](crate::TokenInfo) as a verified JWT's
//!   claims would, and meets the same rules: time claims, audience, requirements (scopes, predicates), the DPoP
//!   binding of its `cnf`, and the revocation store.
//!
//! ```no_run
//! # fn run() -> Result<(), tower_jwt_auth::ConfigError> {
//! use std::time::Duration;
//! use tower_jwt_auth::{introspection::Introspection, JwtAuthLayer};
//!
//! let auth = JwtAuthLayer::builder()
//!     .issuer("https://auth.example.com/realms/main")
//!     .audience("orders-api")
//!     .introspection(
//!         Introspection::new(
//!             "https://auth.example.com/realms/main/protocol/openid-connect/token/introspect",
//!             "orders-api",
//!             "client-secret",
//!         )?
//!         .issuer("https://auth.example.com/realms/main")
//!         .cache_ttl(Duration::from_secs(30)),
//!     )
//!     .build()?;
//! # let _ = auth; Ok(()) }
//! ```

mod client;
mod flight;
mod judged;

use std::fmt;
use std::time::Duration;

use http::Uri;

use crate::error::ConfigError;
use crate::keys::jwks::is_loopback;

pub(crate) use client::{Answer, IntrospectionClient};
pub(crate) use judged::LayerIntrospection;

/// Default time limit of one introspection call.
pub const DEFAULT_INTROSPECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// Default longest reuse of an answer.
pub const DEFAULT_INTROSPECTION_CACHE_TTL: Duration = Duration::from_secs(60);
/// Default bound on the number of cached answers.
pub const DEFAULT_INTROSPECTION_CACHE_CAPACITY: usize = 100_000;

/// A remote RFC 7662 introspection endpoint the layer asks about tokens it can't verify itself. Give it to
/// [`JwtAuthBuilder::introspection`](crate::JwtAuthBuilder::introspection); see the [module docs](self).
///
/// Which tokens are introspected: every token that is not a JWS compact serialization (opaque tokens); with
/// [`introspect_jwts`](Self::introspect_jwts), also the JWTs whose (unverified) `iss` is the provider's
/// [`issuer`](Self::issuer) — not verified locally at all, so a logout at the provider takes effect as soon as
/// cached answers lapse.
#[derive(Clone)]
pub struct Introspection {
    pub(crate) url: Uri,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) issuer: Option<String>,
    pub(crate) introspect_jwts: bool,
    pub(crate) timeout: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) cache_capacity: usize,
    pub(crate) allow_http: bool,
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the client secret.
        f.debug_struct("Introspection")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("issuer", &self.issuer)
            .field("introspect_jwts", &self.introspect_jwts)
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_capacity", &self.cache_capacity)
            .finish_non_exhaustive()
    }
}

impl Introspection {
    /// The introspection endpoint at `url` (`https://…`; plain `http` only on a loopback host with
    /// [`allow_http`](Self::allow_http), checked when the layer is built), called as client `client_id` with
    /// `client_secret`.
    pub fn new(
        url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidUrl {
            setting: "Introspection::new",
            url: url.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| invalid())?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
            return Err(invalid());
        }
        Ok(Self {
            url: uri,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            issuer: None,
            introspect_jwts: false,
            timeout: DEFAULT_INTROSPECTION_TIMEOUT,
            cache_ttl: DEFAULT_INTROSPECTION_CACHE_TTL,
            cache_capacity: DEFAULT_INTROSPECTION_CACHE_CAPACITY,
            allow_http: false,
        })
    }

    /// The provider's issuer: an active answer naming no `iss` is taken as this issuer's, one naming another
    /// is refused, and answers are held to this issuer rather than the layer's accepted ones. Without it, an
    /// answer must name an issuer the layer accepts.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Also introspects the JWTs whose `iss` is the [`issuer`](Self::issuer) (required with it), instead of
    /// verifying them locally.
    pub fn introspect_jwts(mut self) -> Self {
        self.introspect_jwts = true;
        self
    }

    /// Time limit of one call (default 3 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest reuse of an answer (default 60 s); an active answer is never reused past the token's `exp`.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// How many answers the cache holds at most (default 100 000).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Lets the endpoint be plain `http://` on a loopback host (`localhost`, `127.0.0.0/8`, `::1`), for tests
    /// and local development; any other `http` host is still refused (the client secret and the tokens would
    /// travel in the clear).
    pub fn allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// The settings checked, and the client that calls the endpoint.
    pub(crate) fn start(self) -> Result<IntrospectionClient, ConfigError> {
        let secure = self.url.scheme_str() == Some("https");
        let local = self.allow_http && is_loopback(&self.url);
        if !(secure || local) {
            return Err(ConfigError::InvalidUrl {
                setting: "Introspection::new (plain http is allowed only on a loopback host, with \
                          Introspection::allow_http)",
                url: self.url.to_string(),
            });
        }
        if self.timeout.is_zero() || self.cache_capacity == 0 {
            return Err(ConfigError::InvalidDuration {
                setting: "Introspection::timeout / Introspection::cache_capacity",
                expected: "a timeout above zero and a cache capacity of at least one answer",
            });
        }
        if self.introspect_jwts && self.issuer.is_none() {
            return Err(ConfigError::Missing(
                "Introspection::issuer: introspect_jwts() introspects the JWTs of the provider's issuer; name it",
            ));
        }
        Ok(IntrospectionClient::new(self))
    }
}
