//! Key material shared by [`SigningKey`](crate::SigningKey) and [`VerificationKey`](crate::VerificationKey): one
//! set of constructors for both (PEM, DER, HMAC secret), chosen by jsonwebtoken's own algorithm family, and the
//! checks both apply (HMAC secret length, key id bounds).

use std::fmt;

use jsonwebtoken::errors::Error as JwtError;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

use crate::error::ConfigError;
use crate::keys::pem_kind::{check_pem, wrong_kind, Half};

/// Longest accepted key id, in bytes (RFC 7517 §4.5 leaves it open; we bound it).
pub(crate) const MAX_KID_LEN: usize = 256;

/// jsonwebtoken's two key types, which name their constructors alike.
pub(crate) trait KeyMaterial: Sized {
    /// The half of a key pair this type holds.
    const HALF: Half;
    fn rsa_pem(pem: &[u8]) -> Result<Self, JwtError>;
    fn ec_pem(pem: &[u8]) -> Result<Self, JwtError>;
    fn ed_pem(pem: &[u8]) -> Result<Self, JwtError>;
    fn rsa_der(der: &[u8]) -> Self;
    fn ec_der(der: &[u8]) -> Self;
    fn ed_der(der: &[u8]) -> Self;
    fn secret(secret: &[u8]) -> Result<Self, JwtError>;
}

macro_rules! key_material {
    ($key:ty, $half:expr) => {
        impl KeyMaterial for $key {
            const HALF: Half = $half;
            fn rsa_pem(pem: &[u8]) -> Result<Self, JwtError> {
                <$key>::from_rsa_pem(pem)
            }
            fn ec_pem(pem: &[u8]) -> Result<Self, JwtError> {
                <$key>::from_ec_pem(pem)
            }
            fn ed_pem(pem: &[u8]) -> Result<Self, JwtError> {
                <$key>::from_ed_pem(pem)
            }
            fn rsa_der(der: &[u8]) -> Self {
                <$key>::from_rsa_der(der)
            }
            fn ec_der(der: &[u8]) -> Self {
                <$key>::from_ec_der(der)
            }
            fn ed_der(der: &[u8]) -> Self {
                <$key>::from_ed_der(der)
            }
            fn secret(secret: &[u8]) -> Result<Self, JwtError> {
                <$key>::from_secret(secret)
            }
        }
    };
}

key_material!(EncodingKey, Half::Private);
key_material!(DecodingKey, Half::Public);

/// A key of `algorithm`'s family from PEM (HMAC has no PEM form), of the half `K` holds: what the PEM block
/// holds is checked first, so a wrong half or family is named rather than reported as jsonwebtoken's error.
pub(crate) fn parse_pem<K: KeyMaterial>(
    algorithm: Algorithm,
    pem: &[u8],
) -> Result<K, ConfigError> {
    if algorithm.family() == AlgorithmFamily::Hmac {
        return Err(ConfigError::AlgorithmMismatch);
    }
    check_pem(algorithm, K::HALF, pem)?;
    match algorithm.family() {
        AlgorithmFamily::Rsa => K::rsa_pem(pem),
        AlgorithmFamily::Ec => K::ec_pem(pem),
        _ => K::ed_pem(pem),
    }
    .map_err(|_| {
        wrong_kind(
            algorithm,
            K::HALF,
            "a PEM block whose key can't be read".to_owned(),
            "check that the file is complete and unmodified (openssl pkey -in key.pem -noout tells)",
        )
    })
}

/// A key of `algorithm`'s family from DER (HMAC has no DER form).
pub(crate) fn parse_der<K: KeyMaterial>(
    algorithm: Algorithm,
    der: &[u8],
) -> Result<K, ConfigError> {
    Ok(match algorithm.family() {
        AlgorithmFamily::Rsa => K::rsa_der(der),
        AlgorithmFamily::Ec => K::ec_der(der),
        AlgorithmFamily::Ed => K::ed_der(der),
        AlgorithmFamily::Hmac => return Err(ConfigError::AlgorithmMismatch),
    })
}

/// An HMAC key: `algorithm` must be HS*, and the secret at least as long as its hash output.
pub(crate) fn parse_secret<K: KeyMaterial>(
    algorithm: Algorithm,
    secret: &[u8],
) -> Result<K, ConfigError> {
    check_hmac(algorithm, secret)?;
    K::secret(secret).map_err(invalid)
}

/// Minimum HMAC secret length: the hash output size (RFC 7518 §3.2).
fn hmac_min_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// Refuses a non-HMAC algorithm, a secret that is key text (PEM, DER, JWK), or a secret shorter than its hash
/// output.
pub(crate) fn check_hmac(algorithm: Algorithm, secret: &[u8]) -> Result<(), ConfigError> {
    if algorithm.family() != AlgorithmFamily::Hmac {
        return Err(ConfigError::AlgorithmMismatch);
    }
    if let Some((found, use_instead)) = key_text(secret) {
        return Err(ConfigError::HmacSecretIsKeyText { found, use_instead });
    }
    let min_bytes = hmac_min_len(algorithm);
    if secret.len() < min_bytes {
        return Err(ConfigError::WeakHmacSecret {
            min_bytes,
            got_bytes: secret.len(),
        });
    }
    Ok(())
}

/// What an HMAC secret looks like when it is really a key — a PEM block, DER, or JWK JSON — and the constructor
/// that reads it. A random secret matches by chance with negligible probability: PEM needs ten fixed bytes, and
/// DER a whole nested structure (see [`is_der_key`]).
fn key_text(secret: &[u8]) -> Option<(&'static str, &'static str)> {
    const PEM: &[u8] = b"-----BEGIN";
    if secret.windows(PEM.len()).any(|w| w == PEM) {
        return Some((
            "a PEM key",
            "VerificationKey::from_pem (SigningKey::from_pem for a private key)",
        ));
    }
    if is_der_key(secret) {
        return Some((
            "a DER key",
            "VerificationKey::from_der (SigningKey::from_der for a private key)",
        ));
    }
    let text = secret.trim_ascii();
    if text.starts_with(b"{") && secret.windows(5).any(|w| w == b"\"kty\"") {
        return Some(("a JWK", "VerificationKey::from_jwk"));
    }
    const SSH: [&[u8]; 3] = [b"ssh-rsa ", b"ssh-ed25519 ", b"ecdsa-sha2-"];
    if SSH.iter().any(|prefix| text.starts_with(prefix)) {
        return Some((
            "an OpenSSH public key",
            "VerificationKey::from_pem (convert it to PEM first)",
        ));
    }
    // A PEM body without its lines, or the DER in hex: text that decodes to a key.
    if decoded_text(text).is_some_and(|der| is_der_key(&der)) {
        return Some((
            "a base64 or hex encoded DER key",
            "VerificationKey::from_der on the decoded bytes (or from_pem with the PEM lines)",
        ));
    }
    None
}

/// `text` decoded as hex, or as standard base64 (line breaks and spaces ignored), when it is one of them.
fn decoded_text(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    if text.len().is_multiple_of(2) && !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
        let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        return text
            .chunks(2)
            .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
            .collect();
    }
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// The tag, header length and content length of the DER element at the start of `der` (definite lengths up to
/// 64 KiB, in minimal form).
fn der_element(der: &[u8]) -> Option<(u8, usize, usize)> {
    match *der {
        [tag, len, ..] if len < 0x80 => Some((tag, 2, usize::from(len))),
        [tag, 0x81, len, ..] if len >= 0x80 => Some((tag, 3, usize::from(len))),
        [tag, 0x82, hi, lo, ..] if hi > 0 => Some((tag, 4, usize::from(hi) << 8 | usize::from(lo))),
        _ => None,
    }
}

/// Whether `secret` is shaped like every PKCS#1, PKCS#8 and SPKI key: one DER `SEQUENCE` spanning exactly the
/// whole secret, whose first element is an `INTEGER` or a `SEQUENCE` that fits inside it, followed by nothing or
/// by another element of a key's types (`INTEGER`, `BIT STRING`, `OCTET STRING`, `NULL`, OID, `SEQUENCE`, or
/// a context tag).
fn is_der_key(secret: &[u8]) -> bool {
    let Some((0x30, header, length)) = der_element(secret) else {
        return false;
    };
    if header + length != secret.len() {
        return false;
    }
    let content = &secret[header..];
    let Some((0x02 | 0x30, first_header, first_length)) = der_element(content) else {
        return false;
    };
    match content.get(first_header + first_length..) {
        None => false,
        Some([]) => true,
        Some([next, ..]) => matches!(next, 0x02..=0x06 | 0x30 | 0xa0 | 0xa1),
    }
}

pub(crate) fn invalid(e: impl fmt::Display) -> ConfigError {
    ConfigError::InvalidKey(e.to_string())
}

/// A key id: 1 to 256 bytes.
pub(crate) fn checked_kid(kid: impl Into<String>) -> Result<String, ConfigError> {
    let kid = kid.into();
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(ConfigError::InvalidKeyId);
    }
    Ok(kid)
}

/// The size of an RSA modulus in bits.
pub(crate) fn rsa_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => &[],
    };
    match trimmed.first() {
        Some(first) => trimmed.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}
