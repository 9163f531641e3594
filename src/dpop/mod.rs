//! Sender-constrained tokens: DPoP (RFC 9449).
//!
//! A bearer token works for whoever holds it. A DPoP-bound token works only together with a fresh *proof*: a
//! small JWT the client signs, for every request, with a private key that never leaves it. The token names the
//! key's thumbprint (`cnf.jkt`), the proof names the request (`htm`, `htu`), its time (`iat`), a unique id
//! (`jti`) and the token's hash (`ath`). A stolen access token — or a stolen refresh token — is useless without
//! the key.
//!
//! # Verifying
//!
//! [`Dpop`] holds the proof rules: the service's public URL(s) (the `htu` a proof must name: behind a proxy,
//! the *external* origin, never the `Host` header), the accepted algorithms (asymmetric only), the `iat`
//! window, the replay cache and optional server nonces. A layer takes it with a [`DpopPolicy`]:
//!
//! | policy | `Authorization: Bearer` | `Authorization: DPoP` + `DPoP` proof | challenges |
//! |---|---|---|---|
//! | [`Off`](DpopPolicy::Off) (the default) | accepted unless the token is bound | not a credential (401 as without a token) | `Bearer` |
//! | [`Allowed`](DpopPolicy::Allowed) | accepted unless the token is bound | accepted for bound tokens | `Bearer …, DPoP algs="…"` |
//! | [`Required`](DpopPolicy::Required) | refused | accepted for bound tokens | `DPoP algs="…"` |
//!
//! A token with `cnf.jkt` is never accepted as a bearer token, whatever the policy (a downgrade). Proof
//! failures are 401 `error="invalid_dpop_proof"` in a `DPoP` challenge; with nonces required, a proof without
//! the current nonce gets 401 `error="use_dpop_nonce"` and the nonce in a `DPoP-Nonce` header.
//! [`TokenInfo::dpop_thumbprint`](crate::TokenInfo::dpop_thumbprint) tells a handler that the request was
//! sender-constrained, and by which key.
//!
//! ```
//! use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
//!
//! let dpop = Dpop::builder()
//!     .public_url("https://api.example.com")
//!     .build()
//!     .unwrap();
//! let layer = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
//!     .issuer("https://auth.example.com")
//!     .audience("api")
//!     .dpop(&dpop, DpopPolicy::Allowed)
//!     .build()
//!     .unwrap();
//! # let _ = layer;
//! ```
//!
//! The access token stays in the verified-token cache; the proof is verified on every request (one signature
//! check, about the cost of verifying the token itself).
//!
//! # Issuing, refreshing, sliding
//!
//! [`Dpop::verify`] verifies the proof of a login request, and once the credentials are checked
//! [`Dpop::record`] records its use; [`Sessions::login_with`](crate::Sessions::login_with) then binds the new
//! pair to its key: the access token carries `cnf.jkt`, the pair's `token_type` is `DPoP`,
//! and the refresh token is bound too (RFC 9449 §5): refreshing it needs a proof by the same key
//! ([`RefreshEndpoint::dpop`](crate::session::RefreshEndpoint::dpop) reads it), and without one the refresh is
//! `invalid_grant` and changes nothing. Sliding keeps `cnf` on reissued tokens, and only bound requests — which
//! carry a proof — reach it.
//!
//! A token endpoint refuses a bad proof with 400 `{"error":"invalid_dpop_proof"}` (RFC 9449 §5, RFC 6749
//! §5.2), not with a challenge: [`Dpop::token_endpoint_refusal`].
//!
//! # Replay caches and their sizing
//!
//! Each proof is accepted once ([`ReplayCache`]), and a proof is checked as cheaply as it can be refused:
//! `htm`, `htu`, the `iat` window, the `jti`, `ath`, the nonce, the key's size and (at a resource) the token's
//! key come before the signature, and so does a replay this process already knows of. RSA proof keys are 2048
//! to 4096 bits with e = 65537.
//!
//! Anybody can sign proofs with a key of their own, so proofs are recorded in two places of bounded size:
//!
//! - **resource proofs**, recorded only after the access token they come with verified (and was found not
//!   revoked): the replay cache, by default a [`MemoryReplayCache`] of [`DEFAULT_REPLAY_CAPACITY`] (1 M) live
//!   proofs. Size it as DPoP requests per second × the window (`proof_max_age` + `clock_skew` + 30 s, 95 s
//!   by default): 1 M holds about 11 000 requests a second, in about 80 MiB when full.
//! - **token-endpoint proofs** (a login's, a refresh's), recorded only after the credentials are checked:
//!   [`DpopBuilder::token_endpoint_capacity`] live proofs per process ([`DEFAULT_TOKEN_ENDPOINT_CAPACITY`],
//!   256 Ki), and at most 8 per refresh session. A flood of self-signed proofs can't fill either; when this
//!   one is full, token requests get 503 and resource requests go on.
//!
//! The default caches serve one process; behind a load balancer, give every instance the same shared cache
//! ([`RedisStore`](crate::RedisStore), [`SqlStore`](crate::SqlStore)), or a proof replayed to a second instance
//! would pass there. A shared cache holds both kinds, each entry about 180 bytes in Redis (a `SET NX EX` key
//! expiring with the proof): plan for (DPoP requests per second × 95 s) + instances ×
//! `token_endpoint_capacity` of them. Under `maxmemory-policy noeviction` a full Redis refuses writes —
//! revocations included — so leave that headroom, or give the replay cache a Redis of its own: then a full
//! replay cache refuses proofs (503), never a revocation.

mod htu;
mod nonce;
mod proof;
mod replay;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, Response, StatusCode, Uri};
use http_body_util::Full;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, AlgorithmFamily};

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::jose::random::random_bytes;
use crate::store::Lookup;
use crate::well_known::document::oauth_error;

pub use crate::jose::thumbprint::jwk_thumbprint;
pub(crate) use proof::{verify, Partition, ProofTarget};
use replay::NotRecorded;
pub use replay::{
    MemoryReplayCache, ReplayCache, DEFAULT_REPLAY_CAPACITY, DEFAULT_TOKEN_ENDPOINT_CAPACITY,
};

/// The request header that carries the proof.
pub const DPOP_HEADER: HeaderName = HeaderName::from_static("dpop");
/// The response header that carries a server nonce (RFC 9449 §8).
pub const DPOP_NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// How old a proof's `iat` may be unless configured: 60 seconds.
pub const DEFAULT_PROOF_MAX_AGE: Duration = Duration::from_secs(60);
/// How far in the future a proof's `iat` may be unless configured: 5 seconds.
pub const DEFAULT_PROOF_CLOCK_SKEW: Duration = Duration::from_secs(5);
/// Largest proof accepted unless configured (a proof with an RSA 4096 key is about 1.5 KiB).
pub const DEFAULT_MAX_PROOF_SIZE: usize = 4 * 1024;
/// The algorithms accepted for proofs unless configured.
pub const DEFAULT_PROOF_ALGORITHMS: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::ES384,
    Algorithm::PS256,
    Algorithm::RS256,
];
/// The longest `iat` window side accepted.
const MAX_WINDOW: Duration = Duration::from_secs(300);

/// Whether a layer takes DPoP-bound tokens; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopPolicy {
    /// Bearer tokens only (bound tokens are refused).
    #[default]
    Off,
    /// Bearer tokens, and bound tokens with a proof.
    Allowed,
    /// Bound tokens with a proof only.
    Required,
}

/// Live token-endpoint proofs one refresh session may have recorded at once: a client refreshes once per
/// access-token lifetime, so one stolen or self-held refresh token can't fill the token-endpoint cache alone.
const PROOFS_PER_SESSION: usize = 8;

/// A verified DPoP proof, used once: what [`Dpop::check`] and [`Dpop::record`] return and
/// [`Sessions::login_with`](crate::Sessions::login_with) binds a pair to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    thumbprint: String,
    issued_at: i64,
    replay_key: [u8; 32],
    replay_until: i64,
}

impl DpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key (what a bound token's `cnf.jkt` names).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The proof's `iat`.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }
}

/// A proof of a token-endpoint request whose signature and claims verified, not yet recorded as used: what
/// [`Dpop::verify`] returns. Check the request's credentials (a password, a refresh token), then
/// [`Dpop::record`] it: only then does it take room in the replay cache, and only then can it bind a pair.
#[derive(Debug, PartialEq, Eq)]
pub struct VerifiedProof(DpopProof);

impl VerifiedProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key.
    pub fn thumbprint(&self) -> &str {
        self.0.thumbprint()
    }
}

/// The proof rules of a service: see the [module docs](self). Cloning is a pointer copy; share one between the
/// layer, the login handler and the refresh endpoint, so they share its replay cache.
#[derive(Clone)]
pub struct Dpop {
    inner: Arc<DpopInner>,
}

pub(crate) struct DpopInner {
    /// The normalised public URLs, without a trailing slash.
    bases: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    /// `algs="…"` of the challenges and the metadata: the algorithm names, space separated.
    algs: String,
    pub(crate) max_age: i64,
    pub(crate) max_skew: i64,
    pub(crate) max_proof_size: usize,
    /// Resource proofs, recorded after the access token they came with verified.
    replay: Arc<dyn ReplayCache>,
    /// Token-endpoint proofs, in this process: bounded apart from resource proofs, and the only record of them
    /// unless a shared cache is configured.
    token_proofs: MemoryReplayCache,
    /// The configured shared cache, where token-endpoint proofs go too once they fit `token_proofs`.
    shared: Option<Arc<dyn ReplayCache>>,
    pub(crate) nonces: Option<nonce::Nonces>,
    clock: SharedClock,
    pub(crate) provider: &'static CryptoProvider,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Dpop")
            .field("public_urls", &inner.bases)
            .field("algorithms", &inner.algorithms)
            .field("max_age", &inner.max_age)
            .field("max_skew", &inner.max_skew)
            .field("nonces", &inner.nonces)
            .finish_non_exhaustive()
    }
}

impl DpopInner {
    /// Whether the proof `key` is known to be used already, answered at once (before its signature is checked):
    /// in this process's record of token-endpoint proofs, or a resource replay cache that can tell.
    pub(crate) fn known_used(&self, partition: Partition, key: &[u8; 32], now: i64) -> bool {
        match partition {
            Partition::Resource => self.replay.known_used(key, now),
            Partition::TokenEndpoint => self.token_proofs.known_used(key, now),
        }
    }

    /// Whether the proof's `htu` names `path` under one of the public URLs. A request path with dot segments
    /// matches nothing: the router would see it raw.
    pub(crate) fn matches_htu(&self, htu_value: &str, path: &str) -> bool {
        if htu::is_unusual_path(path) {
            return false;
        }
        let (Some(htu_value), Some(path)) = (htu::normalize(htu_value), htu::normalize_path(path))
        else {
            return false;
        };
        self.bases.iter().any(|base| {
            htu_value
                .strip_prefix(base.as_str())
                .is_some_and(|rest| rest == path)
        })
    }
}

impl Dpop {
    /// Starts configuring the proof rules.
    pub fn builder() -> DpopBuilder {
        DpopBuilder {
            public_urls: Vec::new(),
            algorithms: DEFAULT_PROOF_ALGORITHMS.to_vec(),
            max_age: DEFAULT_PROOF_MAX_AGE,
            max_skew: DEFAULT_PROOF_CLOCK_SKEW,
            max_proof_size: DEFAULT_MAX_PROOF_SIZE,
            replay: None,
            token_endpoint_capacity: DEFAULT_TOKEN_ENDPOINT_CAPACITY,
            nonce_window: None,
            nonce_key: None,
            clock: None,
            provider: None,
        }
    }

    /// The accepted algorithms, as challenges and metadata name them.
    pub fn algorithm_names(&self) -> impl Iterator<Item = &str> {
        self.inner.algs.split(' ')
    }

    pub(crate) fn algs(&self) -> &str {
        &self.inner.algs
    }

    /// The proof rules' clock.
    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The one `DPoP` header of a request: `None` without one; two are refused.
    pub(crate) fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
        let mut values = headers.get_all(DPOP_HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop());
        }
        value
            .to_str()
            .map(Some)
            .map_err(|_| AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop())
    }

    /// Verifies a proof for `target` at `now` (no replay check yet).
    pub(crate) fn verify_at(
        &self,
        proof: &str,
        target: &ProofTarget<'_>,
        now: i64,
    ) -> Result<DpopProof, AuthError> {
        verify(&self.inner, proof, target, now)
    }

    /// Records the use of a resource proof (one whose access token verified): `Ok(true)` the first time.
    pub(crate) fn remember(&self, proof: &DpopProof, now: i64) -> Lookup<bool> {
        self.inner
            .replay
            .first_use(&proof.replay_key, now, proof.replay_until)
    }

    /// Verifies the `DPoP` proof of a token-endpoint request — `method`, the path of `uri` under the public
    /// URL, and, when `access_token` is given, its `ath` — without recording it: `Ok(None)` when the request has
    /// no `DPoP` header. The cheap checks (`htm`, `htu`, `iat`, `jti`, `ath`, nonce, key size, an earlier use
    /// known to this process) come before the signature.
    ///
    /// A login handler calls it first, checks the credentials, then [`record`](Self::record)s the proof and
    /// passes it to [`Sessions::login_with`](crate::Sessions::login_with): a proof with wrong credentials takes
    /// no room in the replay cache, so nobody fills it with self-signed proofs. Errors are
    /// [`AuthErrorKind::InvalidDpopProof`] (a replay included) or [`AuthErrorKind::UseDpopNonce`] (with
    /// [`AuthError::dpop_nonce`]); answer them with [`token_endpoint_refusal`](Self::token_endpoint_refusal).
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        access_token: Option<&str>,
    ) -> Result<Option<VerifiedProof>, AuthError> {
        let Some(proof) = Self::proof_header(headers)? else {
            return Ok(None);
        };
        let target = ProofTarget {
            method,
            uri,
            access_token,
            key: None,
            partition: Partition::TokenEndpoint,
        };
        self.verify_at(proof, &target, self.now())
            .map(|proof| Some(VerifiedProof(proof)))
    }

    /// Records the use of a proof [`verify`](Self::verify) accepted, after the request's credentials were
    /// checked: the proof is accepted once. Token-endpoint proofs are kept apart from resource proofs, in
    /// [`DpopBuilder::token_endpoint_capacity`] live entries per process (then in the shared cache, when one
    /// is configured), so they never crowd out the proofs of requests with a valid access token.
    ///
    /// Errors are [`AuthErrorKind::InvalidDpopProof`] for a replay, and [`AuthErrorKind::Unavailable`] when
    /// the token-endpoint capacity is full of live proofs or a shared replay cache is down.
    pub async fn record(&self, proof: VerifiedProof) -> Result<DpopProof, AuthError> {
        self.record_for(proof, None).await
    }

    /// [`record`](Self::record), counted against the quota of the refresh session `session` when given.
    pub(crate) async fn record_for(
        &self,
        proof: VerifiedProof,
        session: Option<&str>,
    ) -> Result<DpopProof, AuthError> {
        use sha2::{Digest, Sha256};
        let VerifiedProof(proof) = proof;
        let inner = &*self.inner;
        let now = self.now();
        let holder = session.map(|session| {
            let digest = Sha256::new()
                .chain_update(b"tower-jwt-auth dpop session\0")
                .chain_update(session.as_bytes())
                .finalize();
            let mut holder = [0u8; 16];
            holder.copy_from_slice(&digest[..16]);
            (holder, PROOFS_PER_SESSION)
        });
        match inner
            .token_proofs
            .record(&proof.replay_key, holder, now, proof.replay_until)
        {
            Ok(()) => {}
            Err(NotRecorded::Replay) => replay_verdict(Ok(false))?,
            Err(NotRecorded::Full | NotRecorded::OverQuota) => {
                return Err(AuthErrorKind::Unavailable.into())
            }
        }
        if let Some(shared) = &inner.shared {
            replay_verdict(
                shared
                    .first_use(&proof.replay_key, now, proof.replay_until)
                    .resolve()
                    .await,
            )?;
        }
        Ok(proof)
    }

    /// [`verify`](Self::verify) and [`record`](Self::record) at once: verifies the `DPoP` proof of a request
    /// and records its use, so it is accepted once. `Ok(None)` when the request has no `DPoP` header.
    ///
    /// Handy when the request carries no credentials to check first; a login handler should
    /// [`verify`](Self::verify), check the password, then [`record`](Self::record). Errors are those of both.
    pub async fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        access_token: Option<&str>,
    ) -> Result<Option<DpopProof>, AuthError> {
        match self.verify(method, uri, headers, access_token)? {
            None => Ok(None),
            Some(proof) => self.record(proof).await.map(Some),
        }
    }

    /// The answer of a token endpoint (a login handler, [`RefreshEndpoint`](crate::session::RefreshEndpoint)) to a proof
    /// [`verify`](Self::verify), [`record`](Self::record) or [`check`](Self::check) refused, as RFC 9449 §5 and
    /// RFC 6749 §5.2 say: 400 `{"error":"invalid_dpop_proof"}` (a replay included); 400
    /// `{"error":"use_dpop_nonce"}` with the nonce in `DPoP-Nonce` (RFC 9449 §8); 503 `temporarily_unavailable`
    /// when the replay cache can't record the proof. Never cached, and no `WWW-Authenticate` challenge: that is
    /// a resource server's answer (the layer's), which OAuth clients would take for one.
    pub fn token_endpoint_refusal(&self, error: &AuthError) -> Response<Full<Bytes>> {
        let mut response = match error.kind() {
            AuthErrorKind::Unavailable => {
                return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
            AuthErrorKind::UseDpopNonce => oauth_error(StatusCode::BAD_REQUEST, "use_dpop_nonce"),
            _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
        };
        insert_nonce(response.headers_mut(), error);
        response
    }

    /// The nonce clients should put into proofs now, when nonces are required.
    pub fn current_nonce(&self) -> Option<String> {
        let nonces = self.inner.nonces.as_ref()?;
        Some(nonces.current(self.now()))
    }
}

/// Hands out the nonce a `use_dpop_nonce` refusal carries, as the `DPoP-Nonce` header of its response.
pub(crate) fn insert_nonce(headers: &mut HeaderMap, error: &AuthError) {
    if let Some(nonce) = error
        .dpop_nonce()
        .and_then(|n| http::HeaderValue::from_str(n).ok())
    {
        headers.insert(DPOP_NONCE_HEADER, nonce);
    }
}

/// A replay is an invalid proof; a cache that cannot answer refuses the request (503).
pub(crate) fn replay_verdict(
    answer: Result<bool, crate::store::StoreError>,
) -> Result<(), AuthError> {
    match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "jti").with_dpop()),
        Err(_) => Err(AuthErrorKind::Unavailable.into()),
    }
}

/// Builds a [`Dpop`]; see [`Dpop::builder`].
pub struct DpopBuilder {
    public_urls: Vec<String>,
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    max_skew: Duration,
    max_proof_size: usize,
    replay: Option<Arc<dyn ReplayCache>>,
    token_endpoint_capacity: usize,
    nonce_window: Option<Duration>,
    nonce_key: Option<[u8; 32]>,
    clock: Option<SharedClock>,
    provider: Option<&'static CryptoProvider>,
}

impl fmt::Debug for DpopBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopBuilder")
            .field("public_urls", &self.public_urls)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl DpopBuilder {
    /// A public URL of the service (required; call again for several): the scheme, host, optional port and
    /// optional path prefix clients use, e.g. `https://api.example.com`. A proof's `htu` must be one of them
    /// followed by the request's path. Behind a proxy this is the external URL: the `Host` header is never
    /// trusted for it.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_urls.push(url.into());
        self
    }

    /// The proof algorithms accepted (default [`DEFAULT_PROOF_ALGORITHMS`]: ES256, EdDSA, ES384, PS256,
    /// RS256). Only asymmetric algorithms: an HMAC one is a build error.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How old a proof may be (default 60 s, at most 300 s). A proof is made just before its request, so it is
    /// only as old as the network is slow; each `jti` is remembered this long.
    pub fn proof_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How far ahead of the server's clock a proof's `iat` may be (default 5 s, at most 300 s). Kept short: a
    /// proof dated in the future stays usable longer. Clients with worse clocks should use server nonces.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Largest proof accepted, in bytes (default 4 KiB).
    pub fn max_proof_size(mut self, bytes: usize) -> Self {
        self.max_proof_size = bytes;
        self
    }

    /// Where used proofs are remembered (default: a [`MemoryReplayCache`] of [`DEFAULT_REPLAY_CAPACITY`] for
    /// resource proofs). A shared cache ([`RedisStore`](crate::RedisStore), [`SqlStore`](crate::SqlStore))
    /// takes every proof, so one used at an instance is refused at all of them; token-endpoint proofs reach it
    /// only through this process's [`token_endpoint_capacity`](Self::token_endpoint_capacity), which bounds
    /// what callers without a valid access token can make it store.
    pub fn replay_cache(self, cache: impl ReplayCache) -> Self {
        self.replay_cache_shared(Arc::new(cache))
    }

    /// Same as [`replay_cache`](Self::replay_cache), for a cache already behind an `Arc`.
    pub fn replay_cache_shared(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// How many token-endpoint proofs (checked by [`Dpop::record`], [`Dpop::check`] and
    /// [`RefreshEndpoint`](crate::session::RefreshEndpoint)) this process keeps live at once (default
    /// [`DEFAULT_TOKEN_ENDPOINT_CAPACITY`], at least one). They are kept apart from resource proofs, which
    /// come with a verified access token, so a flood of self-signed proofs at a login can fill only this: token
    /// requests then get 503 until the flood's proofs age out (one proof window, about 95 s by default), while
    /// requests with a valid DPoP-bound access token go on. Proofs are recorded only after the credentials
    /// are checked (a login's password, a refresh token's tag and key), and each refresh session has at most
    /// 8 live ones, so filling it takes that many genuine credentials.
    ///
    /// Size it as token requests per second × the proof window (`proof_max_age` + `clock_skew` + 30 s), with
    /// room for bursts; each entry costs about 100 bytes here, and about 180 bytes in a shared Redis or SQL
    /// cache, where this bound also caps what token endpoints write.
    pub fn token_endpoint_capacity(mut self, proofs: usize) -> Self {
        self.token_endpoint_capacity = proofs;
        self
    }

    /// Requires server nonces (RFC 9449 §8): each proof must carry a nonce the server handed out, which changes
    /// every `window` (the previous one stays valid for one more window). This bounds how long a proof made in
    /// advance can be used, whatever the client's clock says.
    pub fn require_nonce(mut self, window: Duration) -> Self {
        self.nonce_window = Some(window);
        self
    }

    /// The key nonces are derived from (random per process by default): give every instance the same 32 random
    /// bytes so a nonce from one is accepted by all.
    pub fn nonce_key(mut self, key: [u8; 32]) -> Self {
        self.nonce_key = Some(key);
        self
    }

    /// The clock proofs' `iat` is compared with in [`Dpop::check`] (default: the system clock). A layer checks
    /// proofs on its own clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Uses an explicit jsonwebtoken crypto provider instead of the one the crate features select.
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Checks the settings and builds the rules.
    pub fn build(self) -> Result<Dpop, ConfigError> {
        if self.public_urls.is_empty() {
            return Err(ConfigError::Missing(
                "DpopBuilder::public_url, the URL the proofs' htu must match: call \
                 .public_url(\"https://api.example.com\")",
            ));
        }
        let bases = self
            .public_urls
            .iter()
            .map(|url| {
                htu::normalize(url)
                    .map(|base| base.trim_end_matches('/').to_owned())
                    .ok_or_else(|| ConfigError::InvalidUrl {
                        setting: "DpopBuilder::public_url",
                        url: url.clone(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.algorithms.is_empty() {
            return Err(ConfigError::Missing(
                "DpopBuilder::algorithms, the algorithms proofs may use: list at least one (ES256, EdDSA, ...)",
            ));
        }
        if self
            .algorithms
            .iter()
            .any(|alg| alg.family() == AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::HmacAlgorithm {
                setting: "DpopBuilder::algorithms",
            });
        }
        let window = |d: Duration, setting| match d <= MAX_WINDOW {
            true => Ok(d.as_secs() as i64),
            false => Err(ConfigError::InvalidDuration {
                setting,
                expected: "at most 300 seconds",
            }),
        };
        let max_age = window(self.max_age, "DpopBuilder::proof_max_age")?;
        let max_skew = window(self.max_skew, "DpopBuilder::clock_skew")?;
        if max_age == 0 {
            return Err(ConfigError::InvalidDuration {
                setting: "DpopBuilder::proof_max_age",
                expected: "between 1 and 300 seconds",
            });
        }
        if self.max_proof_size == 0 {
            return Err(ConfigError::InvalidSize {
                setting: "DpopBuilder::max_proof_size",
            });
        }
        let nonces = match self.nonce_window {
            None => None,
            Some(window) if window.as_secs() == 0 => {
                return Err(ConfigError::InvalidDuration {
                    setting: "DpopBuilder::require_nonce",
                    expected: "at least one second",
                })
            }
            Some(window) => Some(nonce::Nonces {
                key: self.nonce_key.unwrap_or_else(random_bytes::<32>),
                window: window.as_secs() as i64,
            }),
        };
        let algs = self
            .algorithms
            .iter()
            .map(|alg| {
                serde_json::to_value(alg)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ");
        let provider = match self.provider {
            Some(provider) => provider,
            None => crate::crypto::feature_provider()?,
        };
        Ok(Dpop {
            inner: Arc::new(DpopInner {
                bases,
                algorithms: self.algorithms,
                algs,
                max_age,
                max_skew,
                max_proof_size: self.max_proof_size,
                replay: self
                    .replay
                    .clone()
                    .unwrap_or_else(|| Arc::new(MemoryReplayCache::default())),
                token_proofs: MemoryReplayCache::new(self.token_endpoint_capacity),
                shared: self.replay,
                nonces,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                provider,
            }),
        })
    }
}
