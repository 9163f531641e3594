//! Error types: [`AuthError`] for rejected requests, [`ConfigError`] for invalid configuration.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

/// Why a request was rejected.
///
/// The kind decides the HTTP status and the RFC 6750 error code; see [`AuthErrorKind::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// No token was sent (401, no error code, per RFC 6750 §3.1).
    Missing,
    /// The request carried credentials in a malformed way: two `Authorization` headers, a bearer header that
    /// does not follow the `b64token` grammar, a token sent by two methods (400 `invalid_request`).
    Malformed,
    /// The token is not a well-formed compact JWS: wrong segment count, bad base64url, bad JSON (401).
    InvalidToken,
    /// The token is larger than the configured limit (401).
    TooLarge,
    /// The token's `alg` is not allowed, or does not match the key's algorithm (401).
    UnsupportedAlgorithm,
    /// The header lists a `crit` extension (none are understood) or a `zip` parameter (401).
    UnsupportedHeader,
    /// No configured key matches the token's `kid` (401).
    UnknownKey,
    /// The signature does not verify (401).
    InvalidSignature,
    /// The token has expired (`exp`) (401).
    Expired,
    /// The token is not yet valid (`nbf`, or an `iat` in the future) (401).
    NotYetValid,
    /// A required claim is missing (401).
    MissingClaim,
    /// A claim has the wrong JSON type or value (401).
    InvalidClaim,
    /// The issuer is not accepted (401).
    InvalidIssuer,
    /// The audience does not name this service (401).
    InvalidAudience,
    /// The `typ` header is not the required one (401).
    InvalidType,
    /// The token, its session or its subject has been revoked (401).
    Revoked,
    /// The token is valid but lacks a required scope, or a claims check refused it (403 `insufficient_scope`).
    InsufficientScope,
    /// The revocation or session store could not be reached (503).
    Unavailable,
    /// The DPoP proof is missing, malformed, replayed, or does not match the request, the key or the token
    /// (401 `invalid_dpop_proof`, RFC 9449 §7.1).
    InvalidDpopProof,
    /// The DPoP proof lacks the server's current nonce (401 `use_dpop_nonce`, with a `DPoP-Nonce` header).
    UseDpopNonce,
    /// A DPoP-bound token (one with `cnf.jkt`) was sent as a bearer token, or the layer requires DPoP (401
    /// `invalid_token`).
    DpopRequired,
    /// A token without `cnf.jkt` was sent with the DPoP scheme (401 `invalid_token`).
    NotDpopBound,
}

impl AuthErrorKind {
    /// Every kind, in [`index`](Self::index) order.
    pub(crate) const ALL: [Self; 22] = [
        Self::Missing,
        Self::Malformed,
        Self::InvalidToken,
        Self::TooLarge,
        Self::UnsupportedAlgorithm,
        Self::UnsupportedHeader,
        Self::UnknownKey,
        Self::InvalidSignature,
        Self::Expired,
        Self::NotYetValid,
        Self::MissingClaim,
        Self::InvalidClaim,
        Self::InvalidIssuer,
        Self::InvalidAudience,
        Self::InvalidType,
        Self::Revoked,
        Self::InsufficientScope,
        Self::Unavailable,
        Self::InvalidDpopProof,
        Self::UseDpopNonce,
        Self::DpopRequired,
        Self::NotDpopBound,
    ];

    /// The kind's position in [`ALL`](Self::ALL) (an exhaustive match: a new kind must be added there).
    pub(crate) fn index(self) -> usize {
        match self {
            Self::Missing => 0,
            Self::Malformed => 1,
            Self::InvalidToken => 2,
            Self::TooLarge => 3,
            Self::UnsupportedAlgorithm => 4,
            Self::UnsupportedHeader => 5,
            Self::UnknownKey => 6,
            Self::InvalidSignature => 7,
            Self::Expired => 8,
            Self::NotYetValid => 9,
            Self::MissingClaim => 10,
            Self::InvalidClaim => 11,
            Self::InvalidIssuer => 12,
            Self::InvalidAudience => 13,
            Self::InvalidType => 14,
            Self::Revoked => 15,
            Self::InsufficientScope => 16,
            Self::Unavailable => 17,
            Self::InvalidDpopProof => 18,
            Self::UseDpopNonce => 19,
            Self::DpopRequired => 20,
            Self::NotDpopBound => 21,
        }
    }

    /// The kind's name as a metrics label and the request span's `reason` (`snake_case`).
    #[cfg_attr(not(any(feature = "metrics", feature = "tracing")), allow(dead_code))]
    pub(crate) fn label(self) -> &'static str {
        const LABELS: [&str; 22] = [
            "missing",
            "malformed",
            "invalid_token",
            "too_large",
            "unsupported_algorithm",
            "unsupported_header",
            "unknown_key",
            "invalid_signature",
            "expired",
            "not_yet_valid",
            "missing_claim",
            "invalid_claim",
            "invalid_issuer",
            "invalid_audience",
            "invalid_type",
            "revoked",
            "insufficient_scope",
            "unavailable",
            "invalid_dpop_proof",
            "use_dpop_nonce",
            "dpop_required",
            "not_dpop_bound",
        ];
        LABELS[self.index()]
    }

    /// The HTTP status a rejection of this kind gets.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Missing => StatusCode::UNAUTHORIZED,
            Self::Malformed => StatusCode::BAD_REQUEST,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The gRPC status code a rejection of this kind gets (see [`grpc`](crate::grpc)): `UNAUTHENTICATED` (16)
    /// for every missing, malformed or refused credential, `PERMISSION_DENIED` (7) for a missing scope,
    /// `UNAVAILABLE` (14) when the store cannot answer — never `INTERNAL` (13), which the standard HTTP mapping
    /// would give a 400.
    pub fn grpc_code(self) -> i32 {
        match self {
            Self::InsufficientScope => 7,
            Self::Unavailable => 14,
            _ => 16,
        }
    }

    /// The RFC 6750 §3.1 error code, or `None` when none must be sent (no token, store unavailable).
    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Self::Missing | Self::Unavailable => None,
            Self::Malformed => Some("invalid_request"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::InvalidDpopProof => Some("invalid_dpop_proof"),
            Self::UseDpopNonce => Some("use_dpop_nonce"),
            _ => Some("invalid_token"),
        }
    }

    /// A short, fixed description that never contains configuration (issuer, audience, key ids) or token data.
    pub fn description(self) -> &'static str {
        match self {
            Self::Missing => "no access token was sent",
            Self::Malformed => "the authorization credentials are malformed",
            Self::InvalidToken => "the access token is malformed",
            Self::TooLarge => "the access token is too large",
            Self::UnsupportedAlgorithm => "the token algorithm is not accepted",
            Self::UnsupportedHeader => "the token header uses an unsupported parameter",
            Self::UnknownKey => "the token was signed with an unknown key",
            Self::InvalidSignature => "the token signature is invalid",
            Self::Expired => "the access token has expired",
            Self::NotYetValid => "the access token is not valid yet",
            Self::MissingClaim => "the access token lacks a required claim",
            Self::InvalidClaim => "the access token has an invalid claim",
            Self::InvalidIssuer => "the token issuer is not accepted",
            Self::InvalidAudience => "the token audience is not accepted",
            Self::InvalidType => "the token type is not accepted",
            Self::Revoked => "the access token has been revoked",
            Self::InsufficientScope => "the access token lacks the required scope",
            Self::Unavailable => "the authorization service is temporarily unavailable",
            Self::InvalidDpopProof => "the DPoP proof is invalid",
            Self::UseDpopNonce => "the DPoP proof must carry the server nonce",
            Self::DpopRequired => "the access token must be sent with the DPoP scheme and a proof",
            Self::NotDpopBound => "the access token is not bound to a DPoP key",
        }
    }
}

impl fmt::Display for AuthErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A rejected request: its [`AuthErrorKind`] and, for scope failures, the scopes that were required.
///
/// It is inserted into the extensions of every rejection response, so outer layers (logging, metrics) can see
/// why a request was refused:
///
/// ```
/// use tower_jwt_auth::{AuthError, AuthErrorKind};
/// # let response = http::Response::builder().extension(AuthError::new(AuthErrorKind::Expired)).body(()).unwrap();
/// if let Some(error) = response.extensions().get::<AuthError>() {
///     assert_eq!(error.kind(), AuthErrorKind::Expired);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    kind: AuthErrorKind,
    required_scope: Option<Arc<str>>,
    claim: Option<&'static str>,
    dpop: bool,
    dpop_nonce: Option<Arc<str>>,
}

impl AuthError {
    /// An error of this kind.
    pub fn new(kind: AuthErrorKind) -> Self {
        Self {
            kind,
            required_scope: None,
            claim: None,
            dpop: false,
            dpop_nonce: None,
        }
    }

    /// The same error, for a request that used the DPoP scheme: its challenge is a `DPoP` one.
    pub(crate) fn with_dpop(mut self) -> Self {
        self.dpop = true;
        self
    }

    /// 401 `use_dpop_nonce`, handing out `nonce` (in the `DPoP-Nonce` header of the response).
    pub(crate) fn use_dpop_nonce(nonce: String) -> Self {
        Self {
            dpop_nonce: Some(nonce.into()),
            dpop: true,
            ..Self::of_claim(AuthErrorKind::UseDpopNonce, "nonce")
        }
    }

    /// Whether the refused request used the DPoP scheme (or was refused for not using it): its challenge is
    /// then a `DPoP` one.
    pub fn used_dpop(&self) -> bool {
        self.dpop
            || matches!(
                self.kind,
                AuthErrorKind::DpopRequired
                    | AuthErrorKind::InvalidDpopProof
                    | AuthErrorKind::UseDpopNonce
            )
    }

    /// The server nonce a client must put into its next DPoP proof ([`AuthErrorKind::UseDpopNonce`]); the
    /// layer sends it as `DPoP-Nonce`.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// An error about the registered claim `claim` (`exp`, `iss`, `aud`, …): missing, of the wrong type, or
    /// refused.
    pub(crate) fn of_claim(kind: AuthErrorKind, claim: &'static str) -> Self {
        Self {
            claim: Some(claim),
            ..Self::new(kind)
        }
    }

    /// A 403 `insufficient_scope` error naming the scopes the resource requires (space separated).
    pub fn insufficient_scope(required: impl Into<String>) -> Self {
        Self::insufficient_scope_shared(required.into().into())
    }

    /// [`insufficient_scope`](Self::insufficient_scope) for a scope text prepared once (no copy per rejection).
    pub(crate) fn insufficient_scope_shared(required: Arc<str>) -> Self {
        Self {
            required_scope: Some(required),
            ..Self::new(AuthErrorKind::InsufficientScope)
        }
    }

    /// Why the request was rejected.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// The HTTP status of the rejection.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The name of the registered claim the token failed on (`exp`, `nbf`, `iat`, `iss`, `aud`, a required
    /// claim, a registered claim of the wrong type), when the error is about one — its name, never its value.
    /// Not sent to clients (the challenge's description stays fixed); for logs and the `tracing` event.
    pub fn claim(&self) -> Option<&'static str> {
        self.claim
    }

    /// The scopes that were required, for `insufficient_scope` rejections.
    pub fn required_scope(&self) -> Option<&str> {
        self.required_scope.as_deref()
    }
}

impl From<AuthErrorKind> for AuthError {
    fn from(kind: AuthErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for AuthError {}

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

#[cfg(test)]
mod tests {
    use super::AuthErrorKind;

    #[test]
    fn every_kind_is_listed_at_its_index() {
        for (i, kind) in AuthErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i, "{kind:?}");
        }
    }
}
