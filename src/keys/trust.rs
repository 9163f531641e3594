//! Issuer routing — which keys may verify a token: the default key domain (keys and remote key sets added to the builder), and
//! named issuers with keys of their own. A token is routed by its (not yet verified) `iss` to one domain before
//! any signature check, so issuer B's token signed with issuer A's key is refused (RFC 8725 §3.8).

use std::collections::HashMap;
use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

use crate::error::{AuthErrorKind, ConfigError};
use crate::keys::key_set::KeySet;
use crate::keys::source::{KeyLookup, KeySource, SelectedKey};
use crate::keys::verification::VerificationKey;

/// Keys of one trust domain: static keys, and key sources (remote key sets).
#[derive(Default)]
pub(crate) struct KeyDomain {
    /// The keys of the layer's own issuer (a layer wired to sessions), looked at first.
    own: Option<Box<dyn KeySource>>,
    keys: KeySet,
    remote: Vec<Box<dyn KeySource>>,
}

impl fmt::Debug for KeyDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyDomain")
            .field("static_keys", &self.keys.iter().count())
            .field("remote", &self.remote)
            .finish()
    }
}

impl KeyDomain {
    fn is_empty(&self) -> bool {
        self.own.is_none() && self.remote.is_empty() && self.keys.iter().next().is_none()
    }

    /// The key for `kid` and `alg`. The own issuer's keys first, then static keys; then remote key sets, which
    /// may ask to wait for a fetch when `may_wait` (an unknown `kid`, or no keys yet).
    pub(crate) fn lookup(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        may_wait: bool,
    ) -> KeyLookup<'_> {
        // The own issuer's keys and the static keys the token names are candidates together.
        let mut found = match self.own.as_ref().map(|own| own.lookup(kid, alg, false)) {
            Some(KeyLookup::Found(own)) => own,
            _ => Vec::new(),
        };
        let named = self.keys.select(kid);
        found.extend(
            named
                .iter()
                .filter(|key| key.algorithm == alg)
                .map(SelectedKey::Static),
        );
        if !found.is_empty() {
            return KeyLookup::Found(found);
        }
        if !named.is_empty() {
            return KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm);
        }
        let mut refusal = None;
        for remote in &self.remote {
            match remote.lookup(kid, alg, may_wait) {
                KeyLookup::Refused(kind) => {
                    refusal = Some(match (refusal, kind) {
                        (Some(AuthErrorKind::Unavailable), _) | (_, AuthErrorKind::Unavailable) => {
                            AuthErrorKind::Unavailable
                        }
                        (Some(AuthErrorKind::UnsupportedAlgorithm), _) => {
                            AuthErrorKind::UnsupportedAlgorithm
                        }
                        (_, kind) => kind,
                    })
                }
                found_or_wait => return found_or_wait,
            }
        }
        KeyLookup::Refused(refusal.unwrap_or(AuthErrorKind::UnknownKey))
    }

    /// A fingerprint of the remote key sets' versions; a cached token verified under another one is verified again.
    pub(crate) fn generation(&self) -> u64 {
        self.own
            .iter()
            .chain(self.remote.iter())
            .map(|r| r.generation())
            .fold(0u64, |a, g| a.wrapping_mul(31).wrapping_add(g))
    }
}

/// Keys trusted for tokens of one named issuer: see [`JwtAuthBuilder::trust_issuer`](crate::JwtAuthBuilder::trust_issuer).
///
/// ```
/// use tower_jwt_auth::{Algorithm, keys::TrustedIssuer, VerificationKey};
/// let partner = TrustedIssuer::new().key(VerificationKey::hmac(Algorithm::HS256, &[3; 32]).unwrap());
/// # let _ = partner;
/// ```
#[derive(Default)]
pub struct TrustedIssuer {
    pub(crate) keys: Vec<VerificationKey>,
    #[cfg(feature = "jwks")]
    pub(crate) remote: Vec<crate::keys::jwks::Jwks>,
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl TrustedIssuer {
    /// An issuer with no keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a static key of this issuer.
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds a remote key set of this issuer (feature `jwks`).
    #[cfg(feature = "jwks")]
    pub fn jwks(mut self, jwks: crate::keys::jwks::Jwks) -> Self {
        self.remote.push(jwks);
        self
    }
}

/// The default domain and the named issuers' domains.
#[derive(Debug, Default)]
pub(crate) struct TrustDomains {
    default: KeyDomain,
    named: HashMap<String, KeyDomain>,
}

impl TrustDomains {
    /// Builds the domains, validating every static key; remote key sets start fetching; `own` are the name and
    /// keys of the layer's own issuer, looked at first in the domain its tokens are routed to (its named domain
    /// when it is also a named issuer, else the default one). A name trusted twice is an error (the second would
    /// silently replace the first).
    pub(crate) fn build(
        default: TrustedIssuer,
        own: Option<(String, Box<dyn KeySource>)>,
        named: Vec<(String, TrustedIssuer)>,
        provider: &'static CryptoProvider,
    ) -> Result<Self, ConfigError> {
        let mut domains = Self {
            default: domain(default, provider)?,
            named: HashMap::new(),
        };
        for (issuer, trusted) in named {
            let domain = domain(trusted, provider)?;
            if domain.is_empty() {
                return Err(ConfigError::NoKeys);
            }
            if domains.named.contains_key(&issuer) {
                return Err(ConfigError::DuplicateIssuer(issuer));
            }
            domains.named.insert(issuer, domain);
        }
        if let Some((issuer, own)) = own {
            let domain = match domains.named.get_mut(&issuer) {
                Some(named) => named,
                None => &mut domains.default,
            };
            domain.own = Some(own);
        }
        if domains.default.is_empty() && domains.named.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        Ok(domains)
    }

    /// The domain for a token claiming `iss`: its named issuer's, else the default one.
    pub(crate) fn route(&self, iss: Option<&str>) -> &KeyDomain {
        iss.and_then(|iss| self.named.get(iss))
            .unwrap_or(&self.default)
    }

    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        // Asked on every request: a layer without named issuers skips walking an empty map.
        if self.named.is_empty() {
            return self.default.generation();
        }
        self.named.values().fold(self.default.generation(), |a, d| {
            a.wrapping_mul(31).wrapping_add(d.generation())
        })
    }
}

fn domain(
    trusted: TrustedIssuer,
    provider: &'static CryptoProvider,
) -> Result<KeyDomain, ConfigError> {
    let mut keys = KeySet::default();
    for key in trusted.keys {
        key.validate(provider)?;
        keys.insert(key);
    }
    #[cfg(feature = "jwks")]
    let remote = trusted
        .remote
        .into_iter()
        .map(|jwks| jwks.start(provider))
        .collect::<Result<_, _>>()?;
    #[cfg(not(feature = "jwks"))]
    let remote = Vec::new();
    Ok(KeyDomain {
        own: None,
        keys,
        remote,
    })
}
