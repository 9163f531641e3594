//! [`ConfigError`]: an invalid configuration, reported when something is built.

use std::fmt;

/// An invalid configuration, reported when a layer, key or issuer is built, never while serving.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No jsonwebtoken crypto provider: enable the `aws-lc-rs` or `rust-crypto` feature, or pass one with
    /// `crypto_provider`.
    NoCryptoProvider,
    /// No verification key was configured.
    NoKeys,
    /// An HMAC secret is shorter than the hash output (RFC 7518 §3.2).
    WeakHmacSecret {
        /// Minimum length in bytes.
        min_bytes: usize,
        /// Length given.
        got_bytes: usize,
    },
    /// An RSA key is shorter than 2048 bits (RFC 7518 §3.3).
    WeakRsaKey {
        /// The key's modulus size in bits.
        bits: usize,
    },
    /// The key material could not be parsed, or does not fit the algorithm.
    InvalidKey(String),
    /// The algorithm cannot be used with this kind of key (for example an HMAC algorithm for an RSA key).
    AlgorithmMismatch,
    /// The JSON limits allow no member at all.
    InvalidJsonLimits,
    /// `.require(..)` was given before `.claims::<C>()`: the predicate was written for the old claims type.
    PredicateBeforeClaimsType,
    /// The same issuer was trusted twice with [`trust_issuer`](crate::JwtAuthBuilder::trust_issuer).
    DuplicateIssuer(String),
    /// A sliding policy without the sessions whose tokens it renews: wire them with
    /// [`sessions`](crate::JwtAuthBuilder::sessions) (which also makes their store the revocation check, so a
    /// revoked session never slides).
    SlidingWithoutSessions,
    /// One setting given two ways (say a clock or a revocation store beside the sessions that bring their own).
    Conflict(&'static str),
    /// Tokens without `exp` together with a revocation store: no revocation could outlive such a token.
    MissingExpWithRevocation,
    /// A key id is empty or longer than 256 bytes.
    InvalidKeyId,
    /// Leeway above the allowed maximum (300 s).
    LeewayTooLarge,
    /// The maximum token size is zero.
    InvalidMaxTokenSize,
    /// A claim named as required is not one this crate knows how to check.
    UnknownRequiredClaim(String),
    /// A scope is empty or contains characters outside RFC 6749 §3.3 `scope-token`.
    InvalidScope(String),
    /// A realm, cookie or header name contains characters that can't be sent in a header.
    InvalidName(String),
    /// A lifetime or duration is zero or out of range.
    InvalidDuration(&'static str),
    /// The cookie source needs a `Secure` cookie and a SameSite policy.
    InsecureCookie,
    /// An HMAC secret that is key text — a PEM, DER or JWK key — not random bytes: the algorithm-confusion setup
    /// (RFC 8725 §2.1), where a public key becomes a secret anyone can sign with.
    HmacSecretIsKeyText {
        /// What the secret looks like (`a PEM key`, `a DER key`, `a JWK`).
        found: &'static str,
        /// The constructor that reads it.
        use_instead: &'static str,
    },
    /// A remote key set URL (or the `jwks_uri` a discovery names) that is plain `http`: anyone on the path could
    /// swap the keys. Use `https`; `http` is allowed only for a loopback host, with `Jwks::allow_http()`.
    InsecureKeyUrl(String),
    /// A mandatory setting was not given (for example the issuer's audience).
    Missing(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCryptoProvider => f.write_str(
                "no jsonwebtoken crypto provider: enable the `aws-lc-rs` or `rust-crypto` feature of tower-jwt-auth",
            ),
            Self::NoKeys => f.write_str("no verification key configured"),
            Self::WeakHmacSecret { min_bytes, got_bytes } => write!(
                f,
                "HMAC secret too short: {got_bytes} bytes, at least {min_bytes} required (RFC 7518 section 3.2)"
            ),
            Self::WeakRsaKey { bits } => {
                write!(f, "RSA key too small: {bits} bits, at least 2048 required (RFC 7518 section 3.3)")
            }
            Self::InvalidKey(why) => write!(f, "invalid key: {why}"),
            Self::AlgorithmMismatch => f.write_str("the algorithm does not fit the key type"),
            Self::InvalidJsonLimits => f.write_str("the JSON limits must allow at least one member"),
            Self::PredicateBeforeClaimsType => f.write_str(
                "a claims predicate was given before .claims::<C>(): call .claims::<C>() first",
            ),
            Self::DuplicateIssuer(issuer) => write!(f, "the issuer `{issuer}` is trusted twice"),
            Self::SlidingWithoutSessions => f.write_str(
                "a sliding policy needs the sessions whose tokens it renews: call .sessions(&sessions)",
            ),
            Self::Conflict(what) => write!(f, "configured twice: {what}"),
            Self::MissingExpWithRevocation => f.write_str(
                "allow_missing_exp with a revocation store: a token without exp outlives every revocation",
            ),
            Self::InvalidKeyId => f.write_str("key ids must be 1 to 256 bytes"),
            Self::LeewayTooLarge => f.write_str("leeway must be at most 300 seconds"),
            Self::InvalidMaxTokenSize => f.write_str("the maximum token size must be positive"),
            Self::UnknownRequiredClaim(name) => write!(f, "unknown required claim `{name}`"),
            Self::InvalidScope(scope) => write!(f, "invalid scope `{scope}`"),
            Self::InvalidName(name) => write!(f, "invalid name `{name}`"),
            Self::InvalidDuration(what) => write!(f, "invalid duration: {what}"),
            Self::Missing(what) => write!(f, "missing setting: {what}"),
            Self::InsecureCookie => {
                f.write_str("token cookies must be Secure and have a SameSite policy (RFC 6750 section 5.3)")
            }
            Self::HmacSecretIsKeyText { found, use_instead } => write!(
                f,
                "the HMAC secret is {found}, not random bytes: for an RSA, EC or Ed25519 key use {use_instead} \
                 with its algorithm (RS256, ES256, EdDSA, ...); an HMAC secret must be at least 32 random bytes"
            ),
            Self::InsecureKeyUrl(url) => write!(
                f,
                "the key set URL `{url}` is plain http: use https (http is allowed only for a loopback host \
                 such as 127.0.0.1 or localhost, with Jwks::allow_http())"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}
