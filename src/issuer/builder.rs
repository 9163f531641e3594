//! Configuring a [`TokenIssuer`]: its names, lifetimes, `client_id`, `typ`, clock and crypto provider.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::crypto::CryptoProvider;

use super::token_issuer::IssuerInner;
use super::TokenIssuer;
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::error::ConfigError;
use crate::issuer::ring::KeyRing;
use crate::issuer::signing::SigningKey;

/// Default access-token lifetime: 15 minutes (RFC 6750 §5.3 asks for an hour or less).
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);

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
}

/// Refuses a key its provider cannot sign with.
pub(super) fn check_signs(key: &SigningKey, provider: &CryptoProvider) -> Result<(), ConfigError> {
    let unusable = |e: &dyn std::fmt::Display| {
        ConfigError::InvalidKey(format!(
            "the crypto provider can't sign {:?} with this key ({e}); pass a private key of the algorithm's \
             family and curve (SigningKey::from_pem names what a PEM holds)",
            key.algorithm
        ))
    };
    let signer = (provider.signer_factory)(&key.algorithm, &key.key).map_err(|e| unusable(&e))?;
    signer.try_sign(b"probe").map_err(|e| unusable(&e))?;
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
