//! [`TokenIssuer`]: signs access tokens (RFC 9068 profile: `typ: at+jwt`, `iss`, `aud`, `sub`, `iat`, `nbf`,
//! `exp`, `jti`, plus the application's claims).
//!
//! JWT payloads are signed, not encrypted: anyone holding a token can read its claims. Never put secrets,
//! passwords or personal data you would not show the user into claims.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::error::ConfigError;
use crate::issuer::ring::KeyRing;
use crate::issuer::signing::SigningKey;
use crate::jose::random::random_id;

/// Default access-token lifetime: 15 minutes (RFC 6750 §5.3 asks for an hour or less).
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);

/// A freshly signed access token.
#[derive(Clone)]
pub struct AccessToken {
    token: String,
    jti: String,
    issued_at: i64,
    expires_at: i64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl AccessToken {
    /// The compact JWS to send as `Authorization: Bearer …`.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The token, by value.
    pub fn into_string(self) -> String {
        self.token
    }

    /// Its `jti`.
    pub fn jti(&self) -> &str {
        &self.jti
    }

    /// Its `iat`.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// Its `exp`.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Session facts written into a token: `sid` and `auth_time`, and a hard cap on `exp`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionClaims<'a> {
    /// The session (refresh family) id, written as `sid`.
    pub session_id: Option<&'a str>,
    /// When the user authenticated, written as `auth_time`.
    pub auth_time: Option<i64>,
    /// The token's `exp` is never later than this.
    pub not_after: Option<i64>,
    /// The RFC 7638 thumbprint of the DPoP key the token is bound to, written as `cnf.jkt` (RFC 9449 §6.1).
    pub dpop_thumbprint: Option<&'a str>,
}

/// Signing failed, or the application's claims do not serialize to a JSON object.
#[derive(Debug)]
#[non_exhaustive]
pub enum IssueError {
    /// The claims are not a JSON object.
    ClaimsNotAnObject,
    /// The claims could not be serialized.
    Serialize(serde_json::Error),
    /// The signer failed.
    Sign(String),
    /// The session cap has passed; no token can be issued for it.
    SessionExpired,
    /// A claim the crate reads has the wrong type (`client_id` must be a string).
    NotAString(&'static str),
    /// The application claims set a claim the crate manages itself (`sub`, `iss`, `aud`, `iat`, `nbf`, `exp`,
    /// `jti`, `sid`, `auth_time`, `cnf`); pass the subject as the subject, and leave the rest to the issuer.
    ReservedClaim(&'static str),
}

/// Claims [`TokenIssuer`] and [`Sessions`](crate::Sessions) set themselves; application claims may not.
pub(crate) const RESERVED_CLAIMS: [&str; 10] = [
    "sub",
    "iss",
    "aud",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sid",
    "auth_time",
    "cnf",
];

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClaimsNotAnObject => f.write_str("claims must serialize to a JSON object"),
            Self::Serialize(e) => write!(f, "claims could not be serialized: {e}"),
            Self::Sign(e) => write!(f, "signing failed: {e}"),
            Self::SessionExpired => f.write_str("the session has reached its absolute lifetime"),
            Self::NotAString(name) => write!(f, "the claim `{name}` must be a string"),
            Self::ReservedClaim(name) => {
                write!(
                    f,
                    "the claim `{name}` is set by the issuer, not by the application"
                )
            }
        }
    }
}

impl std::error::Error for IssueError {}

/// Signs access tokens for one issuer and audience.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Algorithm, SigningKey, TokenIssuer};
///
/// let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
///     .issuer("demo")
///     .audience("demo-api")
///     .ttl(Duration::from_secs(600))
///     .build()
///     .unwrap();
/// let token = issuer.issue("alice", &serde_json::json!({ "scope": "read" })).unwrap();
/// assert_eq!(token.expires_at() - token.issued_at(), 600);
/// ```
#[derive(Clone)]
pub struct TokenIssuer {
    inner: Arc<IssuerInner>,
}

struct IssuerInner {
    /// The active signing key and the retired keys still published; replaced whole on rotation.
    ring: RwLock<Arc<KeyRing>>,
    /// The ring's generation, readable on every request without the lock (the token cache compares it).
    generation: AtomicU64,
    typ: String,
    provider: &'static CryptoProvider,
    issuer: String,
    audience: Vec<String>,
    ttl: i64,
    max_ttl: i64,
    client_id: Option<String>,
    clock: SharedClock,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("key", &self.ring().active)
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenIssuer`].
pub struct TokenIssuerBuilder {
    key: SigningKey,
    provider: Option<&'static CryptoProvider>,
    issuer: Option<String>,
    audience: Vec<String>,
    ttl: Duration,
    max_ttl: Option<Duration>,
    client_id: Option<String>,
    typ: String,
    clock: SharedClock,
}

impl fmt::Debug for TokenIssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuerBuilder")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// Starts configuring an issuer that signs with `key`.
    pub fn builder(key: SigningKey) -> TokenIssuerBuilder {
        TokenIssuerBuilder {
            key,
            provider: None,
            issuer: None,
            audience: Vec::new(),
            ttl: DEFAULT_ACCESS_TTL,
            max_ttl: None,
            client_id: None,
            typ: "at+jwt".to_owned(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The lifetime of the tokens it issues.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.inner.ttl as u64)
    }

    /// The longest lifetime (`exp - iat`) any token of this issuer may have ([`TokenIssuerBuilder::max_ttl`]).
    pub fn max_ttl(&self) -> Duration {
        Duration::from_secs(self.inner.max_ttl as u64)
    }

    /// The `client_id` written into tokens whose claims name no client ([`TokenIssuerBuilder::client_id`]).
    pub fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }

    /// Issues an access token for `subject` with the application's `claims` (any value that serializes to a
    /// JSON object; `()` for none). Claims the issuer sets itself (`sub`, `iss`, `aud`, `iat`, `nbf`, `exp`,
    /// `jti`, `sid`, `auth_time`, `cnf`) are refused in `claims` with [`IssueError::ReservedClaim`].
    pub fn issue<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
    ) -> Result<AccessToken, IssueError> {
        self.issue_for_session(subject, claims, SessionClaims::default())
    }

    /// Issues an access token that belongs to a session: `sid` and `auth_time` are written, `exp` is capped at
    /// `session.not_after`, and `cnf.jkt` binds it to a DPoP key when `session.dpop_thumbprint` is given.
    pub fn issue_for_session<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
        session: SessionClaims<'_>,
    ) -> Result<AccessToken, IssueError> {
        let mut payload = match serde_json::to_value(claims).map_err(IssueError::Serialize)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => return Err(IssueError::ClaimsNotAnObject),
        };
        if let Some(name) = RESERVED_CLAIMS
            .iter()
            .find(|name| payload.contains_key(**name))
        {
            return Err(IssueError::ReservedClaim(name));
        }
        if payload.get("client_id").is_some_and(|id| !id.is_string()) {
            return Err(IssueError::NotAString("client_id"));
        }
        let inner = &*self.inner;
        let now = inner.clock.now();
        let mut expires_at = now.saturating_add(inner.ttl);
        if let Some(cap) = session.not_after {
            if cap <= now {
                return Err(IssueError::SessionExpired);
            }
            expires_at = expires_at.min(cap);
        }
        payload.insert("sub".into(), subject.into());
        self.stamp_issuer(&mut payload);
        if let Some(sid) = session.session_id {
            payload.insert("sid".into(), sid.into());
        }
        if let Some(auth_time) = session.auth_time {
            payload.insert("auth_time".into(), auth_time.into());
        }
        if let Some(jkt) = session.dpop_thumbprint {
            payload.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        self.finish(payload, now, expires_at)
    }

    /// Writes this issuer's `iss` and `aud`, and its default `client_id` where the claims name no client.
    fn stamp_issuer(&self, payload: &mut Map<String, Value>) {
        let inner = &*self.inner;
        if let (Some(client_id), false) = (&inner.client_id, payload.contains_key("client_id")) {
            payload.insert("client_id".into(), client_id.clone().into());
        }
        payload.insert("iss".into(), inner.issuer.clone().into());
        let aud = match inner.audience.as_slice() {
            [one] => Value::from(one.clone()),
            many => Value::from(many.to_vec()),
        };
        payload.insert("aud".into(), aud);
    }

    /// Re-signs the claims of a verified token of this issuer with its own `iss` and `aud`, a fresh `jti`,
    /// `iat`, `nbf` and the given `exp`, keeping every other claim (sliding sessions).
    pub(crate) fn reissue(
        &self,
        mut claims: Map<String, Value>,
        expires_at: i64,
    ) -> Result<AccessToken, IssueError> {
        let now = self.inner.clock.now();
        if expires_at <= now {
            return Err(IssueError::SessionExpired);
        }
        self.stamp_issuer(&mut claims);
        self.finish(claims, now, expires_at)
    }

    /// The `iss` this issuer writes.
    pub(crate) fn issuer_name(&self) -> &str {
        &self.inner.issuer
    }

    /// The `aud` values this issuer writes.
    pub(crate) fn audiences(&self) -> &[String] {
        &self.inner.audience
    }

    /// The issuer's clock (also the clock of [`Sessions`](crate::Sessions) built on it).
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The lifetime of new tokens, in seconds.
    pub(crate) fn ttl_secs(&self) -> i64 {
        self.inner.ttl
    }

    /// The longest lifetime a token of this issuer may have, in seconds ([`TokenIssuerBuilder::max_ttl`]).
    pub(crate) fn max_ttl_secs(&self) -> i64 {
        self.inner.max_ttl
    }

    /// Replaces the ring with `change(ring)`, under the lock (so concurrent changes apply one after the other).
    fn replace_ring(
        &self,
        change: impl FnOnce(&KeyRing) -> Result<KeyRing, ConfigError>,
    ) -> Result<(), ConfigError> {
        let mut ring = self.inner.ring.write().unwrap_or_else(|e| e.into_inner());
        let changed = change(&ring)?;
        self.inner
            .generation
            .store(changed.generation, Ordering::Release);
        *ring = Arc::new(changed);
        Ok(())
    }

    /// The version of the signing keys: it changes with every rotation, staging and retirement.
    pub(crate) fn key_generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The signing keys now: the active one, and the retired ones still published.
    pub(crate) fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.inner.ring.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Rotates to a new signing key, without a restart: new tokens are signed with `key` from now on, and the
    /// key it replaces stays published in [`jwks`](Self::jwks) — and accepted by every layer wired to sessions
    /// on this issuer — until every token it signed has expired (its lifetime plus
    /// [`REVOCATION_MARGIN`](crate::store::REVOCATION_MARGIN), which covers any layer's leeway). Keys retired longer
    /// ago are dropped.
    ///
    /// Both keys need `kid`s ([`SigningKey::with_kid`]), distinct from every key still published (except the
    /// key [`stage`](Self::stage)d for this rotation): tokens name the key that signed them, and verifiers pick
    /// it by that name. The new key must be able to sign. A verifier that caches the JWK Set meets the new
    /// `kid` before it refetches unless the key was staged first; this crate's `Jwks` (feature `jwks`)
    /// refetches on an unknown `kid`, at most once per `unknown_kid_interval` (10 s by default).
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, SigningKey, TokenIssuer};
    ///
    /// let key = |kid: &str, byte| SigningKey::hmac(Algorithm::HS256, &[byte; 32]).unwrap().with_kid(kid).unwrap();
    /// let issuer = TokenIssuer::builder(key("2026-11", 1)).issuer("demo").audience("api").build().unwrap();
    /// issuer.rotate(key("2026-12", 2)).unwrap();
    /// assert_eq!(issuer.active_kid().as_deref(), Some("2026-12"));
    /// assert!(issuer.rotate(key("2026-12", 3)).is_err(), "a kid still in use");
    /// ```
    pub fn rotate(&self, key: SigningKey) -> Result<(), ConfigError> {
        let inner = &*self.inner;
        check_signs(&key, inner.provider)?;
        let now = inner.clock.now();
        let retire_at = now
            .saturating_add(inner.ttl)
            .saturating_add(crate::store::REVOCATION_MARGIN.as_secs() as i64);
        self.replace_ring(|ring| ring.rotate(key, &inner.typ, retire_at, now, inner.provider))
    }

    /// Publishes `key` ahead of its use: it joins [`jwks`](Self::jwks) (and the keys layers wired to these
    /// sessions trust) now, but signs nothing until [`rotate`](Self::rotate) activates it. Stage the next key
    /// at least as long before the rotation as verifiers cache the JWK Set ([`JwksEndpoint`](crate::issuer::JwksEndpoint)
    /// lets them keep it 300 s), and no verifier ever meets a `kid` it has not fetched. Staging another key
    /// withdraws the one staged before. The key needs a `kid` no published key has.
    pub fn stage(&self, key: SigningKey) -> Result<(), ConfigError> {
        let inner = &*self.inner;
        check_signs(&key, inner.provider)?;
        let now = inner.clock.now();
        self.replace_ring(|ring| ring.stage(&key, now, inner.provider))
    }

    /// Drops the retired (or staged) key `kid` at once, before its tokens expire — for a key that may be
    /// compromised: it leaves [`jwks`](Self::jwks), and layers wired to these sessions refuse its tokens from
    /// now on (so sliding can't re-sign a forged one with the active key). Other verifiers stop accepting it
    /// when they refetch the set. The active key can't be retired: [`rotate`](Self::rotate) away from it
    /// first.
    pub fn retire(&self, kid: &str) -> Result<(), ConfigError> {
        self.replace_ring(|ring| ring.retire(kid))
    }

    /// The `kid` of the key that signs new tokens.
    pub fn active_kid(&self) -> Option<String> {
        self.ring().active.kid.clone()
    }

    /// The public keys of this issuer as a JWK Set (RFC 7517 §5): the active key and the retired keys still
    /// published, each with its `kid`, `alg` and `use: sig`. HMAC secrets are never published (the set is then
    /// empty). Serve it with [`JwksEndpoint`](crate::issuer::JwksEndpoint).
    pub fn jwks(&self) -> JwkSet {
        let now = self.inner.clock.now();
        JwkSet {
            keys: self
                .ring()
                .live(now)
                .filter_map(|key| key.jwk.clone())
                .collect(),
        }
    }

    /// Stamps the time claims and a new `jti`, then signs.
    fn finish(
        &self,
        mut payload: Map<String, Value>,
        now: i64,
        expires_at: i64,
    ) -> Result<AccessToken, IssueError> {
        let jti = random_id();
        payload.insert("iat".into(), now.into());
        payload.insert("nbf".into(), now.into());
        payload.insert("exp".into(), expires_at.into());
        payload.insert("jti".into(), jti.clone().into());
        let payload = serde_json::to_vec(&payload).map_err(IssueError::Serialize)?;
        let token = self.sign_payload(&payload)?;
        Ok(AccessToken {
            token,
            jti,
            issued_at: now,
            expires_at,
        })
    }

    fn sign_payload(&self, payload: &[u8]) -> Result<String, IssueError> {
        let inner = &*self.inner;
        let ring = self.ring();
        let mut token = String::with_capacity(ring.header_b64.len() + payload.len() * 2 + 400);
        token.push_str(&ring.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signer = (inner.provider.signer_factory)(&ring.active.algorithm, &ring.active.key)
            .map_err(|e| IssueError::Sign(e.to_string()))?;
        let signature = signer
            .try_sign(token.as_bytes())
            .map_err(|e| IssueError::Sign(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// Refuses a key its provider cannot sign with.
fn check_signs(key: &SigningKey, provider: &CryptoProvider) -> Result<(), ConfigError> {
    let signer = (provider.signer_factory)(&key.algorithm, &key.key)
        .map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
    signer
        .try_sign(b"probe")
        .map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
    Ok(())
}

impl TokenIssuerBuilder {
    /// The `iss` written into tokens (required).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An `aud` written into tokens (required; call again for several).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Token lifetime (default 15 minutes).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The longest lifetime (`exp - iat`) a token of this issuer can have, counting tokens minted before a
    /// restart with a longer [`ttl`](Self::ttl), or by another tool with the issuer's key (default: the ttl;
    /// never shorter than it).
    ///
    /// Revocation markers ("log out everywhere", a session's end) are kept this long past the revocation (plus
    /// [`REVOCATION_MARGIN`](crate::store::REVOCATION_MARGIN)), on every store, and a layer wired to
    /// [`Sessions`](crate::Sessions) over this issuer refuses the issuer's tokens that live longer, or that have
    /// no `iat` (401 `invalid_token`, claim `exp` or `iat`): no accepted token can outlive a marker that covers
    /// it. When you shorten the ttl, keep `max_ttl` at the old ttl until the old tokens have expired, or their
    /// holders refresh early.
    pub fn max_ttl(mut self, max_ttl: Duration) -> Self {
        self.max_ttl = Some(max_ttl);
        self
    }

    /// The `client_id` (RFC 9068 §2.2: the OAuth client the token was issued to) written into every token whose
    /// claims name none: a login can name its own client with a `client_id` string in its claims, which
    /// refreshes and sliding keep. Default: for `at+jwt` tokens (the default [`token_type`](Self::token_type)),
    /// which RFC 9068 requires to carry one, the issuer's own name (a first-party application is its own
    /// client); otherwise none. Handlers read it with [`TokenInfo::client_id`](crate::TokenInfo::client_id).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The `typ` header (default `at+jwt`).
    pub fn token_type(mut self, typ: impl Into<String>) -> Self {
        self.typ = typ.into();
        self
    }

    /// The time source (default: the system clock). It is the one clock of the session authority: [`Sessions`]
    /// built on this issuer, and any layer wired to them with
    /// [`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions), use it too.
    ///
    /// [`Sessions`]: crate::Sessions
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses an explicit jsonwebtoken crypto provider instead of the one the crate features select.
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Checks the settings (and that the key can sign) and builds the issuer.
    pub fn build(self) -> Result<TokenIssuer, ConfigError> {
        let provider = match self.provider {
            Some(p) => p,
            None => crate::crypto::feature_provider()?,
        };
        let issuer = self.issuer.ok_or(ConfigError::Missing(
            "TokenIssuerBuilder::issuer, the `iss` of every token: call .issuer(\"https://auth.example.com\")",
        ))?;
        if self.audience.is_empty() {
            return Err(ConfigError::Missing(
                "TokenIssuerBuilder::audience, the `aud` of every token: call .audience(\"my-api\")",
            ));
        }
        let ttl = i64::try_from(self.ttl.as_secs()).ok().filter(|t| *t > 0);
        let ttl = ttl.ok_or(ConfigError::InvalidDuration {
            setting: "TokenIssuerBuilder::ttl",
            expected: "at least one second",
        })?;
        let max_ttl = match self.max_ttl {
            None => ttl,
            Some(max) => i64::try_from(max.as_secs())
                .ok()
                .filter(|max| *max >= ttl)
                .ok_or(ConfigError::InvalidDuration {
                    setting: "TokenIssuerBuilder::max_ttl",
                    expected: "at least the token lifetime (ttl)",
                })?,
        };
        let client_id = self.client_id.or_else(|| {
            crate::jose::jws::media_type_is(&self.typ, "at+jwt").then(|| issuer.clone())
        });
        check_signs(&self.key, provider)?;
        let ring = KeyRing::new(self.key, &self.typ, provider)?;
        Ok(TokenIssuer {
            inner: Arc::new(IssuerInner {
                generation: AtomicU64::new(ring.generation),
                ring: RwLock::new(Arc::new(ring)),
                typ: self.typ,
                provider,
                issuer,
                audience: self.audience,
                ttl,
                max_ttl,
                client_id,
                clock: self.clock,
            }),
        })
    }
}
