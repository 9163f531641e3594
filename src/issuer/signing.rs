//! [`SigningKey`]: a private key or HMAC secret bound to one algorithm, for the tokens this service issues.

use std::fmt;

use jsonwebtoken::{Algorithm, EncodingKey};

use crate::error::ConfigError;
use crate::keys::der_kind::{check_der, check_rsa};
use crate::keys::material::{checked_kid, parse_der, parse_pem, parse_secret};
use crate::keys::pem_kind::Half;

/// A signing key bound to one algorithm, with an optional key id written into the `kid` header.
#[derive(Clone)]
pub struct SigningKey {
    pub(crate) key: EncodingKey,
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An HMAC secret (at least as long as the hash output). Use CSPRNG bytes, not a password.
    pub fn hmac(algorithm: Algorithm, secret: &[u8]) -> Result<Self, ConfigError> {
        Ok(Self::new(parse_secret(algorithm, secret)?, algorithm))
    }

    /// A private key in PEM form (PKCS#1 or PKCS#8 for RSA, PKCS#8 for EC and Ed25519).
    ///
    /// A public key, a key of another family or curve than `algorithm`'s, an EC key in SEC1 form
    /// (`BEGIN EC PRIVATE KEY`), an encrypted key, or text without a PEM key is refused here with
    /// [`ConfigError::WrongKeyKind`], which names what was expected, what was found and the fix.
    pub fn from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        let key = parse_pem(algorithm, pem)?;
        check_rsa(algorithm, Half::Private, &key, "SigningKey::from_pem")?;
        Ok(Self::new(key, algorithm))
    }

    /// A private key in DER form (PKCS#1 for RSA, PKCS#8 for EC and Ed25519).
    ///
    /// Bytes of another form (a public key, a SEC1 EC key, a key of another family or curve) are refused here
    /// with [`ConfigError::WrongKeyKind`] naming the form expected and a fix, and an RSA key under 2048 bits
    /// with [`ConfigError::WeakRsaKey`].
    pub fn from_der(algorithm: Algorithm, der: &[u8]) -> Result<Self, ConfigError> {
        let key: EncodingKey = parse_der(algorithm, der)?;
        check_rsa(algorithm, Half::Private, &key, "SigningKey::from_der")?;
        check_der(algorithm, &key, "SigningKey::from_der")?;
        Ok(Self::new(key, algorithm))
    }

    fn new(key: EncodingKey, algorithm: Algorithm) -> Self {
        Self {
            key,
            algorithm,
            kid: None,
        }
    }

    /// Sets the `kid` written into token headers.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self, ConfigError> {
        self.kid = Some(checked_kid(kid)?);
        Ok(self)
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}
