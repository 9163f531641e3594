//! Remote keys (feature `jwks`): a JWK Set URL, OpenID Connect discovery, or a static JWK Set document, with a
//! key cache built for production.
//!
//! - Reads are lock-free (`arc-swap`); one fetch at a time however many requests wait (single flight).
//! - A background task refreshes the set, honouring `Cache-Control: max-age` within configured bounds.
//! - An unknown `kid` triggers at most one refetch per interval, so random kids can't become a fetch flood.
//! - While the provider is down, the last good set keeps verifying, up to a maximum staleness.
//! - Every fetch has a timeout. Building never waits for the network; until the first fetch succeeds, requests
//!   get 503.
//!
//! ```no_run
//! # async fn run() -> Result<(), tower_jwt_auth::ConfigError> {
//! use std::time::Duration;
//! use tower_jwt_auth::{Jwks, JwtAuthLayer};
//!
//! let auth = JwtAuthLayer::builder()
//!     .issuer("https://auth.example.com/realms/main")
//!     .audience("orders-api")
//!     .jwks(Jwks::oidc("https://auth.example.com/realms/main")?.timeout(Duration::from_secs(3)))
//!     .build()?;
//! # let _ = auth; Ok(()) }
//! ```

mod document;
mod fetch;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use http::{StatusCode, Uri};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

pub use fetch::{FetchError, FetchFuture, FetchedDocument, HyperFetcher, JwksFetcher};

use crate::error::{AuthErrorKind, ConfigError};
use crate::keys::VerificationKey;
use crate::trust::{KeyLookup, SelectedKey};
use document::{parse_key_set, KeyTable};
use fetch::SharedFetcher;

/// Where the keys come from.
#[derive(Clone)]
enum Source {
    Url(Uri),
    Oidc { issuer: String, discovery: Uri },
    Document(String),
}

#[derive(Debug, Clone)]
struct Settings {
    algorithms: Vec<Algorithm>,
    timeout: Duration,
    min_refresh: Duration,
    max_refresh: Duration,
    default_refresh: Duration,
    unknown_kid_interval: Duration,
    max_staleness: Duration,
    allow_http: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
                Algorithm::ES256,
                Algorithm::ES384,
                Algorithm::EdDSA,
            ],
            timeout: Duration::from_secs(5),
            min_refresh: Duration::from_secs(60),
            max_refresh: Duration::from_secs(24 * 3600),
            default_refresh: Duration::from_secs(300),
            unknown_kid_interval: Duration::from_secs(10),
            max_staleness: Duration::from_secs(12 * 3600),
            allow_http: false,
        }
    }
}

/// A remote (or static) JWK Set the layer trusts. Add it with
/// [`JwtAuthBuilder::jwks`](crate::JwtAuthBuilder::jwks) or, per issuer, [`TrustedIssuer::jwks`](crate::TrustedIssuer::jwks).
///
/// Defaults: algorithms RS*, PS*, ES256, ES384, EdDSA (never HMAC); 5 s fetch timeout; refresh every
/// `max-age` (5 min without one) clamped to 1 min … 24 h; at most one refetch per 10 s for unknown `kid`s;
/// last-known-good keys for up to 12 h while the provider is down.
#[derive(Clone)]
pub struct Jwks {
    source: Source,
    settings: Settings,
    fetcher: Option<SharedFetcher>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Url(uri) => format!("url {uri}"),
            Source::Oidc { issuer, .. } => format!("oidc {issuer}"),
            Source::Document(_) => "static document".to_owned(),
        };
        f.debug_struct("Jwks")
            .field("source", &source)
            .field("settings", &self.settings)
            .finish()
    }
}

fn parse_uri(text: &str) -> Result<Uri, ConfigError> {
    let uri: Uri = text
        .parse()
        .map_err(|_| ConfigError::InvalidName(text.to_owned()))?;
    match uri.scheme_str() {
        Some("https" | "http") if uri.host().is_some() => Ok(uri),
        _ => Err(ConfigError::InvalidName(text.to_owned())),
    }
}

impl Jwks {
    fn with_source(source: Source) -> Self {
        Self {
            source,
            settings: Settings::default(),
            fetcher: None,
        }
    }

    /// The JWK Set at `url` (`https://…`; `http://` only for tests and trusted networks).
    pub fn url(url: &str) -> Result<Self, ConfigError> {
        Ok(Self::with_source(Source::Url(parse_uri(url)?)))
    }

    /// OpenID Connect discovery: reads `<issuer>/.well-known/openid-configuration`, requires its `issuer` to equal
    /// `issuer` exactly, and uses its `jwks_uri`, which must be `https` unless [`allow_http`](Self::allow_http)
    /// (a discovery document naming a plain-HTTP key set is refused: anyone on the path could swap the keys).
    pub fn oidc(issuer: &str) -> Result<Self, ConfigError> {
        let discovery = parse_uri(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))?;
        Ok(Self::with_source(Source::Oidc {
            issuer: issuer.to_owned(),
            discovery,
        }))
    }

    /// A JWK Set given as JSON text (no fetching).
    pub fn document(json: impl Into<String>) -> Self {
        Self::with_source(Source::Document(json.into()))
    }

    /// Algorithms keys of this set may verify (keys without `alg` get every allowed algorithm of their type).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.settings.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Lets OpenID Connect discovery use a plain `http://` `jwks_uri` (loopback tests, trusted networks only).
    pub fn allow_http(mut self) -> Self {
        self.settings.allow_http = true;
        self
    }

    /// Time limit of one fetch (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// Bounds for the refresh interval taken from `Cache-Control: max-age` (default 1 min … 24 h).
    pub fn refresh_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.settings.min_refresh = min;
        self.settings.max_refresh = max;
        self
    }

    /// Refresh interval when the response has no `max-age` (default 5 min, then clamped to the bounds).
    pub fn default_refresh(mut self, interval: Duration) -> Self {
        self.settings.default_refresh = interval;
        self
    }

    /// Minimum time between fetches caused by unknown `kid`s or failures (default 10 s).
    pub fn unknown_kid_interval(mut self, interval: Duration) -> Self {
        self.settings.unknown_kid_interval = interval;
        self
    }

    /// How long the last good key set keeps verifying after the last successful fetch (default 12 h).
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.settings.max_staleness = staleness;
        self
    }

    /// Fetches through your own client (see [`JwksFetcher`]).
    pub fn fetcher(mut self, fetcher: impl JwksFetcher) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// Starts the key cache: a static document is parsed now; a remote one is fetched in the background (when a
    /// tokio runtime is running) and on demand.
    pub(crate) fn start(
        self,
        provider: &'static CryptoProvider,
    ) -> Result<Arc<RemoteKeys>, ConfigError> {
        if self
            .settings
            .algorithms
            .iter()
            .any(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::AlgorithmMismatch);
        }
        if self.settings.min_refresh > self.settings.max_refresh || self.settings.timeout.is_zero()
        {
            return Err(ConfigError::InvalidDuration(
                "JWKS refresh bounds or timeout",
            ));
        }
        let initial = match &self.source {
            Source::Document(json) => {
                let table = parse_key_set(json.as_bytes(), &self.settings.algorithms, provider)
                    .map_err(|_| ConfigError::InvalidKey("not a JWK Set".into()))?;
                Snapshot {
                    table,
                    fetched_at: Some(Instant::now()),
                    body: json.clone().into_bytes(),
                }
            }
            _ => Snapshot::default(),
        };
        let fetcher = self
            .fetcher
            .clone()
            .unwrap_or_else(|| Arc::new(HyperFetcher::new()));
        let is_static = matches!(self.source, Source::Document(_));
        let remote = Arc::new(RemoteKeys {
            source: self.source,
            settings: self.settings,
            fetcher,
            provider,
            is_static,
            snapshot: ArcSwap::from_pointee(initial),
            generation: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            in_flight: AtomicBool::new(false),
            last_attempt: Mutex::new(None),
            next_refresh: Mutex::new(Duration::ZERO),
            refresh_lock: tokio::sync::Mutex::new(None),
        });
        if !is_static {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(refresh_in_background(Arc::downgrade(&remote)));
            }
        }
        Ok(remote)
    }
}

/// One fetched key set.
#[derive(Default)]
struct Snapshot {
    table: KeyTable,
    fetched_at: Option<Instant>,
    body: Vec<u8>,
}

/// The running key cache of one [`Jwks`].
pub(crate) struct RemoteKeys {
    source: Source,
    settings: Settings,
    fetcher: SharedFetcher,
    provider: &'static CryptoProvider,
    is_static: bool,
    snapshot: ArcSwap<Snapshot>,
    /// Bumped when the key set changes (cached tokens verified under an older one are verified again).
    generation: AtomicU64,
    /// Bumped when a fetch attempt ends, successful or not (waiters use it to see that someone fetched).
    attempts: AtomicU64,
    in_flight: AtomicBool,
    last_attempt: Mutex<Option<Instant>>,
    next_refresh: Mutex<Duration>,
    /// Single flight; holds the `jwks_uri` found by discovery.
    refresh_lock: tokio::sync::Mutex<Option<Uri>>,
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("keys", &self.snapshot.load().table.len())
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

/// `max-age` of a `Cache-Control` header, `Some(0)` for `no-cache`/`no-store`.
fn max_age(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|directive| {
        if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        {
            return Some(Duration::ZERO);
        }
        let (name, seconds) = directive.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| seconds.trim().parse().ok().map(Duration::from_secs))?
    })
}

async fn refresh_in_background(remote: Weak<RemoteKeys>) {
    loop {
        let Some(keys) = remote.upgrade() else { return };
        {
            let observed = keys.attempts.load(Ordering::SeqCst);
            let mut jwks_uri = keys.refresh_lock.lock().await;
            if keys.attempts.load(Ordering::SeqCst) == observed {
                keys.fetch_locked(&mut jwks_uri).await;
            }
        }
        let delay = *keys.next_refresh.lock().unwrap_or_else(|e| e.into_inner());
        drop(keys);
        tokio::time::sleep(delay).await;
    }
}

impl RemoteKeys {
    /// The key-set version. Past the maximum staleness it changes too (top bit set), so tokens cached while the
    /// keys were fresh are verified again — and refused with 503 while the provider stays down.
    pub(crate) fn generation(&self) -> u64 {
        let generation = self.generation.load(Ordering::SeqCst);
        if self.usable(&self.snapshot.load()) {
            generation
        } else {
            generation | 1 << 63
        }
    }

    fn usable(&self, snapshot: &Snapshot) -> bool {
        snapshot
            .fetched_at
            .is_some_and(|at| self.is_static || at.elapsed() <= self.settings.max_staleness)
    }

    /// Whether a fetch may start now (rate limit for unknown kids and failures), or one is running to join.
    fn may_fetch(&self) -> bool {
        if self.is_static {
            return false;
        }
        if self.in_flight.load(Ordering::SeqCst) {
            return true;
        }
        let last = *self.last_attempt.lock().unwrap_or_else(|e| e.into_inner());
        last.is_none_or(|at| at.elapsed() >= self.settings.unknown_kid_interval)
    }

    /// The key for a token, or a wait for one fetch, or a refusal.
    pub(crate) fn lookup(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Algorithm,
        may_wait: bool,
    ) -> KeyLookup<'static> {
        if !self.settings.algorithms.contains(&alg) {
            // No key of this set can verify it, whatever a refetch brings (HMAC tokens, say).
            return KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm);
        }
        let snapshot = self.snapshot.load();
        let usable = self.usable(&snapshot);
        if usable {
            let candidates: &[Arc<VerificationKey>] = match kid {
                Some(kid) => snapshot.table.by_kid.get(kid).map_or(&[], Vec::as_slice),
                None => &snapshot.table.without_kid,
            };
            let found: Vec<SelectedKey<'static>> = candidates
                .iter()
                .filter(|k| k.algorithm() == alg)
                .map(|k| SelectedKey::Remote(Arc::clone(k)))
                .collect();
            if !found.is_empty() {
                return KeyLookup::Found(found);
            }
            if !candidates.is_empty() {
                return KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm);
            }
        }
        if may_wait && self.may_fetch() {
            let keys = Arc::clone(self);
            let observed = self.attempts.load(Ordering::SeqCst);
            return KeyLookup::Wait(Box::pin(async move {
                let mut jwks_uri = keys.refresh_lock.lock().await;
                if keys.attempts.load(Ordering::SeqCst) == observed && keys.may_fetch() {
                    keys.fetch_locked(&mut jwks_uri).await;
                }
            }));
        }
        KeyLookup::Refused(if usable {
            AuthErrorKind::UnknownKey
        } else {
            AuthErrorKind::Unavailable
        })
    }

    /// One fetch attempt; the caller holds the refresh lock.
    async fn fetch_locked(&self, jwks_uri: &mut Option<Uri>) {
        *self.last_attempt.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        self.in_flight.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(self.settings.timeout, self.fetch_key_set(jwks_uri)).await;
        let outcome = outcome.unwrap_or_else(|_| Err("timed out".to_owned()));
        let next = match outcome {
            Ok((table, body, max_age)) => {
                #[cfg(feature = "tracing")]
                tracing::info!(
                    keys = table.len(),
                    kids = ?table.kids().collect::<Vec<_>>(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "JWKS fetched"
                );
                let changed = self.snapshot.load().body != body;
                self.snapshot.store(Arc::new(Snapshot {
                    table,
                    fetched_at: Some(Instant::now()),
                    body,
                }));
                if changed {
                    self.generation.fetch_add(1, Ordering::SeqCst);
                }
                max_age
                    .unwrap_or(self.settings.default_refresh)
                    .clamp(self.settings.min_refresh, self.settings.max_refresh)
            }
            Err(_why) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(error = %_why, elapsed_ms = started.elapsed().as_millis() as u64, "JWKS fetch failed");
                *jwks_uri = None;
                self.settings
                    .unknown_kid_interval
                    .min(self.settings.max_refresh)
            }
        };
        let _ = started;
        *self.next_refresh.lock().unwrap_or_else(|e| e.into_inner()) = next;
        self.in_flight.store(false, Ordering::SeqCst);
        self.attempts.fetch_add(1, Ordering::SeqCst);
    }

    async fn get(&self, uri: &Uri) -> Result<FetchedDocument, String> {
        let document = self.fetcher.fetch(uri).await.map_err(|e| e.to_string())?;
        if document.status != StatusCode::OK {
            return Err(format!("status {}", document.status));
        }
        Ok(document)
    }

    async fn fetch_key_set(
        &self,
        jwks_uri: &mut Option<Uri>,
    ) -> Result<(KeyTable, Vec<u8>, Option<Duration>), String> {
        let uri = match (&self.source, jwks_uri.as_ref()) {
            (Source::Url(uri), _) => uri.clone(),
            (Source::Oidc { .. }, Some(known)) => known.clone(),
            (Source::Oidc { issuer, discovery }, None) => {
                let found = self.discover(issuer, discovery).await?;
                *jwks_uri = Some(found.clone());
                found
            }
            (Source::Document(_), _) => return Err("static documents are not fetched".into()),
        };
        let document = self.get(&uri).await?;
        let table = parse_key_set(&document.body, &self.settings.algorithms, self.provider)
            .map_err(|_| "not a JWK Set".to_owned())?;
        Ok((table, document.body.to_vec(), max_age(&document.headers)))
    }

    async fn discover(&self, issuer: &str, discovery: &Uri) -> Result<Uri, String> {
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let document = self.get(discovery).await?;
        let found: Discovery =
            serde_json::from_slice(&document.body).map_err(|_| "bad discovery document")?;
        if found.issuer != issuer {
            return Err("the discovery document names another issuer".into());
        }
        let uri = parse_uri(&found.jwks_uri).map_err(|_| "bad jwks_uri".to_owned())?;
        if uri.scheme_str() != Some("https") && !self.settings.allow_http {
            return Err("the discovery document names a jwks_uri that is not https".into());
        }
        Ok(uri)
    }
}
