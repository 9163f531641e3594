//! What a PEM block holds — public or private, RSA, EC (which curve) or Ed25519 — checked against what a
//! constructor takes before jsonwebtoken reads it, so a private key given as a verification key (or a public one
//! as a signing key, or a key of another family than the algorithm's) is refused when the key is made, with the
//! expected and the found kind named.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;

use crate::error::ConfigError;

/// The half of a key pair a constructor takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Half {
    /// Verification keys: `-----BEGIN PUBLIC KEY-----`.
    Public,
    /// Signing keys: `-----BEGIN PRIVATE KEY-----`.
    Private,
}

impl Half {
    fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    fn constructor(self) -> &'static str {
        match self {
            Self::Public => "VerificationKey::from_pem",
            Self::Private => "SigningKey::from_pem",
        }
    }

    fn labels(self, algorithm: Algorithm) -> &'static str {
        match (self, family_of(algorithm)) {
            (Self::Public, "RSA") => "-----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----",
            (Self::Private, "RSA") => {
                "-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----"
            }
            (Self::Public, _) => "-----BEGIN PUBLIC KEY-----",
            (Self::Private, _) => "-----BEGIN PRIVATE KEY-----, PKCS#8",
        }
    }
}

/// The key family (and curve) an algorithm verifies, as written in messages (each takes "an").
pub(crate) fn family_of(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::ES256 => "EC P-256",
        Algorithm::ES384 => "EC P-384",
        Algorithm::EdDSA => "Ed25519",
        _ => "RSA",
    }
}

/// DER object identifiers (tag, length, value) of the key types, in the families' message form.
const KEY_OIDS: [(&[u8], &str); 8] = [
    (b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", "EC P-256"),
    (b"\x06\x05\x2b\x81\x04\x00\x22", "EC P-384"),
    (b"\x06\x05\x2b\x81\x04\x00\x23", "EC P-521"),
    (b"\x06\x05\x2b\x81\x04\x00\x0a", "EC secp256k1"),
    (b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", "RSA"),
    (b"\x06\x03\x2b\x65\x70", "Ed25519"),
    (b"\x06\x03\x2b\x65\x71", "Ed448"),
    (b"\x06\x03\x2b\x65\x6e", "X25519"),
];

/// The first PEM block of `pem`: its label and its decoded contents (`None` when they are not base64).
fn first_block(pem: &[u8]) -> Option<(String, Option<Vec<u8>>)> {
    let text = String::from_utf8_lossy(pem);
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let (label, body) = text[start..].split_once("-----")?;
    let body = body.split("-----END").next().unwrap_or_default();
    let base64: String = body
        .lines()
        .filter(|line| !line.contains(':'))
        .flat_map(|line| line.chars().filter(|c| !c.is_ascii_whitespace()))
        .collect();
    Some((label.trim().to_owned(), STANDARD.decode(base64).ok()))
}

/// The family a DER key names: the curve for EC keys (the curve OID follows the EC OID), else the key type.
pub(crate) fn family_in(der: &[u8]) -> Option<&'static str> {
    let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    KEY_OIDS
        .iter()
        .find(|(oid, _)| has(oid))
        .map(|(_, name)| *name)
}

/// The error for a key of another kind than `half` of `algorithm`'s family.
pub(crate) fn wrong_kind(
    algorithm: Algorithm,
    half: Half,
    found: String,
    fix: &'static str,
) -> ConfigError {
    ConfigError::WrongKeyKind {
        setting: half.constructor(),
        expected: format!(
            "an {} {} key PEM ({})",
            family_of(algorithm),
            half.name(),
            half.labels(algorithm)
        ),
        found,
        fix,
    }
}

/// Refuses a PEM whose block is not `half` of a key of `algorithm`'s family, naming what was expected and what
/// was found. What it can't classify is left to jsonwebtoken.
pub(crate) fn check_pem(algorithm: Algorithm, half: Half, pem: &[u8]) -> Result<(), ConfigError> {
    let wrong = |found: String, fix: &'static str| wrong_kind(algorithm, half, found, fix);
    let Some((label, der)) = first_block(pem) else {
        return Err(wrong(
            "no PEM block (no -----BEGIN line)".to_owned(),
            "pass the whole PEM file's text, header and footer lines included (from_der takes DER bytes)",
        ));
    };
    let marker = format!("-----BEGIN {label}-----");
    let found_half = match label.as_str() {
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Half::Public,
        "PRIVATE KEY" | "RSA PRIVATE KEY" => Half::Private,
        "EC PRIVATE KEY" => {
            return Err(wrong(
                format!("an EC private key in SEC1 form ({marker})"),
                "convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in key.pem",
            ))
        }
        "ENCRYPTED PRIVATE KEY" => {
            return Err(wrong(
                format!("an encrypted private key ({marker})"),
                "decrypt it first: openssl pkcs8 -in key.pem (it asks for the passphrase)",
            ))
        }
        _ => {
            return Err(wrong(
                format!("a `{label}` block ({marker})"),
                "pass a key in PKCS#8 or SPKI PEM form (openssl pkey converts most keys)",
            ))
        }
    };
    let family = match label.as_str() {
        "RSA PUBLIC KEY" | "RSA PRIVATE KEY" => Some("RSA"),
        _ => der.as_deref().and_then(family_in),
    };
    if found_half != half {
        let fix = match half {
            Half::Public => {
                "pass the public half (openssl pkey -in key.pem -pubout); the private key belongs to the issuer \
                 alone, in SigningKey::from_pem"
            }
            Half::Private => {
                "pass the private key; a public key only verifies, in VerificationKey::from_pem"
            }
        };
        return Err(wrong(found_kind(family, found_half, &marker), fix));
    }
    match family {
        Some(found) if found != family_of(algorithm) => Err(wrong(
            found_kind(family, found_half, &marker),
            "pass a key of the algorithm's family, or the algorithm that fits the key (RS256/PS256... for RSA, \
             ES256 for P-256, ES384 for P-384, EdDSA for Ed25519)",
        )),
        _ => Ok(()),
    }
}

/// `an EC P-384 private key (-----BEGIN PRIVATE KEY-----)`, or without a family when none was recognised.
fn found_kind(family: Option<&str>, half: Half, marker: &str) -> String {
    match family {
        Some(family) => format!("an {family} {} key ({marker})", half.name()),
        None => format!("a {} key ({marker})", half.name()),
    }
}
