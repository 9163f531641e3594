//! The running key cache of one [`Jwks`](super::Jwks): lock-free reads, one fetch at a time, background
//! refresh, a rate limit for unknown `kid`s, and last-known-good keys up to a maximum staleness.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use http::{StatusCode, Uri};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

use super::document::{parse_key_set, KeyTable};
use super::fetch::{FetchedDocument, SharedFetcher};
use super::{check_transport, parse_uri, Settings, Source};
use crate::error::{AuthErrorKind, ConfigError};
use crate::keys::source::{KeyLookup, KeySource, SelectedKey};
use crate::keys::verification::VerificationKey;

/// One fetched key set, replaced whole by each successful fetch.
#[derive(Default)]
struct Snapshot {
    table: KeyTable,
    fetched_at: Option<Instant>,
    body: Vec<u8>,
    /// Bumped when the keys change (cached tokens verified under an older set are verified again).
    generation: u64,
}

/// The bookkeeping of fetches, touched only around a fetch (never on a request that finds its key).
#[derive(Default)]
struct FetchState {
    /// Bumped when a fetch attempt ends, successful or not (waiters use it to see that someone fetched).
    attempts: u64,
    in_flight: bool,
    last_attempt: Option<Instant>,
    /// When the background task fetches next.
    next_refresh: Duration,
}

/// The state of the cache: three parts, each with one job.
struct CacheState {
    /// The current keys, read lock-free by every request.
    snapshot: ArcSwap<Snapshot>,
    /// Rate limit, waiters' progress and the refresh schedule.
    fetch: Mutex<FetchState>,
    /// Single flight: one fetch at a time; holds the `jwks_uri` found by discovery.
    flight: tokio::sync::Mutex<Option<Uri>>,
}

/// The running key cache of one [`Jwks`](super::Jwks).
pub(crate) struct RemoteKeys {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    settings: Settings,
    fetcher: SharedFetcher,
    provider: &'static CryptoProvider,
    is_static: bool,
    state: CacheState,
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("keys", &self.inner.state.snapshot.load().table.len())
            .field("generation", &self.inner.generation())
            .finish_non_exhaustive()
    }
}

impl RemoteKeys {
    /// Parses a static document now; starts the background refresh of a remote one (when a tokio runtime is
    /// running).
    pub(super) fn start(
        source: Source,
        settings: Settings,
        fetcher: SharedFetcher,
        provider: &'static CryptoProvider,
    ) -> Result<Self, ConfigError> {
        let initial = match &source {
            Source::Document(json) => {
                let table = parse_key_set(json.as_bytes(), &settings.algorithms, provider)
                    .map_err(|_| ConfigError::InvalidKey("not a JWK Set".into()))?;
                Snapshot {
                    table,
                    fetched_at: Some(Instant::now()),
                    body: json.clone().into_bytes(),
                    generation: 0,
                }
            }
            _ => Snapshot::default(),
        };
        let is_static = matches!(source, Source::Document(_));
        let inner = Arc::new(Inner {
            source,
            settings,
            fetcher,
            provider,
            is_static,
            state: CacheState {
                snapshot: ArcSwap::from_pointee(initial),
                fetch: Mutex::new(FetchState::default()),
                flight: tokio::sync::Mutex::new(None),
            },
        });
        if !is_static {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(refresh_in_background(Arc::downgrade(&inner)));
            }
        }
        Ok(Self { inner })
    }
}

impl KeySource for RemoteKeys {
    fn lookup(&self, kid: Option<&str>, alg: Algorithm, may_wait: bool) -> KeyLookup<'static> {
        Inner::lookup(&self.inner, kid, alg, may_wait)
    }

    fn generation(&self) -> u64 {
        self.inner.generation()
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

async fn refresh_in_background(inner: Weak<Inner>) {
    loop {
        let Some(keys) = inner.upgrade() else { return };
        {
            let observed = keys.fetch_state().attempts;
            let mut jwks_uri = keys.state.flight.lock().await;
            if keys.fetch_state().attempts == observed {
                keys.fetch_locked(&mut jwks_uri).await;
            }
        }
        let delay = keys.fetch_state().next_refresh;
        drop(keys);
        tokio::time::sleep(delay).await;
    }
}

impl Inner {
    fn fetch_state(&self) -> MutexGuard<'_, FetchState> {
        self.state.fetch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key-set version. Past the maximum staleness it changes too (top bit set), so tokens cached while the
    /// keys were fresh are verified again — and refused with 503 while the provider stays down.
    fn generation(&self) -> u64 {
        let snapshot = self.state.snapshot.load();
        if self.usable(&snapshot) {
            snapshot.generation
        } else {
            snapshot.generation | 1 << 63
        }
    }

    fn usable(&self, snapshot: &Snapshot) -> bool {
        snapshot
            .fetched_at
            .is_some_and(|at| self.is_static || at.elapsed() <= self.settings.max_staleness)
    }

    /// Whether a fetch may start now (rate limit for unknown kids and failures), or one is running to join.
    fn may_fetch(&self, state: &FetchState) -> bool {
        if self.is_static {
            return false;
        }
        state.in_flight
            || state
                .last_attempt
                .is_none_or(|at| at.elapsed() >= self.settings.unknown_kid_interval)
    }

    /// The key for a token, or a wait for one fetch, or a refusal.
    fn lookup(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Algorithm,
        may_wait: bool,
    ) -> KeyLookup<'static> {
        if !self.settings.algorithms.contains(&alg) {
            // No key of this set can verify it, whatever a refetch brings (HMAC tokens, say).
            return KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm);
        }
        let snapshot = self.state.snapshot.load();
        let usable = self.usable(&snapshot);
        if usable {
            let candidates: &[Arc<VerificationKey>] = match kid {
                Some(kid) => snapshot.table.by_kid.get(kid).map_or(&[], Vec::as_slice),
                None => &snapshot.table.without_kid,
            };
            let found: Vec<SelectedKey<'static>> = candidates
                .iter()
                .filter(|k| k.algorithm() == alg)
                .map(|k| SelectedKey::Shared(Arc::clone(k)))
                .collect();
            if !found.is_empty() {
                return KeyLookup::Found(found);
            }
            if !candidates.is_empty() {
                return KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm);
            }
        }
        if may_wait {
            let state = self.fetch_state();
            if self.may_fetch(&state) {
                let keys = Arc::clone(self);
                let observed = state.attempts;
                return KeyLookup::Wait(Box::pin(async move {
                    let mut jwks_uri = keys.state.flight.lock().await;
                    let fetch = {
                        let state = keys.fetch_state();
                        state.attempts == observed && keys.may_fetch(&state)
                    };
                    if fetch {
                        keys.fetch_locked(&mut jwks_uri).await;
                    }
                }));
            }
        }
        KeyLookup::Refused(if usable {
            AuthErrorKind::UnknownKey
        } else {
            AuthErrorKind::Unavailable
        })
    }

    /// One fetch attempt; the caller holds the single-flight lock.
    async fn fetch_locked(&self, jwks_uri: &mut Option<Uri>) {
        {
            let mut state = self.fetch_state();
            state.last_attempt = Some(Instant::now());
            state.in_flight = true;
        }
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(self.settings.timeout, self.fetch_key_set(jwks_uri)).await;
        let outcome = outcome.unwrap_or_else(|_| Err("timed out".to_owned()));
        let next = match outcome {
            Ok((table, body, max_age)) => {
                crate::stats::jwks_fetch(Some(table.len()));
                #[cfg(feature = "tracing")]
                tracing::info!(
                    keys = table.len(),
                    kids = ?table.kids().collect::<Vec<_>>(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "JWKS fetched"
                );
                let previous = self.state.snapshot.load();
                let generation = previous.generation + u64::from(previous.body != body);
                self.state.snapshot.store(Arc::new(Snapshot {
                    table,
                    fetched_at: Some(Instant::now()),
                    body,
                    generation,
                }));
                max_age
                    .unwrap_or(self.settings.default_refresh)
                    .clamp(self.settings.min_refresh, self.settings.max_refresh)
            }
            Err(_why) => {
                crate::stats::jwks_fetch(None);
                #[cfg(feature = "tracing")]
                tracing::warn!(error = %_why, elapsed_ms = started.elapsed().as_millis() as u64, "JWKS fetch failed");
                *jwks_uri = None;
                self.settings
                    .unknown_kid_interval
                    .min(self.settings.max_refresh)
            }
        };
        let _ = started;
        let mut state = self.fetch_state();
        state.next_refresh = next;
        state.in_flight = false;
        state.attempts += 1;
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
        if let Err(_refused) = check_transport(&uri, self.settings.allow_http) {
            // Not a passing failure: the provider is misconfigured, and every request gets 503 until it is fixed.
            #[cfg(feature = "tracing")]
            tracing::error!(issuer, error = %_refused, "OpenID Connect discovery refused: a plain-http jwks_uri");
            return Err("the discovery document names a plain-http jwks_uri".into());
        }
        Ok(uri)
    }
}
