//! [`VerificationKey`]: a public key or HMAC secret bound to exactly one algorithm (RFC 8725 §3.1).

use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};

use crate::error::ConfigError;
use crate::keys::der_kind::{check_der, check_rsa};
use crate::keys::material::{
    check_hmac, checked_kid, invalid, parse_der, parse_pem, parse_secret, rsa_bits,
};
use crate::keys::pem_kind::Half;
use crate::keys::prepared::PreparedKey;

/// A verification key bound to exactly one algorithm, with an optional key id.
///
/// `none` is not an [`Algorithm`], so it can never be configured. HMAC secrets shorter than the hash output and
/// RSA keys under 2048 bits are refused when the key is made.
///
/// ```
/// use tower_jwt_auth::{Algorithm, VerificationKey};
///
/// let key = VerificationKey::hmac(Algorithm::HS256, b"an example secret of at least 32 bytes!")
///     .unwrap()
///     .with_kid("2026-11")
///     .unwrap();
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(VerificationKey::hmac(Algorithm::HS256, b"too short").is_err());
/// ```
#[derive(Clone)]
pub struct VerificationKey {
    pub(crate) key: DecodingKey,
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<String>,
    /// Set by the layer when this key verifies its sliding issuer's own signatures.
    pub(crate) issuer_key: bool,
    /// The key parsed once for the default crypto backend.
    prepared: PreparedKey,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    /// An HMAC secret for HS256, HS384 or HS512. Use random bytes from a CSPRNG, never a password (RFC 8725 §3.5).
    pub fn hmac(algorithm: Algorithm, secret: &[u8]) -> Result<Self, ConfigError> {
        Self::new(
            parse_secret(algorithm, secret)?,
            algorithm,
            "VerificationKey::hmac",
        )
    }

    /// A public key in PEM form (`-----BEGIN PUBLIC KEY-----` or `BEGIN RSA PUBLIC KEY`), for RS*/PS*, ES256/ES384
    /// or EdDSA.
    ///
    /// A private key, a key of another family or curve than `algorithm`'s, or text without a PEM key is refused
    /// here with [`ConfigError::WrongKeyKind`], which names what was expected, what was found and the fix.
    /// An RSA key under 2048 bits is refused here too ([`ConfigError::WeakRsaKey`]).
    pub fn from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        Self::new(
            parse_pem(algorithm, pem)?,
            algorithm,
            "VerificationKey::from_pem",
        )
    }

    /// A public key in DER form: PKCS#1 `RSAPublicKey` for RSA, the uncompressed point for EC, the 32 raw bytes
    /// for Ed25519 (the forms jsonwebtoken expects).
    ///
    /// Bytes of another form (a `SubjectPublicKeyInfo`, a private key, a point of another curve) are refused
    /// here with [`ConfigError::WrongKeyKind`] naming the form expected and a fix, and an RSA key under 2048
    /// bits with [`ConfigError::WeakRsaKey`].
    pub fn from_der(algorithm: Algorithm, der: &[u8]) -> Result<Self, ConfigError> {
        let key: DecodingKey = parse_der(algorithm, der)?;
        check_der(algorithm, &key, "VerificationKey::from_der")?;
        Self::new(key, algorithm, "VerificationKey::from_der")
    }

    /// A key from a JWK (RFC 7517). The JWK's `alg` binds the key when present; otherwise `algorithm` must be
    /// given and fit the key type. Its `kid`, when present, becomes the key id. Keys whose `use` is not `sig`
    /// are refused.
    pub fn from_jwk(jwk: &Jwk, algorithm: Option<Algorithm>) -> Result<Self, ConfigError> {
        use jsonwebtoken::jwk::PublicKeyUse;
        if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
            return Err(invalid("the JWK is not a signature key"));
        }
        let bound = jwk
            .common
            .key_algorithm
            .map(|alg| {
                Algorithm::try_from(alg)
                    .map_err(|_| invalid(format!("unsupported JWK algorithm {alg:?}")))
            })
            .transpose()?;
        let algorithm = match (bound, algorithm) {
            (Some(a), Some(b)) if a != b => return Err(ConfigError::AlgorithmMismatch),
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => return Err(invalid("the JWK has no `alg`; pass the algorithm")),
        };
        let key = DecodingKey::from_jwk(jwk).map_err(invalid)?;
        if key.family() == AlgorithmFamily::Hmac {
            check_hmac(algorithm, key.try_get_as_bytes().map_err(invalid)?)?;
        }
        let key = Self::new(key, algorithm, "VerificationKey::from_jwk")?;
        match &jwk.common.key_id {
            Some(kid) => key.with_kid(kid.clone()),
            None => Ok(key),
        }
    }

    /// Wraps an existing [`DecodingKey`]; its family must fit `algorithm`.
    pub fn from_decoding_key(key: DecodingKey, algorithm: Algorithm) -> Result<Self, ConfigError> {
        if key.family() == AlgorithmFamily::Hmac {
            check_hmac(algorithm, key.try_get_as_bytes().map_err(invalid)?)?;
        }
        Self::new(key, algorithm, "VerificationKey::from_decoding_key")
    }

    /// The key, once its family fits `algorithm` and an RSA key is 2048 bits or more.
    fn new(
        key: DecodingKey,
        algorithm: Algorithm,
        setting: &'static str,
    ) -> Result<Self, ConfigError> {
        if key.family() != algorithm.family() {
            return Err(ConfigError::AlgorithmMismatch);
        }
        check_rsa(algorithm, Half::Public, &key, setting)?;
        Ok(Self {
            prepared: PreparedKey::new(algorithm, &key),
            key,
            algorithm,
            kid: None,
            issuer_key: false,
        })
    }

    /// Sets the key id that tokens name in their `kid` header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self, ConfigError> {
        self.kid = Some(checked_kid(kid)?);
        Ok(self)
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether `signature` is this key's signature of `message` under `algorithm` (which must be the key's own:
    /// any other is refused). The key parsed once verifies when `provider` is the backend it was parsed for;
    /// otherwise `provider` does (its verifiers take the signature as a `Vec`).
    #[allow(clippy::ptr_arg)]
    pub(crate) fn verifies(
        &self,
        provider: &CryptoProvider,
        algorithm: Algorithm,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> bool {
        if algorithm != self.algorithm {
            return false;
        }
        if let Some(verified) = self.prepared.verify(provider, message, signature) {
            return verified;
        }
        (provider.verifier_factory)(&algorithm, &self.key)
            .is_ok_and(|verifier| verifier.verify(message, signature).is_ok())
    }

    /// An RSA key's modulus and exponent, however it was given (PEM/DER or JWK components).
    fn rsa_components(&self, provider: &CryptoProvider) -> Result<(Vec<u8>, Vec<u8>), ConfigError> {
        match self.key.kind() {
            DecodingKeyKind::RsaModulusExponent { n, e } => Ok((n.clone(), e.clone())),
            DecodingKeyKind::SecretOrDer(der) => {
                (provider.key_utils.rsa_pub_components_from_public_key)(der)
                    .map_err(|e| unusable(self.algorithm, e))
            }
        }
    }

    /// Whether both verify with the same key material, whatever form each was given in and whatever algorithm
    /// each is bound to: the same HMAC secret, RSA modulus and exponent, or EC/Ed25519 public point.
    pub(crate) fn same_material(&self, other: &Self, provider: &CryptoProvider) -> bool {
        if self.key.family() != other.key.family() {
            return false;
        }
        if self.key.family() == AlgorithmFamily::Rsa {
            let trim = |(n, e): (Vec<u8>, Vec<u8>)| {
                let strip = |v: &[u8]| v[v.iter().take_while(|b| **b == 0).count()..].to_vec();
                (strip(&n), strip(&e))
            };
            return match (
                self.rsa_components(provider),
                other.rsa_components(provider),
            ) {
                (Ok(a), Ok(b)) => trim(a) == trim(b),
                _ => false,
            };
        }
        // HMAC secrets, and the raw public points jsonwebtoken keeps for EC (0x04 || x || y) and Ed25519 (x)
        // whether they came from PEM, DER or JWK components.
        matches!(
            (self.key.try_get_as_bytes(), other.key.try_get_as_bytes()),
            (Ok(a), Ok(b)) if a == b
        )
    }

    /// Checks what can only be checked with a provider: RSA modulus size, and that the key parses at all.
    pub(crate) fn validate(&self, provider: &CryptoProvider) -> Result<(), ConfigError> {
        if self.key.family() == AlgorithmFamily::Rsa {
            let modulus = self.rsa_components(provider)?.0;
            let bits = rsa_bits(&modulus);
            if bits < 2048 {
                return Err(ConfigError::WeakRsaKey { bits });
            }
        }
        (provider.verifier_factory)(&self.algorithm, &self.key)
            .map_err(|e| unusable(self.algorithm, e))?;
        Ok(())
    }
}

/// A key the crypto provider can't verify with: what it said, and what to pass instead.
fn unusable(algorithm: Algorithm, e: impl fmt::Display) -> ConfigError {
    invalid(format!(
        "the crypto provider can't verify {algorithm:?} with this key ({e}); pass a public key of the \
         algorithm's family and curve (VerificationKey::from_pem names what a PEM holds)"
    ))
}
