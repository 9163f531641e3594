//! [`JwtAuthBuilder`]: every setting of the verifying layer, checked once at `build()`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::crypto::CryptoProvider;

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::dpop::{Dpop, DpopPolicy};
use crate::error::ConfigError;
use crate::issuer::key_source::IssuerKeys;
use crate::jose::json::JsonLimits;
use crate::keys::source::KeySource;
use crate::keys::trust::{TrustDomains, TrustedIssuer};
use crate::keys::verification::VerificationKey;
use crate::layer::auth_layer::JwtAuthLayer;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::pipeline::dpop::LayerDpop;
use crate::layer::rejection::{
    is_header_safe, Challenges, DefaultResponder, DpopChallenge, DEFAULT_REALM,
};
use crate::session::sliding::{Sliding, SlidingPolicy};
use crate::session::Sessions;
use crate::store::RevocationCheck;
use crate::token::cache::{TokenCache, DEFAULT_TOKEN_CACHE_BYTES};
use crate::token::claims::RegisteredClaims;
use crate::token::requirements::Requirements;
use crate::token::source::{BearerHeader, CookieSource, TokenSource};
use crate::token::validation::{Validation, MAX_LEEWAY};
use crate::token::verifier::Verifier;

/// Largest accepted token unless configured (RFC 8725 gives no number; 8 KiB fits any sane JWT).
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

/// Builds a [`JwtAuthLayer`]. Start with [`JwtAuthLayer::builder`].
///
/// Defaults: token from `Authorization: Bearer`; `exp` required; an audience required at build time; 30 s leeway;
/// `iat` in the future refused;
/// tokens over 8 KiB refused before decoding; realm `api`; empty-bodied rejections; no revocation store.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Algorithm, JwtAuthLayer, JsonResponder, VerificationKey};
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

    /// Adds a verification key. Several keys are selected by the token's `kid`.
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.settings.default_keys.keys.push(key);
        self
    }

    /// Adds several verification keys.
    pub fn keys(mut self, keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        self.settings.default_keys.keys.extend(keys);
        self
    }

    /// Trusts a remote JWK Set (a URL, OpenID Connect discovery, or a static document) beside the static keys
    /// (feature `jwks`). See [`Jwks`](crate::Jwks) for its cache and refresh rules.
    ///
    /// [`Jwks::oidc(issuer)`](crate::Jwks::oidc) names its issuer: its keys verify only that issuer's tokens, and
    /// that issuer is accepted, as with [`trust_issuer`](Self::trust_issuer) (no [`issuer`](Self::issuer) needed).
    #[cfg(feature = "jwks")]
    pub fn jwks(mut self, jwks: crate::keys::jwks::Jwks) -> Self {
        let Some(issuer) = jwks.oidc_issuer().map(str::to_owned) else {
            self.settings.default_keys.remote.push(jwks);
            return self;
        };
        match self
            .settings
            .named_issuers
            .iter_mut()
            .find(|(i, _)| *i == issuer)
        {
            Some((_, trusted)) => {
                trusted.remote.push(jwks);
                self
            }
            None => self.trust_issuer(issuer, TrustedIssuer::new().jwks(jwks)),
        }
    }

    /// Trusts tokens whose `iss` is `issuer` — verified only with this issuer's own keys. Tokens are routed by
    /// their (not yet verified) `iss` before any signature check, so a token naming one issuer but signed with
    /// another's key is refused (RFC 8725 §3.8). The issuer is added to the accepted issuers.
    ///
    /// Trusting the same issuer twice is a build error ([`ConfigError::DuplicateIssuer`]).
    pub fn trust_issuer(mut self, issuer: impl Into<String>, keys: TrustedIssuer) -> Self {
        let issuer = issuer.into();
        #[cfg(feature = "jwks")]
        if keys
            .remote
            .iter()
            .any(|jwks| jwks.oidc_issuer().is_some_and(|own| own != issuer))
        {
            return self.fail(ConfigError::Conflict(
                "a Jwks::oidc(..) key set trusted for another issuer: its keys are the keys of the issuer it \
                 discovers; pass it to .jwks(..), or to trust_issuer(..) under that issuer's name",
            ));
        }
        if !self.settings.validation.issuers.contains(&issuer) {
            self.settings.validation.issuers.push(issuer.clone());
        }
        self.settings.named_issuers.push((issuer, keys));
        self
    }

    /// Requires `iss` to equal this issuer exactly (may be called again to accept several). A token without
    /// `iss` is refused. [`build`](Self::build) requires an issuer (this, [`sessions`](Self::sessions),
    /// [`trust_issuer`](Self::trust_issuer) or a `Jwks::oidc` key set), or [`allow_any_issuer`](Self::allow_any_issuer).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.validation.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whatever their `iss`, giving up the issuer check: any party whose tokens your keys verify
    /// (a shared HMAC secret, a multi-tenant key set) is trusted as every issuer. Without this,
    /// [`build`](Self::build) requires an accepted issuer (RFC 8725 §3.8).
    pub fn allow_any_issuer(mut self) -> Self {
        self.settings.any_issuer = true;
        self
    }

    /// Accepts session tokens (tokens with a `sid` claim) in a layer that cannot check their session, giving up
    /// logout: without [`sessions`](Self::sessions) or a [`revocation`](Self::revocation) store, a logged-out
    /// session's access tokens would keep working until they expire. Without this, such a layer refuses every
    /// token with `sid` (401 `invalid_token`, claim `sid`). A layer with a revocation store checks `sid` markers
    /// and needs no opt-out.
    pub fn allow_unchecked_sessions(mut self) -> Self {
        self.settings.unchecked_sessions = true;
        self
    }

    /// Opt-out of the rule that a [`revocation`](Self::revocation) store comes with a [`max_age`](Self::max_age),
    /// for a store whose revocations never lapse. With a store whose markers do lapse (every store of this
    /// crate sizes them by the issuer's `max_ttl`), it gives up revocation for tokens that live longer than
    /// their markers: such a token is accepted again once its marker is gone.
    pub fn allow_unbounded_token_lifetime(mut self) -> Self {
        self.settings.unbounded_lifetime = true;
        self
    }

    /// Requires `aud` to name this audience (may be called again to accept several). A token without `aud`
    /// is refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.settings.validation.audiences.push(audience.into());
        self
    }

    /// Accepts tokens whatever their `aud`. Without this, [`build`](Self::build) requires at least one
    /// [`audience`](Self::audience): a token minted for another service of the same issuer must not work here
    /// (RFC 8725 §3.9).
    pub fn allow_any_audience(mut self) -> Self {
        self.settings.any_audience = true;
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        if leeway.as_secs() > MAX_LEEWAY {
            return self.fail(ConfigError::LeewayTooLarge);
        }
        self.settings.validation.leeway = leeway.as_secs() as i64;
        self
    }

    /// Accepts tokens without `exp`. Discouraged: such tokens can never be taken back by expiry, and no
    /// revocation can outlive them, so [`build`](Self::build) refuses this together with a
    /// [`revocation`](Self::revocation) store ([`ConfigError::MissingExpWithRevocation`]).
    pub fn allow_missing_exp(mut self) -> Self {
        self.settings.validation.require_exp = false;
        self
    }

    /// Requires the header `typ` to be `typ` (case-insensitive, `application/` prefix optional).
    pub fn require_type(mut self, typ: impl Into<String>) -> Self {
        self.settings
            .validation
            .types
            .push(typ.into().to_ascii_lowercase());
        self
    }

    /// RFC 9068 access tokens: requires `typ: at+jwt`, so ID tokens and other JWTs of the same issuer are
    /// refused (RFC 8725 §3.11–3.12).
    pub fn access_token_type(self) -> Self {
        self.require_type("at+jwt")
    }

    /// The RFC 9068 profile: `typ: at+jwt` and the claims `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`
    /// are required.
    pub fn rfc9068_profile(self) -> Self {
        self.access_token_type().require_claims([
            "iss",
            "exp",
            "aud",
            "sub",
            "client_id",
            "iat",
            "jti",
        ])
    }

    /// Makes registered claims mandatory (`sub`, `jti`, `iat`, `client_id`, …).
    pub fn require_claims<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for name in names {
            if let Err(e) = self.settings.validation.require_claim(name) {
                return self.fail(e);
            }
        }
        self
    }

    /// Refuses tokens issued (`iat`) longer than `max_age` ago, whatever their `exp` (and tokens without `iat`).
    /// Required beside a [`revocation`](Self::revocation) store: set it to the issuer's `max_ttl`, so no token
    /// outlives the revocation markers that cover it.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.settings.validation.max_age = Some(max_age.as_secs() as i64);
        self
    }

    /// Bounds on the JSON of a token's claims (headers always get the defaults): at most `max_members` members per object and elements
    /// per array (default [`DEFAULT_MAX_JSON_MEMBERS`](crate::DEFAULT_MAX_JSON_MEMBERS), 1024: an Entra ID token
    /// with 200 `groups` passes), nested at most `max_depth` levels below the top (default
    /// [`DEFAULT_MAX_JSON_DEPTH`](crate::DEFAULT_MAX_JSON_DEPTH), 16). Duplicate member names are refused at
    /// every level whatever the limits. The token size limit bounds the total work; these bound the shape. (An
    /// Entra ID token with 200 GUID `groups` is about 10 KiB: raise [`max_token_size`](Self::max_token_size) for
    /// it.)
    pub fn json_limits(mut self, max_members: usize, max_depth: usize) -> Self {
        if max_members == 0 {
            return self.fail(ConfigError::InvalidJsonLimits);
        }
        self.settings.json_limits = JsonLimits {
            max_members,
            max_depth,
        };
        self
    }

    /// Largest token accepted, in bytes (default 8 KiB); larger ones are refused before any decoding.
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        if bytes == 0 {
            return self.fail(ConfigError::InvalidMaxTokenSize);
        }
        self.settings.max_token_size = bytes;
        self
    }

    /// Replaces the token sources with this one (the default is the bearer header).
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.settings.sources = vec![Box::new(source)];
        self
    }

    /// Also reads the token from the cookie `name`, beside the current sources. A request that sends both
    /// a bearer header and the cookie is refused (400). See [`CookieSource`] for the CSRF precautions.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        match CookieSource::new(name) {
            Ok(source) => {
                self.settings.sources.push(Box::new(source));
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Lets CORS preflight requests (`OPTIONS` with `Access-Control-Request-Method`) through without a token, as
    /// Envoy's `bypass_cors_preflight`: browsers never send credentials on a preflight. Needed when the layer sits
    /// outside tower-http's `CorsLayer`; with `CorsLayer` outside the layer (the recommended order) it never
    /// sees a preflight.
    pub fn bypass_cors_preflight(mut self) -> Self {
        self.settings.bypass_cors_preflight = true;
        self
    }

    /// Lets requests without any token through, without claims (handlers see `Option<Claims<C>>` as
    /// `None`). A token that is present but invalid is still refused.
    pub fn optional(mut self) -> Self {
        self.settings.optional = true;
        self
    }

    /// Requires every one of these scopes in the `scope` claim (403 `insufficient_scope` otherwise).
    pub fn require_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match self.requirements.add_scopes(scopes) {
            Ok(()) => self,
            Err(e) => self.fail(e),
        }
    }

    /// Requires `predicate` to hold for the claims (403 `insufficient_scope` otherwise); called again, every
    /// predicate must hold. Set the claims type with [`claims`](Self::claims) first: changing it afterwards is
    /// a build error ([`ConfigError::PredicateBeforeClaimsType`]), never a silently dropped check.
    pub fn require(mut self, predicate: impl Fn(&C) -> bool + Send + Sync + 'static) -> Self
    where
        C: 'static,
    {
        self.requirements.add_predicate(predicate);
        self
    }

    /// The time source of a layer without [`sessions`](Self::sessions) (default: the system clock). A layer wired
    /// to sessions uses theirs; giving both is a build error ([`ConfigError::Conflict`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.settings.clock = Some(Arc::new(clock));
        self
    }

    /// The `realm` of `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        if !is_header_safe(&realm) {
            return self.fail(ConfigError::InvalidName(realm));
        }
        self.settings.realm = realm;
        self
    }

    /// RFC 9728 §5.1: every challenge names the URL of this resource's protected resource metadata
    /// (`resource_metadata="…"`), so a client that meets a 401 can find which authorization servers and
    /// scopes apply (the Model Context Protocol's authorization flow starts there). Serve the document with
    /// [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata); its URL for a resource is
    /// [`ProtectedResourceMetadata::well_known_url`](crate::ProtectedResourceMetadata::well_known_url). An
    /// `http`/`https` URL without quotes or controls, checked by `build`.
    pub fn resource_metadata_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        if !absolute || !is_header_safe(&url) {
            return self.fail(ConfigError::InvalidName(url));
        }
        self.settings.resource_metadata = Some(url);
        self
    }

    /// Takes DPoP-bound tokens (RFC 9449) under `policy`, with the proof rules of `dpop` (see
    /// [`dpop`](crate::dpop)): [`DpopPolicy::Allowed`] accepts bearer tokens and `Authorization: DPoP` with a
    /// proof; [`DpopPolicy::Required`] refuses bearer tokens; [`DpopPolicy::Off`] (the default) takes neither
    /// scheme's bound tokens. A token with `cnf.jkt` is never accepted as a bearer token. The challenges
    /// then offer `DPoP algs="…"`.
    pub fn dpop(mut self, dpop: &Dpop, policy: DpopPolicy) -> Self {
        self.settings.dpop = match policy {
            DpopPolicy::Off => None,
            DpopPolicy::Allowed | DpopPolicy::Required => Some(LayerDpop {
                rules: dpop.clone(),
                required: policy == DpopPolicy::Required,
            }),
        };
        self
    }

    /// Wires the layer to `sessions` in one call: it accepts the tokens their issuer mints (its `iss` and
    /// `aud` join the accepted ones), checks every token against their store (revoked `jti`, `sid` or subject →
    /// 401; store down → 503), verifies on their clock, and can [`slide`](Self::sliding) their tokens. The
    /// issuer's own keys are trusted too, through its key ring: before and after a
    /// [`rotate`](crate::TokenIssuer::rotate), and no longer after a [`retire`](crate::TokenIssuer::retire).
    ///
    /// A separate [`revocation`](Self::revocation) store or [`clock`](Self::clock) beside the sessions is a build
    /// error ([`ConfigError::Conflict`]): each is configured once. So is one of the issuer's keys given again
    /// with [`key`](Self::key) (or under [`trust_issuer`](Self::trust_issuer)), compared by key material: a
    /// static copy would keep a retired key trusted.
    pub fn sessions(mut self, sessions: &Sessions) -> Self {
        let issuer = sessions.issuer();
        let validation = &mut self.settings.validation;
        if !validation.issuers.iter().any(|i| i == issuer.issuer_name()) {
            validation.issuers.push(issuer.issuer_name().to_owned());
        }
        for audience in issuer.audiences() {
            if !validation.audiences.contains(audience) {
                validation.audiences.push(audience.clone());
            }
        }
        self.settings.sessions = Some(sessions.clone());
        self
    }

    /// Checks every verified token against this revocation store (revoked `jti`, `sid` or subject → 401;
    /// store down → 503), for a layer without [`sessions`](Self::sessions) (which bring their store).
    ///
    /// A revocation marker lasts as long as the tokens it covers can live ([`TokenIssuerBuilder::max_ttl`]
    /// of their issuer, which layers wired to its sessions enforce). A layer with a store but no sessions must
    /// bound lifetimes itself: [`max_age`](Self::max_age) no longer than that `max_ttl`, or `build()` fails —
    /// otherwise a token minted with a longer lifetime would be accepted again once its marker lapsed (or
    /// [`allow_unbounded_token_lifetime`](Self::allow_unbounded_token_lifetime), for a store that keeps
    /// revocations forever).
    ///
    /// [`TokenIssuerBuilder::max_ttl`]: crate::TokenIssuerBuilder::max_ttl
    pub fn revocation(mut self, store: impl RevocationCheck) -> Self {
        self.settings.revocation = Some(Arc::new(store));
        self
    }

    /// Same as [`revocation`](Self::revocation), for a store already behind an `Arc`.
    pub fn revocation_shared(mut self, store: Arc<dyn RevocationCheck>) -> Self {
        self.settings.revocation = Some(store);
        self
    }

    /// Bounds the verified-token cache to about `bytes` of tokens and claims (default 16 MiB, roughly 20 000
    /// typical tokens). Repeat requests with a token verified before skip the signature check; `exp`, `nbf`,
    /// `iat`, scopes and revocation are still checked on every request. `0` turns the cache off.
    ///
    /// The verified-token cache: a client sends the same token for minutes, so a layer that remembers what it
    /// verified skips the signature check on every repeat.
    ///
    /// Keys are the exact token text (a hit compares the whole token, never only a hash); values are the verified
    /// claims and facts. Only tokens that passed every check are stored; `exp`, `nbf`, `iat` and the authorization
    /// requirements are checked again on each hit, and revocation is consulted as for any token. Memory is bounded
    /// by weight (about twice the token length each) and eviction is S3-FIFO, so a flood of distinct tokens can't push
    /// out the tokens in steady use. The cache belongs to one layer and its key set: a layer built with other keys has
    /// a cache of its own.
    pub fn token_cache_size(mut self, bytes: u64) -> Self {
        self.settings.cache_bytes = bytes;
        self
    }

    /// Turns the verified-token cache off: every request verifies its token's signature.
    pub fn disable_token_cache(self) -> Self {
        self.token_cache_size(0)
    }

    /// Reissues the [`sessions`](Self::sessions)' tokens on sliding actions (see [`SlidingPolicy`]). Without
    /// sessions, [`build`](Self::build) fails with [`ConfigError::SlidingWithoutSessions`]. Only tokens verified
    /// by a key of the sessions' issuer slide (never a remote or partner key's), and revoked sessions are refused
    /// (by the sessions' store) before any reissue.
    pub fn sliding(mut self, policy: SlidingPolicy) -> Self {
        self.settings.sliding = Some(policy);
        self
    }

    /// Uses an explicit jsonwebtoken crypto provider instead of the one the crate features select.
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.settings.provider = Some(provider);
        self
    }

    /// Changes the claims type handlers receive (default [`RegisteredClaims`]). Keeps the required scopes; a
    /// predicate given before (for the old type) makes [`build`](Self::build) fail with
    /// [`ConfigError::PredicateBeforeClaimsType`].
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

    /// Checks the configuration and builds the layer.
    pub fn build(self) -> Result<JwtAuthLayer<C, R>, ConfigError> {
        let settings = self.settings;
        if let Some(error) = settings.error {
            return Err(error);
        }
        if settings.validation.audiences.is_empty() && !settings.any_audience {
            return Err(ConfigError::Missing(
                "an audience (call .audience(..), or .allow_any_audience() on purpose)",
            ));
        }
        if settings.validation.issuers.is_empty() && !settings.any_issuer {
            return Err(ConfigError::Missing(
                "an issuer (call .issuer(..), wire .sessions(..), or .allow_any_issuer() on purpose)",
            ));
        }
        let provider = match settings.provider {
            Some(provider) => provider,
            None => crate::crypto::feature_provider()?,
        };
        let (revocation, clock) = match &settings.sessions {
            None => (settings.revocation, settings.clock),
            Some(_) if settings.revocation.is_some() => {
                return Err(ConfigError::Conflict(
                    "a revocation store beside sessions, which check their own store",
                ))
            }
            Some(_) if settings.clock.is_some() => {
                return Err(ConfigError::Conflict(
                    "a clock beside sessions, which bring their issuer's clock",
                ))
            }
            Some(sessions) => {
                let store: Arc<dyn RevocationCheck> = sessions.store().clone();
                (Some(store), Some(Arc::clone(sessions.clock())))
            }
        };
        if revocation.is_some() && !settings.validation.require_exp {
            return Err(ConfigError::MissingExpWithRevocation);
        }
        if settings.sessions.is_none()
            && revocation.is_some()
            && settings.validation.max_age.is_none()
            && !settings.unbounded_lifetime
        {
            return Err(ConfigError::Missing(
                "the longest lifetime of the tokens a revocation store covers: .max_age(..) set to their \
                 issuer's max_ttl, so no token outlives the marker that revokes it (or \
                 .allow_unbounded_token_lifetime() for a store whose revocations never lapse)",
            ));
        }
        let mut validation = settings.validation;
        // A token of a session can only be logged out where its session is checked.
        validation.refuse_sid = revocation.is_none() && !settings.unchecked_sessions;
        // The longest lifetime of the issuer's tokens, which its revocation markers are sized by (whichever key
        // verifies a token that names the issuer).
        validation.own_lifetime = settings.sessions.as_ref().map(|sessions| {
            let issuer = sessions.issuer();
            (issuer.issuer_name().to_owned(), issuer.max_ttl_secs())
        });
        // The sessions' issuer's own keys, rotations and retirements included, are trusted without being given
        // again; a static copy would outlive `TokenIssuer::retire`, so it is refused.
        let own = match &settings.sessions {
            None => None,
            Some(sessions) => {
                let own = IssuerKeys(sessions.issuer().clone());
                let static_keys = settings
                    .default_keys
                    .keys
                    .iter()
                    .chain(settings.named_issuers.iter().flat_map(|(_, t)| &t.keys));
                if own.holds_any(static_keys, provider) {
                    return Err(ConfigError::Conflict(
                        "a key of the sessions' issuer given again with .key(..) or trust_issuer: a layer \
                         wired to .sessions(..) trusts that issuer's keys through its key ring (rotate, stage, \
                         retire), and a static copy would keep a retired key trusted; remove the static key",
                    ));
                }
                let name = sessions.issuer().issuer_name().to_owned();
                Some((name, Box::new(own) as Box<dyn KeySource>))
            }
        };
        let domains =
            TrustDomains::build(settings.default_keys, own, settings.named_issuers, provider)?;
        let sliding = match (settings.sliding, settings.sessions) {
            (None, _) => None,
            (Some(_), None) => return Err(ConfigError::SlidingWithoutSessions),
            (Some(policy), Some(sessions)) => {
                policy.validate()?;
                Some(Arc::new(Sliding { policy, sessions }))
            }
        };
        let verifier = Verifier {
            domains,
            provider,
            validation,
            max_token_size: settings.max_token_size,
            json_limits: settings.json_limits,
        };
        Ok(JwtAuthLayer::from_config(AuthConfig {
            verifier,
            sensitive_headers: settings
                .sources
                .iter()
                .flat_map(|source| source.headers().iter().cloned())
                // With DPoP, the `Authorization: DPoP` header and the proof.
                .chain(
                    settings
                        .dpop
                        .iter()
                        .flat_map(|_| [http::header::AUTHORIZATION, crate::dpop::DPOP_HEADER]),
                )
                .collect(),
            sources: settings.sources,
            optional: settings.optional,
            bypass_cors_preflight: settings.bypass_cors_preflight,
            challenges: Challenges::new(
                &settings.realm,
                settings.resource_metadata.as_deref(),
                settings.dpop.as_ref().map(|dpop| DpopChallenge {
                    algs: dpop.rules.algs().into(),
                    required: dpop.required,
                }),
            )
            .with_scope(self.requirements.scope_text()),
            dpop: settings.dpop,
            requirements: self.requirements,
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            revocation,
            sliding,
            cache: (settings.cache_bytes > 0).then(|| TokenCache::new(settings.cache_bytes)),
            responder: self.responder,
            _claims: PhantomData,
        }))
    }
}
