//! The signing keys of one issuer over time: the active key, and the keys it replaced, still published (and
//! still accepted) until every token they signed has expired.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{AlgorithmFamily, DecodingKey};
use serde_json::{Map, Value};

use crate::error::ConfigError;
use crate::issuer::signing::SigningKey;
use crate::keys::material::invalid;
use crate::keys::verification::VerificationKey;

/// A key of the ring: its private half (for the active key), and its public halves.
#[derive(Debug, Clone)]
pub(crate) struct RingKey {
    /// Verifies what the key signed (the HMAC secret itself for HS*), marked as the issuer's own.
    pub(crate) verification: Arc<VerificationKey>,
    /// The public JWK, with `kid`, `alg` and `use: sig`; `None` for an HMAC secret, which is never published.
    pub(crate) jwk: Option<Jwk>,
    /// Until when it is kept (seconds since the epoch); `i64::MAX` for the active key.
    pub(crate) until: i64,
}

/// The active signing key and everything still published.
#[derive(Debug, Clone)]
pub(crate) struct KeyRing {
    pub(crate) active: SigningKey,
    /// The active key's encoded JOSE header (`alg`, `typ`, `kid`).
    pub(crate) header_b64: String,
    /// The active key's public halves first, then the staged and the retired keys still kept.
    pub(crate) keys: Vec<RingKey>,
    /// The `kid` of the key published ahead of its use ([`stage`](Self::stage)), if any.
    pub(crate) staged: Option<String>,
    /// Changes with every rotation.
    pub(crate) generation: u64,
}

impl KeyRing {
    /// A ring of one key, whose tokens carry the header `typ`.
    pub(crate) fn new(
        key: SigningKey,
        typ: &str,
        provider: &CryptoProvider,
    ) -> Result<Self, ConfigError> {
        let first = public_halves(&key, provider, i64::MAX)?;
        Ok(Self {
            header_b64: header(&key, typ)?,
            active: key,
            keys: vec![first],
            staged: None,
            generation: 0,
        })
    }

    /// Whether `kid` names a live key other than the staged one.
    fn kid_in_use(&self, kid: &str, now: i64) -> bool {
        self.live(now)
            .any(|k| k.verification.kid() == Some(kid) && self.staged.as_deref() != Some(kid))
    }

    /// The ring with `key` published (and trusted) ahead of its use; a key staged before is withdrawn.
    pub(crate) fn stage(
        &self,
        key: &SigningKey,
        now: i64,
        provider: &CryptoProvider,
    ) -> Result<Self, ConfigError> {
        let kid = key.kid.as_deref().ok_or(ConfigError::Missing(
            "TokenIssuer::stage: a kid on the staged key, as tokens name the key that signed them; give it \
             one with SigningKey::with_kid(..)",
        ))?;
        if self.kid_in_use(kid, now) {
            return Err(ConfigError::KeyIdInUse {
                setting: "TokenIssuer::stage",
                kid: kid.to_owned(),
            });
        }
        let mut keys: Vec<RingKey> = self
            .keys
            .iter()
            .filter(|k| k.until >= now && !self.is_staged(k))
            .cloned()
            .collect();
        keys.insert(1, public_halves(key, provider, i64::MAX)?);
        Ok(Self {
            keys,
            staged: Some(kid.to_owned()),
            generation: self.generation.wrapping_add(1),
            ..self.clone()
        })
    }

    /// Whether `key` is the staged key (published, not signing, and not trusted by the issuer's own layers).
    pub(crate) fn is_staged(&self, key: &RingKey) -> bool {
        self.staged.is_some() && key.verification.kid() == self.staged.as_deref()
    }

    /// The ring without the retired or staged key `kid`, dropped now (a compromised key): tokens it signed are
    /// refused from now on, also by sliding, which would otherwise re-sign them with the active key.
    pub(crate) fn retire(&self, kid: &str) -> Result<Self, ConfigError> {
        if self.active.kid.as_deref() == Some(kid) {
            return Err(ConfigError::Conflict(
                "TokenIssuer::retire of the active key: rotate to another key first",
            ));
        }
        let keys: Vec<RingKey> = self
            .keys
            .iter()
            .filter(|k| k.verification.kid() != Some(kid))
            .cloned()
            .collect();
        if keys.len() == self.keys.len() {
            return Err(ConfigError::UnknownKeyId(kid.to_owned()));
        }
        Ok(Self {
            keys,
            staged: self.staged.clone().filter(|staged| staged != kid),
            generation: self.generation.wrapping_add(1),
            ..self.clone()
        })
    }

    /// The ring after rotating to `key`: the active key is kept until `retire_at`; keys past their time are
    /// dropped. Both keys need distinct `kid`s (tokens name the key that signed them).
    pub(crate) fn rotate(
        &self,
        key: SigningKey,
        typ: &str,
        retire_at: i64,
        now: i64,
        provider: &CryptoProvider,
    ) -> Result<Self, ConfigError> {
        let (Some(old), Some(new)) = (self.active.kid.as_deref(), key.kid.as_deref()) else {
            return Err(ConfigError::Missing(
                "TokenIssuer::rotate: a kid on both signing keys, as tokens name the key that signed them; \
                 give them one with SigningKey::with_kid(..)",
            ));
        };
        if self.kid_in_use(new, now) || old == new {
            return Err(ConfigError::KeyIdInUse {
                setting: "TokenIssuer::rotate",
                kid: new.to_owned(),
            });
        }
        let fresh = public_halves(&key, provider, i64::MAX)?;
        // Verifiers may have cached the staged key under this kid: the key must be that one.
        if let Some(staged) = self
            .keys
            .iter()
            .find(|k| self.is_staged(k) && k.verification.kid() == Some(new))
        {
            let (staged, fresh) = (&staged.verification, &fresh.verification);
            if staged.algorithm() != fresh.algorithm() || !staged.same_material(fresh, provider) {
                return Err(ConfigError::Conflict(
                    "TokenIssuer::rotate to a key that differs from the one staged under its kid: rotate to \
                     the staged key, or stage the new one first",
                ));
            }
        }
        let mut keys = vec![fresh];
        for (i, kept) in self.keys.iter().enumerate() {
            let until = if i == 0 { retire_at } else { kept.until };
            // The staged key is the new one (published from now on as the active key), or withdrawn.
            if until >= now && !self.is_staged(kept) {
                keys.push(RingKey {
                    until,
                    ..kept.clone()
                });
            }
        }
        Ok(Self {
            header_b64: header(&key, typ)?,
            active: key,
            keys,
            staged: None,
            generation: self.generation.wrapping_add(1),
        })
    }

    /// The keys still kept at `now`.
    pub(crate) fn live(&self, now: i64) -> impl Iterator<Item = &RingKey> {
        self.keys.iter().filter(move |key| key.until >= now)
    }
}

/// The encoded JOSE header of tokens signed with `key`.
fn header(key: &SigningKey, typ: &str) -> Result<String, ConfigError> {
    let mut header = Map::new();
    // jsonwebtoken's own serde name of the algorithm (`HS256`, `EdDSA`, …).
    let alg = serde_json::to_value(key.algorithm).map_err(invalid)?;
    header.insert("alg".into(), alg);
    header.insert("typ".into(), typ.into());
    if let Some(kid) = &key.kid {
        header.insert("kid".into(), kid.clone().into());
    }
    Ok(URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()))
}

/// The verification key and public JWK of a signing key, derived with `provider`'s own key helpers (the
/// process-wide provider jsonwebtoken's `Jwk::from_encoding_key` uses may be ambiguous).
fn public_halves(
    key: &SigningKey,
    provider: &CryptoProvider,
    until: i64,
) -> Result<RingKey, ConfigError> {
    let alg = key.algorithm;
    let (decoding, params) = public_key(key, provider)?;
    let mut verification = VerificationKey::from_decoding_key(decoding, alg)?;
    if let Some(kid) = &key.kid {
        verification = verification.with_kid(kid.clone())?;
    }
    verification.issuer_key = true;
    let jwk = params.map(|algorithm| Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(alg.into()),
            key_id: key.kid.clone(),
            ..CommonParameters::default()
        },
        algorithm,
    });
    Ok(RingKey {
        verification: Arc::new(verification),
        jwk,
        until,
    })
}

/// The decoding key of a signing key, and the public JWK parameters it publishes (none for an HMAC secret).
fn public_key(
    key: &SigningKey,
    provider: &CryptoProvider,
) -> Result<(DecodingKey, Option<AlgorithmParameters>), ConfigError> {
    let alg = key.algorithm;
    let der = key.key.as_bytes();
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    Ok(match alg.family() {
        AlgorithmFamily::Hmac => (DecodingKey::from_secret(der).map_err(invalid)?, None),
        AlgorithmFamily::Rsa => {
            let (n, e) =
                (provider.key_utils.rsa_pub_components_from_private_key)(der).map_err(invalid)?;
            let params = AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n: b64(&n),
                e: b64(&e),
            });
            (DecodingKey::from_rsa_raw_components(&n, &e), Some(params))
        }
        AlgorithmFamily::Ec => {
            let (curve, x, y) = (provider.key_utils.ec_pub_components_from_private_key)(der, alg)
                .map_err(invalid)?;
            let decoding = DecodingKey::from_ec_components(&b64(&x), &b64(&y)).map_err(invalid)?;
            let params = AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve,
                x: b64(&x),
                y: b64(&y),
            });
            (decoding, Some(params))
        }
        AlgorithmFamily::Ed => {
            let x = (provider.key_utils.ed_pub_components_from_private_key)(
                der,
                &EllipticCurve::Ed25519,
            )
            .map_err(invalid)?;
            let decoding = DecodingKey::from_ed_components(&b64(&x)).map_err(invalid)?;
            let params = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: b64(&x),
            });
            (decoding, Some(params))
        }
    })
}
