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
//! use tower_jwt_auth::{keys::Jwks, JwtAuthLayer};
//!
//! let auth = JwtAuthLayer::builder()
//!     .issuer("https://auth.example.com/realms/main")
//!     .audience("orders-api")
//!     .jwks(Jwks::oidc("https://auth.example.com/realms/main")?.timeout(Duration::from_secs(3)))
//!     .build()?;
//! # let _ = auth; Ok(()) }
//! ```

mod cache;
mod document;
pub(crate) mod fetch;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

pub use fetch::{FetchError, FetchFuture, FetchedDocument, HyperFetcher, JwksFetcher};

use crate::error::ConfigError;
use crate::keys::source::KeySource;
use cache::RemoteKeys;
use fetch::SharedFetcher;

/// Where the keys come from.
#[derive(Clone)]
enum Source {
    Url(Uri),
    Oidc { issuer: String, discovery: Uri },
    Document(String),
}

/// How one key set is fetched and cached.
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
/// [`JwtAuthBuilder::jwks`](crate::JwtAuthBuilder::jwks) or, per issuer, [`TrustedIssuer::jwks`](crate::keys::TrustedIssuer::jwks).
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

/// An absolute `http(s)` URL with a host.
fn parse_uri(text: &str) -> Result<Uri, ConfigError> {
    let uri: Uri = text.parse().map_err(|_| invalid_url(text))?;
    match uri.scheme_str() {
        Some("https" | "http") if uri.host().is_some() => Ok(uri),
        _ => Err(invalid_url(text)),
    }
}

fn invalid_url(text: &str) -> ConfigError {
    ConfigError::InvalidUrl {
        setting: "Jwks::url",
        url: text.to_owned(),
    }
}

/// Refuses a plain-`http` URL to fetch keys from, unless `allow_http` and its host is a loopback one
/// (`localhost`, `127.0.0.0/8`, `::1`): keys fetched in the clear could be swapped by anyone on the path.
fn check_transport(uri: &Uri, allow_http: bool) -> Result<(), ConfigError> {
    if uri.scheme_str() == Some("https") || (allow_http && is_loopback(uri)) {
        return Ok(());
    }
    Err(ConfigError::InsecureKeyUrl(uri.to_string()))
}

/// Whether `uri`'s host is a loopback one (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback(uri: &Uri) -> bool {
    let host = uri.host().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Jwks {
    fn with_source(source: Source) -> Self {
        Self {
            source,
            settings: Settings::default(),
            fetcher: None,
        }
    }

    /// The JWK Set at `url`: `https://…`, or `http://` on a loopback host with [`allow_http`](Self::allow_http)
    /// (checked when the layer is built: [`ConfigError::InsecureKeyUrl`]).
    pub fn url(url: &str) -> Result<Self, ConfigError> {
        Ok(Self::with_source(Source::Url(parse_uri(url)?)))
    }

    /// OpenID Connect discovery: reads `<issuer>/.well-known/openid-configuration`, requires its `issuer` to equal
    /// `issuer` exactly, and uses its `jwks_uri`. Both must be `https`, or plain `http` on a loopback host with
    /// [`allow_http`](Self::allow_http): an `http` issuer is refused when the layer is built
    /// ([`ConfigError::InsecureKeyUrl`]), and a discovery document naming an `http` key set elsewhere is refused
    /// with an error event (requests get 503 until the provider fixes it). The keys verify only tokens of
    /// `issuer` (see [`JwtAuthBuilder::jwks`](crate::JwtAuthBuilder::jwks)).
    pub fn oidc(issuer: &str) -> Result<Self, ConfigError> {
        let discovery = parse_uri(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))
        .map_err(|e| e.in_setting("Jwks::oidc"))?;
        Ok(Self::with_source(Source::Oidc {
            issuer: issuer.to_owned(),
            discovery,
        }))
    }

    /// A JWK Set given as JSON text (no fetching).
    pub fn document(json: impl Into<String>) -> Self {
        Self::with_source(Source::Document(json.into()))
    }

    /// The issuer an OpenID Connect key set discovers, whose tokens alone its keys verify.
    pub(crate) fn oidc_issuer(&self) -> Option<&str> {
        match &self.source {
            Source::Oidc { issuer, .. } => Some(issuer),
            _ => None,
        }
    }

    /// Algorithms keys of this set may verify (keys without `alg` get every allowed algorithm of their type).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.settings.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Lets the key set (its URL, the discovery document and the `jwks_uri` it names) be fetched over plain
    /// `http://` — from a loopback host only (`localhost`, `127.0.0.0/8`, `::1`), for tests and local
    /// development. Any other `http` host is still refused.
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
    ) -> Result<Box<dyn KeySource>, ConfigError> {
        if self
            .settings
            .algorithms
            .iter()
            .any(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::HmacAlgorithm {
                setting: "Jwks::algorithms",
            });
        }
        match &self.source {
            Source::Url(uri) | Source::Oidc { discovery: uri, .. } => {
                check_transport(uri, self.settings.allow_http)?
            }
            Source::Document(_) => {}
        }
        if self.settings.min_refresh > self.settings.max_refresh || self.settings.timeout.is_zero()
        {
            return Err(ConfigError::InvalidDuration {
                setting: "Jwks::refresh_bounds / Jwks::timeout",
                expected: "a minimum refresh no longer than the maximum, and a timeout above zero",
            });
        }
        let fetcher = self
            .fetcher
            .clone()
            .unwrap_or_else(|| Arc::new(HyperFetcher::new()));
        Ok(Box::new(RemoteKeys::start(
            self.source,
            self.settings,
            fetcher,
            provider,
        )?))
    }
}
