//! What key bytes hold, checked when a key is made rather than when the layer or issuer is built: an RSA key's
//! size (at least 2048 bits, RFC 7518 §3.3) and that it parses as the half the constructor takes, and for DER
//! input the shape of EC and Ed25519 keys (a public point of the algorithm's curve, 32 raw Ed25519 bytes, a
//! PKCS#8 private key of the algorithm's family) — each refusal names what was expected and what was found.
//!
//! The RSA checks read the key with the crypto provider the crate features select; a build without one (a
//! provider given later with `crypto_provider`) has them made when the layer or issuer is built instead.

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};

use crate::error::ConfigError;
use crate::keys::material::{rsa_bits, KeyMaterial};
use crate::keys::pem_kind::{family_in, family_of, Half};

/// A key type's view of its bytes for these checks.
pub(crate) trait KeyBytes {
    /// The RSA modulus, read with `provider` (`None` when the bytes are not an RSA key of this half).
    fn rsa_modulus(&self, provider: &CryptoProvider) -> Option<Vec<u8>>;
    /// The bytes jsonwebtoken keeps (DER, or the raw public point).
    fn bytes(&self) -> Option<&[u8]>;
}

impl KeyBytes for DecodingKey {
    fn rsa_modulus(&self, provider: &CryptoProvider) -> Option<Vec<u8>> {
        match self.kind() {
            DecodingKeyKind::RsaModulusExponent { n, .. } => Some(n.clone()),
            DecodingKeyKind::SecretOrDer(der) => {
                (provider.key_utils.rsa_pub_components_from_public_key)(der)
                    .ok()
                    .map(|(n, _)| n)
            }
        }
    }

    fn bytes(&self) -> Option<&[u8]> {
        self.try_get_as_bytes().ok()
    }
}

impl KeyBytes for EncodingKey {
    fn rsa_modulus(&self, provider: &CryptoProvider) -> Option<Vec<u8>> {
        // aws-lc-rs refuses to read RSA private keys under 2048 bits at all: their modulus is read from the
        // PKCS#1 structure itself then, so the error can say how small the key is.
        (provider.key_utils.rsa_pub_components_from_private_key)(self.as_bytes())
            .ok()
            .map(|(n, _)| n)
            .or_else(|| pkcs1_private_modulus(self.as_bytes()).map(<[u8]>::to_vec))
    }

    fn bytes(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

/// Refuses an RSA key that the feature provider can't read as `half` of an RSA key, or that is under 2048 bits.
/// Other families pass.
pub(crate) fn check_rsa<K: KeyBytes>(
    algorithm: Algorithm,
    half: Half,
    key: &K,
    setting: &'static str,
) -> Result<(), ConfigError> {
    if algorithm.family() != AlgorithmFamily::Rsa {
        return Ok(());
    }
    let Ok(provider) = crate::crypto::feature_provider() else {
        return Ok(());
    };
    let Some(modulus) = key.rsa_modulus(provider) else {
        let found = match key.bytes().and_then(family_in) {
            Some("RSA") => "DER that wraps the RSA key (PKCS#8 or SubjectPublicKeyInfo)".to_owned(),
            Some(family) => format!("an {family} key"),
            None => format!("bytes that are not an RSA {} key", half_name(half)),
        };
        return Err(wrong_der(algorithm, half, setting, found));
    };
    match rsa_bits(&modulus) {
        bits if bits < 2048 => Err(ConfigError::WeakRsaKey { bits }),
        _ => Ok(()),
    }
}

/// Refuses DER bytes that can't be `half` of a key of `algorithm`'s EC or Ed25519 family: a public point of
/// another length or form, a PKCS#8 private key of another family or curve. RSA is [`check_rsa`]'s.
pub(crate) fn check_der<K: KeyMaterial + KeyBytes>(
    algorithm: Algorithm,
    key: &K,
    setting: &'static str,
) -> Result<(), ConfigError> {
    let bytes = key.bytes().unwrap_or_default();
    let found = match (K::HALF, algorithm) {
        (_, a) if a.family() == AlgorithmFamily::Rsa => return Ok(()),
        (Half::Public, Algorithm::ES256) if point_of(bytes, 32) => return Ok(()),
        (Half::Public, Algorithm::ES384) if point_of(bytes, 48) => return Ok(()),
        (Half::Public, Algorithm::EdDSA) if bytes.len() == 32 => return Ok(()),
        (Half::Public, _) => match family_in(bytes) {
            Some(family) => {
                format!("a DER structure naming an {family} key (SubjectPublicKeyInfo?)")
            }
            None => format!(
                "{} bytes that are not a raw public key of this curve",
                bytes.len()
            ),
        },
        (Half::Private, _) => match family_in(bytes) {
            Some(family) if family == family_of(algorithm) => return Ok(()),
            Some(family) => format!("a PKCS#8 key of another kind ({family})"),
            None => "DER without a PKCS#8 key type (a SEC1 EC key, or not a key)".to_owned(),
        },
    };
    Err(wrong_der(algorithm, K::HALF, setting, found))
}

/// The modulus of a PKCS#1 `RSAPrivateKey` (`SEQUENCE { version INTEGER, modulus INTEGER, … }`), when `der`
/// has that shape.
fn pkcs1_private_modulus(der: &[u8]) -> Option<&[u8]> {
    let (sequence, _) = der_element(der, 0x30)?;
    let (version, rest) = der_element(sequence, 0x02)?;
    if version != [0] {
        return None;
    }
    der_element(rest, 0x02).map(|(modulus, _)| modulus)
}

/// The contents of the DER element of type `tag` at the start of `der`, and what follows it.
fn der_element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if found != tag {
        return None;
    }
    let (len, rest) = match first {
        short @ 0..=0x7f => (usize::from(short), rest),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            let (bytes, rest) = (rest.get(..count)?, rest.get(count..)?);
            (
                bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b)),
                rest,
            )
        }
        _ => return None,
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// An uncompressed EC point (`0x04 || x || y`) with coordinates of `size` bytes.
fn point_of(bytes: &[u8], size: usize) -> bool {
    bytes.len() == 1 + 2 * size && bytes[0] == 0x04
}

fn half_name(half: Half) -> &'static str {
    match half {
        Half::Public => "public",
        Half::Private => "private",
    }
}

/// The error for DER bytes of another kind than `half` of `algorithm`'s family.
fn wrong_der(
    algorithm: Algorithm,
    half: Half,
    setting: &'static str,
    found: String,
) -> ConfigError {
    let family = family_of(algorithm);
    let (expected, fix) = match (half, algorithm.family()) {
        (Half::Public, AlgorithmFamily::Rsa) => (
            format!("an {family} public key in DER (PKCS#1 RSAPublicKey)"),
            "pass the PEM to from_pem instead (it takes SubjectPublicKeyInfo too), or convert: openssl rsa \
             -pubin -in key.pem -RSAPublicKey_out -outform DER",
        ),
        (Half::Private, AlgorithmFamily::Rsa) => (
            format!("an {family} private key in DER (PKCS#1 RSAPrivateKey)"),
            "pass the PEM to from_pem instead, or convert: openssl rsa -in key.pem -traditional -outform DER",
        ),
        (Half::Public, AlgorithmFamily::Ec) => (
            format!("an {family} public key as its uncompressed point (0x04 || x || y)"),
            "pass the PEM (-----BEGIN PUBLIC KEY-----) to from_pem instead, or the JWK to from_jwk",
        ),
        (Half::Public, _) => (
            format!("an {family} public key as its 32 raw bytes"),
            "pass the PEM (-----BEGIN PUBLIC KEY-----) to from_pem instead, or the JWK to from_jwk",
        ),
        (Half::Private, _) => (
            format!("an {family} private key in DER (PKCS#8)"),
            "convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER",
        ),
    };
    ConfigError::WrongKeyKind {
        setting,
        expected,
        found,
        fix,
    }
}
