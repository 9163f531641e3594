//! Configuring the proof rules: [`DpopBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::replay::MemoryReplayCache;
use super::rules::DpopInner;
use super::{
    htu, nonce, Dpop, ReplayCache, DEFAULT_MAX_PROOF_SIZE, DEFAULT_PROOF_ALGORITHMS,
    DEFAULT_PROOF_CLOCK_SKEW, DEFAULT_PROOF_MAX_AGE, DEFAULT_TOKEN_ENDPOINT_CAPACITY,
};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::error::ConfigError;
use crate::jose::by_text::ByText;
use crate::jose::random::random_bytes;

/// The longest `iat` window side accepted.
const MAX_WINDOW: Duration = Duration::from_secs(300);

/// Bound on the resource proofs remembered as refused (replayed, stale, forged): 1 MiB of proof text, about
/// 1,000 proofs with RSA-4096 keys or 2,000 with P-256 keys; proofs seen once pass out first (S3-FIFO).
const REFUSED_PROOFS_BYTES: u64 = 1024 * 1024;

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

    /// Where used proofs are remembered (default: a [`MemoryReplayCache`] of
    /// [`DEFAULT_REPLAY_CAPACITY`](super::DEFAULT_REPLAY_CAPACITY) for resource proofs). A shared cache
    /// ([`RedisStore`](crate::RedisStore), [`SqlStore`](crate::SqlStore))
    /// takes every proof, so one used at an instance is refused at all of them; token-endpoint proofs reach it
    /// only through this process's [`token_endpoint_capacity`](Self::token_endpoint_capacity), which bounds
    /// what callers without a valid access token can make it store. A cache shared with the rest of the
    /// application is given as it is: `Arc<C>` (also `Arc<dyn ReplayCache>`) is a [`ReplayCache`].
    pub fn replay_cache(mut self, cache: impl ReplayCache) -> Self {
        self.replay = Some(Arc::new(cache));
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
        let bases = self.bases()?;
        self.check_algorithms()?;
        let (max_age, max_skew) = self.windows()?;
        if self.max_proof_size == 0 {
            return Err(ConfigError::InvalidSize {
                setting: "DpopBuilder::max_proof_size",
            });
        }
        let nonces = self.nonces()?;
        let algs = algorithm_names(&self.algorithms);
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
                refused: ByText::new(REFUSED_PROOFS_BYTES),
            }),
        })
    }

    /// The public URLs, normalized and without a trailing `/`: at least one, each a valid URL.
    fn bases(&self) -> Result<Vec<String>, ConfigError> {
        if self.public_urls.is_empty() {
            return Err(ConfigError::Missing(
                "DpopBuilder::public_url, the URL the proofs' htu must match: call \
                 .public_url(\"https://api.example.com\")",
            ));
        }
        self.public_urls
            .iter()
            .map(|url| {
                htu::normalize(url)
                    .map(|base| base.trim_end_matches('/').to_owned())
                    .ok_or_else(|| ConfigError::InvalidUrl {
                        setting: "DpopBuilder::public_url",
                        url: url.clone(),
                    })
            })
            .collect()
    }

    /// At least one proof algorithm, none of them HMAC.
    fn check_algorithms(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    /// The proof age and clock skew in seconds: each at most [`MAX_WINDOW`], the age at least one second.
    fn windows(&self) -> Result<(i64, i64), ConfigError> {
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
        Ok((max_age, max_skew))
    }

    /// The server nonces, when required: a window of at least one second, the configured key or a random one.
    fn nonces(&self) -> Result<Option<nonce::Nonces>, ConfigError> {
        match self.nonce_window {
            None => Ok(None),
            Some(window) if window.as_secs() == 0 => Err(ConfigError::InvalidDuration {
                setting: "DpopBuilder::require_nonce",
                expected: "at least one second",
            }),
            Some(window) => Ok(Some(nonce::Nonces {
                key: self.nonce_key.unwrap_or_else(random_bytes::<32>),
                window: window.as_secs() as i64,
            })),
        }
    }
}

/// The algorithms' JOSE names, space-separated: the `algs="…"` of the challenges and the metadata.
fn algorithm_names(algorithms: &[Algorithm]) -> String {
    algorithms
        .iter()
        .map(|alg| {
            serde_json::to_value(alg)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
