//! [`ConfigError`]: an invalid configuration, reported when something is built.

use std::fmt;

/// An invalid configuration, reported when a layer, key, issuer, sessions, DPoP rules, a key set or a sliding
/// policy is built, never while serving.
///
/// One type for every builder, so an application that builds several of them in one function reports them
/// with one `?`. A variant about one setting names it as `Builder::method` ([`setting`](Self::setting)), and
/// every message says what was expected and how to fix it:
///
/// ```
/// use tower_jwt_auth::{ConfigError, JwtAuthLayer};
///
/// let error = JwtAuthLayer::builder().max_token_size(0).allow_any_audience().allow_any_issuer().build();
/// let error = error.unwrap_err();
/// assert_eq!(error.setting(), Some("JwtAuthBuilder::max_token_size"));
/// assert!(matches!(error, ConfigError::InvalidSize { .. }));
/// ```
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
    /// A key of another kind than the constructor takes: a private key PEM given as a verification key, a
    /// public one as a signing key, a key of another family or curve than the algorithm's, or text that is no
    /// PEM key at all.
    WrongKeyKind {
        /// The constructor, as `Type::method` (`VerificationKey::from_pem`, `SigningKey::from_pem`).
        setting: &'static str,
        /// What it takes, e.g. `an EC P-256 public key PEM (-----BEGIN PUBLIC KEY-----)`.
        expected: String,
        /// What was given, e.g. `an EC P-256 private key (-----BEGIN PRIVATE KEY-----)`.
        found: String,
        /// How to fix it.
        fix: &'static str,
    },
    /// The algorithm cannot be used with this kind of key (for example an HMAC algorithm for an RSA key).
    AlgorithmMismatch,
    /// An HMAC algorithm where only public-key algorithms work: DPoP proofs and remote key sets are checked
    /// with the sender's public key.
    HmacAlgorithm {
        /// The setting, as `Builder::method`.
        setting: &'static str,
    },
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
    /// A sliding policy without actions, or an action whose path could never match a request (no leading `/`,
    /// axum 0.7's `:id` or `*rest`, a parameter that is not a whole segment, a rest that is not last).
    SlidingAction {
        /// The path given; `None` when the policy has no actions at all.
        path: Option<String>,
        /// What is wrong, and what to write instead.
        problem: String,
    },
    /// One setting given two ways (say a clock or a revocation store beside the sessions that bring their own).
    Conflict(&'static str),
    /// Tokens without `exp` together with a revocation store: no revocation could outlive such a token.
    MissingExpWithRevocation,
    /// A key id is empty or longer than 256 bytes.
    InvalidKeyId,
    /// A key staged or rotated to under a key id the issuer already uses for another key.
    KeyIdInUse {
        /// The setting, as `Builder::method` (`TokenIssuer::stage`, `TokenIssuer::rotate`).
        setting: &'static str,
        /// The key id.
        kid: String,
    },
    /// [`TokenIssuer::retire`](crate::TokenIssuer::retire) of a key id the issuer does not hold.
    UnknownKeyId(String),
    /// Leeway above the allowed maximum (300 s).
    LeewayTooLarge,
    /// A size limit is zero ([`JwtAuthBuilder::max_token_size`](crate::JwtAuthBuilder::max_token_size),
    /// [`DpopBuilder::max_proof_size`](crate::dpop::DpopBuilder::max_proof_size)).
    InvalidSize {
        /// The setting, as `Builder::method`.
        setting: &'static str,
    },
    /// A claim named as required is not one this crate knows how to check.
    UnknownRequiredClaim {
        /// The name given.
        name: String,
        /// The registered claims the layer can require.
        known: &'static [&'static str],
    },
    /// A scope is empty or contains characters outside RFC 6749 §3.3 `scope-token`.
    InvalidScope(String),
    /// A realm or cookie name contains characters that can't be sent in a header.
    InvalidName {
        /// The setting, as `Builder::method`.
        setting: &'static str,
        /// The name given.
        name: String,
    },
    /// A URL that is not an absolute `http`/`https` URL with a host, or that can't be sent in a header.
    InvalidUrl {
        /// The setting, as `Builder::method`.
        setting: &'static str,
        /// The URL given.
        url: String,
    },
    /// A lifetime or duration is zero or out of range.
    InvalidDuration {
        /// The setting, as `Builder::method`.
        setting: &'static str,
        /// The range it must be in.
        expected: &'static str,
    },
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
    /// A mandatory setting was not given (for example the issuer's audience): which one, and how to give it.
    Missing(&'static str),
    /// An identity provider's setting (back-channel logout, introspection) names the layer's own session issuer,
    /// whose sessions end through [`Sessions`](crate::Sessions), never by another party's word.
    ProviderIsOwnIssuer(String),
}

impl ConfigError {
    /// The setting the error is about, as `Builder::method` (`"DpopBuilder::max_proof_size"`), for the
    /// variants about one setting.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            Self::HmacAlgorithm { setting }
            | Self::InvalidSize { setting }
            | Self::InvalidName { setting, .. }
            | Self::InvalidUrl { setting, .. }
            | Self::InvalidDuration { setting, .. }
            | Self::KeyIdInUse { setting, .. }
            | Self::WrongKeyKind { setting, .. } => Some(setting),
            Self::SlidingAction { .. } => Some("SlidingPolicy::action"),
            Self::UnknownKeyId(_) => Some("TokenIssuer::retire"),
            Self::LeewayTooLarge => Some("JwtAuthBuilder::leeway"),
            Self::InvalidJsonLimits => Some("JwtAuthBuilder::json_limits"),
            Self::DuplicateIssuer(_) => Some("JwtAuthBuilder::trust_issuer"),
            Self::UnknownRequiredClaim { .. } => Some("JwtAuthBuilder::require_claims"),
            Self::SlidingWithoutSessions => Some("JwtAuthBuilder::sliding"),
            _ => None,
        }
    }

    /// The same error, about `setting` instead (a value checked by a shared helper for several setters).
    pub(crate) fn in_setting(mut self, new: &'static str) -> Self {
        match &mut self {
            Self::HmacAlgorithm { setting }
            | Self::InvalidSize { setting }
            | Self::InvalidName { setting, .. }
            | Self::InvalidUrl { setting, .. }
            | Self::InvalidDuration { setting, .. }
            | Self::KeyIdInUse { setting, .. } => *setting = new,
            _ => {}
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCryptoProvider => f.write_str(
                "no jsonwebtoken crypto provider: enable the `aws-lc-rs` or `rust-crypto` feature of tower-jwt-auth",
            ),
            Self::NoKeys => f.write_str(
                "no verification key configured: give the layer .key(..), .keys(..) or .jwks(..), wire \
                 .sessions(..), and give every trust_issuer(..) at least one key",
            ),
            Self::WeakHmacSecret { min_bytes, got_bytes } => write!(
                f,
                "HMAC secret too short: {got_bytes} bytes, at least {min_bytes} required (RFC 7518 section 3.2); \
                 use {min_bytes} or more random bytes"
            ),
            Self::WeakRsaKey { bits } => write!(
                f,
                "RSA key too small: {bits} bits, at least 2048 required (RFC 7518 section 3.3); use a 2048-bit \
                 or larger key"
            ),
            Self::InvalidKey(why) => write!(f, "invalid key: {why}"),
            Self::AlgorithmMismatch => f.write_str(
                "the algorithm does not fit the key type: pick one of the key's family (HS* for a secret, RS*/PS* \
                 for RSA, ES* for EC, EdDSA for Ed25519)",
            ),
            Self::HmacAlgorithm { setting } => write!(
                f,
                "{setting}: an HMAC algorithm (HS256, HS384, HS512) can't be used here, these are checked with \
                 the sender's public key; list public-key algorithms (ES256, RS256, PS256, EdDSA, ...)"
            ),
            Self::WrongKeyKind {
                setting,
                expected,
                found,
                fix,
            } => write!(f, "{setting}: expected {expected}, found {found}: {fix}"),
            Self::InvalidJsonLimits => f.write_str(
                "JwtAuthBuilder::json_limits: max_members must be at least 1; pass a positive limit (default 1024)",
            ),
            Self::PredicateBeforeClaimsType => f.write_str(
                "a claims predicate was given before .claims::<C>(): call .claims::<C>() first",
            ),
            Self::DuplicateIssuer(issuer) => write!(
                f,
                "JwtAuthBuilder::trust_issuer: the issuer `{issuer}` is trusted twice; trust it once, with all \
                 its keys in one TrustedIssuer"
            ),
            Self::SlidingWithoutSessions => f.write_str(
                "a sliding policy needs the sessions whose tokens it renews: call .sessions(&sessions)",
            ),
            Self::SlidingAction { problem, .. } => write!(f, "SlidingPolicy::action: {problem}"),
            Self::Conflict(what) => write!(f, "configured twice: {what}"),
            Self::MissingExpWithRevocation => f.write_str(
                "allow_missing_exp with a revocation store: a token without exp outlives every revocation",
            ),
            Self::InvalidKeyId => f.write_str("key ids must be 1 to 256 bytes: give a shorter, non-empty kid"),
            Self::KeyIdInUse { setting, kid } => write!(
                f,
                "{setting}: the kid `{kid}` already names another key of the issuer; give the new key a kid \
                 of its own"
            ),
            Self::UnknownKeyId(kid) => write!(
                f,
                "TokenIssuer::retire: no key with kid `{kid}` is published; name a rotated or staged key"
            ),
            Self::LeewayTooLarge => f.write_str(
                "JwtAuthBuilder::leeway must be at most 300 seconds: pass a shorter Duration (default 30 s)",
            ),
            Self::InvalidSize { setting } => write!(
                f,
                "{setting} must be positive: pass the largest size to accept, in bytes, or leave the default"
            ),
            Self::UnknownRequiredClaim { name, known } => write!(
                f,
                "JwtAuthBuilder::require_claims: unknown required claim `{name}`; name registered claims ({}), \
                 or check other claims with .require(..)",
                known.join(", ")
            ),
            Self::InvalidScope(scope) => write!(
                f,
                "invalid scope `{scope}`: a scope is a non-empty RFC 6749 scope-token (visible ASCII without \
                 spaces, quotes or backslashes); pass each scope as its own item"
            ),
            Self::InvalidName { setting, name } => write!(
                f,
                "{setting}: invalid name `{name}`; use a non-empty name of visible ASCII characters without \
                 quotes, backslashes or separators"
            ),
            Self::InvalidUrl { setting, url } => write!(
                f,
                "{setting}: `{url}` is not an absolute http or https URL with a host; pass one such as \
                 `https://api.example.com/`, without quotes or control characters"
            ),
            Self::InvalidDuration { setting, expected } => {
                write!(f, "{setting}: invalid duration; it must be {expected}")
            }
            Self::Missing(what) => write!(f, "missing setting: {what}"),
            Self::ProviderIsOwnIssuer(issuer) => write!(
                f,
                "{issuer:?} is this layer's own session issuer, not an identity provider: its sessions end through \
                 Sessions (logout, revoke); name the provider's issuer"
            ),
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
