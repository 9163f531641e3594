//! [`JwtAuthBuilder`]: every setting of the verifying layer, checked once at `build()`.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::crypto::CryptoProvider;

use crate::clock::SharedClock;
use crate::error::ConfigError;
use crate::jose::json::JsonLimits;
use crate::keys::trust::TrustedIssuer;
use crate::layer::auth_layer::JwtAuthLayer;
use crate::layer::pipeline::dpop::LayerDpop;
use crate::layer::rejection::{DefaultResponder, DEFAULT_REALM};
use crate::session::sliding::SlidingPolicy;
use crate::session::{BrowserSessions, Sessions};
use crate::store::RevocationCheck;
use crate::token::cache::DEFAULT_TOKEN_CACHE_BYTES;
use crate::token::claims::RegisteredClaims;
use crate::token::requirements::Requirements;
use crate::token::source::{BearerHeader, TokenSource};
use crate::token::validation::Validation;
use crate::token::websocket::WebSocketTokens;

mod browser;
mod build;
mod certificates;
mod claims;
#[cfg(feature = "introspection")]
mod introspection;
mod keys;
mod responses;
mod sessions;

/// Largest accepted token unless configured (RFC 8725 gives no number; 8 KiB fits any sane JWT).
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

/// Builds a [`JwtAuthLayer`]. Start with [`JwtAuthLayer::builder`].
///
/// Defaults: token from `Authorization: Bearer`; `exp` required; an audience required at build time; 30 s leeway;
/// `iat` in the future refused;
/// tokens over 8 KiB refused before decoding; realm `api`; empty-bodied rejections; no revocation store.
///
/// Its methods, by concern:
///
/// | concern | methods |
/// |---|---|
/// | keys and issuers | [`key`](Self::key), [`keys`](Self::keys), [`jwks`](Self::jwks), [`issuer`](Self::issuer), [`trust_issuer`](Self::trust_issuer), [`allow_any_issuer`](Self::allow_any_issuer), [`crypto_provider`](Self::crypto_provider) |
/// | what a token must say | [`audience`](Self::audience), [`allow_any_audience`](Self::allow_any_audience), [`leeway`](Self::leeway), [`allow_missing_exp`](Self::allow_missing_exp), [`require_type`](Self::require_type), [`access_token_type`](Self::access_token_type), [`rfc9068_profile`](Self::rfc9068_profile), [`require_claims`](Self::require_claims), [`max_age`](Self::max_age), [`require_scopes`](Self::require_scopes), [`require`](Self::require) |
/// | the claims handlers read | [`claims`](Self::claims), [`json_limits`](Self::json_limits), [`max_token_size`](Self::max_token_size) |
/// | sessions, revocation, time | [`sessions`](Self::sessions) (or [`JwtAuthLayer::for_sessions`]), [`allow_unchecked_sessions`](Self::allow_unchecked_sessions), [`revocation`](Self::revocation), [`allow_unbounded_token_lifetime`](Self::allow_unbounded_token_lifetime), [`clock`](Self::clock), [`sliding`](Self::sliding) |
/// | sender-constrained tokens | [`dpop`](Self::dpop), [`client_certificates`](Self::client_certificates) (RFC 8705) |
/// | identity providers' opaque tokens | `introspection` (feature `introspection`, RFC 7662) |
/// | where the token is read | [`token_source`](Self::token_source), [`cookie`](Self::cookie), [`optional`](Self::optional), [`bypass_cors_preflight`](Self::bypass_cors_preflight), [`websocket_query_token`](Self::websocket_query_token), [`websocket_protocol_token`](Self::websocket_protocol_token) |
/// | browsers | [`browser_sessions`](Self::browser_sessions) (cookies and their CSRF guard), [`allow_cookies_without_csrf`](Self::allow_cookies_without_csrf) |
/// | how refusals look | [`realm`](Self::realm), [`responder`](Self::responder), [`resource_metadata_url`](Self::resource_metadata_url) |
/// | speed | [`token_cache_size`](Self::token_cache_size), [`disable_token_cache`](Self::disable_token_cache) |
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Algorithm, JwtAuthLayer, rejection::JsonResponder, VerificationKey};
///
/// let layer = JwtAuthLayer::builder()
///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
///     .issuer("https://auth.example.com")
///     .audience("orders-api")
///     .access_token_type()
///     .leeway(Duration::from_secs(10))
///     .require_scopes(["orders:read"])
///     .realm("orders")
///     .responder(JsonResponder)
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub struct JwtAuthBuilder<C = RegisteredClaims, R = DefaultResponder> {
    settings: Settings,
    requirements: Requirements<C>,
    responder: R,
}

/// Everything that does not depend on the claims or responder types, so those can change mid-build.
struct Settings {
    default_keys: TrustedIssuer,
    named_issuers: Vec<(String, TrustedIssuer)>,
    validation: Validation,
    max_token_size: usize,
    sources: Vec<Box<dyn TokenSource>>,
    optional: bool,
    bypass_cors_preflight: bool,
    /// Set by `.clock(..)`; otherwise the sessions' clock, or the system clock.
    clock: Option<SharedClock>,
    realm: String,
    /// RFC 9728: the protected resource metadata URL the challenges name.
    resource_metadata: Option<String>,
    /// DPoP proof rules, and the policy (set only when it is not `Off`).
    dpop: Option<LayerDpop>,
    revocation: Option<Arc<dyn RevocationCheck>>,
    sessions: Option<Sessions>,
    sliding: Option<SlidingPolicy>,
    cache_bytes: u64,
    any_audience: bool,
    any_issuer: bool,
    /// Session tokens (with `sid`) accepted by a layer that can't check their session.
    unchecked_sessions: bool,
    /// Set by `.allow_unbounded_token_lifetime()`.
    unbounded_lifetime: bool,
    json_limits: JsonLimits,
    provider: Option<&'static CryptoProvider>,
    /// The first invalid setting, reported by `build()`.
    error: Option<ConfigError>,
    /// Browser sessions: their access cookie is a source, their CSRF tokens guard it.
    browser: Option<BrowserSessions>,
    /// Set by `.allow_cookies_without_csrf()`.
    cookies_without_csrf: bool,
    /// The WebSocket handshake sources.
    websocket: WebSocketTokens,
    /// Where client certificates come from (certificate-bound tokens are refused without).
    certificates: Option<crate::certificate::ClientCertificates>,
    #[cfg(feature = "introspection")]
    introspection: Option<crate::introspection::Introspection>,
}

impl<C, R> fmt::Debug for JwtAuthBuilder<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthBuilder")
            .field("keys", &self.settings.default_keys)
            .field("sources", &self.settings.sources)
            .field("optional", &self.settings.optional)
            .field("realm", &self.settings.realm)
            .finish_non_exhaustive()
    }
}

impl JwtAuthLayer {
    /// Starts configuring a layer (claims type [`RegisteredClaims`], empty-bodied rejections).
    pub fn builder() -> JwtAuthBuilder {
        JwtAuthBuilder::new()
    }

    /// Starts configuring the layer for tokens that `sessions` mint — the one way to build it for sessions:
    /// [`builder`](Self::builder)`().`[`sessions`](JwtAuthBuilder::sessions)`(sessions)`, so their issuer, its
    /// keys (rotations and retirements included), audience, revocation store and clock are taken from them and
    /// never configured a second time.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer};
    ///
    /// let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[42u8; 32])?)
    ///     .issuer("https://auth.example.com")
    ///     .audience("my-api")
    ///     .build()?;
    /// let sessions = Sessions::builder(issuer, MemoryStore::new()).build()?;
    /// let auth = JwtAuthLayer::for_sessions(&sessions).build()?;
    /// # let _ = auth;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_sessions(sessions: &crate::session::Sessions) -> JwtAuthBuilder {
        Self::builder().sessions(sessions)
    }
}

impl JwtAuthBuilder {
    fn new() -> Self {
        Self {
            settings: Settings {
                default_keys: TrustedIssuer::new(),
                named_issuers: Vec::new(),
                validation: Validation::default(),
                max_token_size: DEFAULT_MAX_TOKEN_SIZE,
                sources: vec![Box::new(BearerHeader)],
                optional: false,
                bypass_cors_preflight: false,
                clock: None,
                realm: DEFAULT_REALM.to_owned(),
                resource_metadata: None,
                dpop: None,
                revocation: None,
                sessions: None,
                sliding: None,
                cache_bytes: DEFAULT_TOKEN_CACHE_BYTES,
                any_audience: false,
                any_issuer: false,
                unchecked_sessions: false,
                unbounded_lifetime: false,
                json_limits: JsonLimits::default(),
                provider: None,
                error: None,
                browser: None,
                cookies_without_csrf: false,
                websocket: WebSocketTokens::default(),
                certificates: None,
                #[cfg(feature = "introspection")]
                introspection: None,
            },
            requirements: Requirements::default(),
            responder: DefaultResponder,
        }
    }
}

impl<C, R> JwtAuthBuilder<C, R> {
    fn fail(mut self, error: ConfigError) -> Self {
        self.settings.error.get_or_insert(error);
        self
    }

    /// Changes the claims type handlers receive (default [`RegisteredClaims`]). Keeps the required scopes; a
    /// predicate given before (for the old type) makes [`build`](Self::build) fail with
    /// [`ConfigError::PredicateBeforeClaimsType`].
    ///
    /// Every token's claims set must deserialize into `C2`, or the token is refused as
    /// [`AuthErrorKind::InvalidClaim`](crate::AuthErrorKind::InvalidClaim) (401, the fixed description). Why it
    /// did not fit — serde's message, such as ``missing field `tenant` `` — is kept for the application in
    /// [`AuthError::detail`](crate::AuthError::detail) and the rejection's `debug` event (feature `tracing`), never
    /// sent to the client. So a field added to the struct while tokens issued without it are still alive refuses
    /// every one of them: give it `#[serde(default)]` or make it an `Option<T>` until the old tokens have expired.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct MyClaims {
    ///     sub: String,
    ///     /// Added in v2: tokens issued by v1 lack it, and still verify.
    ///     #[serde(default)]
    ///     tenant: Option<String>,
    /// }
    /// # use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
    /// let auth = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .claims::<MyClaims>()
    ///     .build()
    ///     .unwrap();
    /// # let _ = auth;
    /// ```
    pub fn claims<C2>(mut self) -> JwtAuthBuilder<C2, R> {
        if self.requirements.has_predicate() {
            self.settings
                .error
                .get_or_insert(ConfigError::PredicateBeforeClaimsType);
        }
        let mut requirements = Requirements::default();
        if let Err(e) = requirements.add_scopes(self.requirements.scopes().to_vec()) {
            self.settings.error.get_or_insert(e);
        }
        JwtAuthBuilder {
            settings: self.settings,
            requirements,
            responder: self.responder,
        }
    }

    /// Changes how rejections are turned into responses (default: empty bodies).
    pub fn responder<R2>(self, responder: R2) -> JwtAuthBuilder<C, R2> {
        JwtAuthBuilder {
            settings: self.settings,
            requirements: self.requirements,
            responder,
        }
    }
}
