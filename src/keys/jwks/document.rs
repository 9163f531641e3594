//! JWK Set documents (RFC 7517): which keys are usable, and for which algorithms.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::Algorithm;

use serde::de::DeserializeSeed;
use serde_json::value::RawValue;

use crate::jose::json::Skip;
use crate::keys::material::MAX_KID_LEN;
use crate::keys::verification::VerificationKey;

/// The usable keys of one document: by `kid`, and those without one. A key without `alg` appears once per
/// allowed algorithm of its type, each bound to that one algorithm.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    pub(crate) by_kid: HashMap<String, Vec<Arc<VerificationKey>>>,
    pub(crate) without_kid: Vec<Arc<VerificationKey>>,
}

impl KeyTable {
    pub(crate) fn len(&self) -> usize {
        self.by_kid.values().map(Vec::len).sum::<usize>() + self.without_kid.len()
    }

    #[cfg(feature = "tracing")]
    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.by_kid.keys().map(String::as_str)
    }
}

/// A document that is not a JWK Set at all (not JSON, or no `keys` array). Unusable keys inside a valid set
/// are skipped instead (RFC 7517 §5).
#[derive(Debug)]
pub(crate) struct NotAKeySet;

/// The algorithms a key of this type may verify, from the allow-list.
fn algorithms_for(jwk: &Jwk, allowed: &[Algorithm]) -> Vec<Algorithm> {
    let fits = |alg: &Algorithm| match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => alg.family() == jsonwebtoken::AlgorithmFamily::Rsa,
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (&ec.curve, alg),
            (EllipticCurve::P256, Algorithm::ES256) | (EllipticCurve::P384, Algorithm::ES384)
        ),
        AlgorithmParameters::OctetKeyPair(okp) => {
            okp.curve == EllipticCurve::Ed25519 && *alg == Algorithm::EdDSA
        }
        // Symmetric keys never come from a key set; unknown key types are ignored.
        _ => false,
    };
    allowed.iter().copied().filter(fits).collect()
}

fn usable_for_signatures(jwk: &Jwk) -> bool {
    let use_ok = matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    let ops_ok = jwk
        .common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.iter().any(|op| matches!(op, KeyOperations::Verify)));
    use_ok && ops_ok
}

/// Parses a JWK Set, keeping only keys usable with `allowed` algorithms: `use` absent or `sig`, `key_ops`
/// absent or with `verify`, a known key type, RSA keys of 2048 bits or more, `alg` (when present) in the
/// allow-list and fitting the key.
pub(crate) fn parse_key_set(
    body: &[u8],
    allowed: &[Algorithm],
    provider: &'static CryptoProvider,
) -> Result<KeyTable, NotAKeySet> {
    #[derive(serde::Deserialize)]
    struct RawSet<'a> {
        #[serde(borrow)]
        keys: Vec<&'a RawValue>,
    }
    let set: RawSet<'_> = serde_json::from_slice(body).map_err(|_| NotAKeySet)?;
    let mut table = KeyTable::default();
    for entry in set.keys {
        // Member names must be unique (RFC 7517 §4): a key that repeats one is skipped, not guessed at.
        let mut strict = serde_json::Deserializer::from_str(entry.get());
        if Skip::top().deserialize(&mut strict).is_err() {
            continue;
        }
        let Ok(jwk) = serde_json::from_str::<Jwk>(entry.get()) else {
            continue;
        };
        if !usable_for_signatures(&jwk)
            || jwk
                .common
                .key_id
                .as_ref()
                .is_some_and(|k| k.is_empty() || k.len() > MAX_KID_LEN)
        {
            continue;
        }
        let candidates = algorithms_for(&jwk, allowed);
        let algorithms: Vec<Algorithm> = match jwk.common.key_algorithm {
            // A key's `alg` binds it: usable only for that algorithm, if allowed and fitting.
            Some(_) => match VerificationKey::from_jwk(&jwk, None) {
                Ok(key) if candidates.contains(&key.algorithm()) => vec![key.algorithm()],
                _ => continue,
            },
            None => candidates,
        };
        for alg in algorithms {
            let Ok(key) = VerificationKey::from_jwk(&jwk, Some(alg)) else {
                continue;
            };
            if key.validate(provider).is_err() {
                continue;
            }
            let key = Arc::new(key);
            match key.kid() {
                Some(kid) => table.by_kid.entry(kid.to_owned()).or_default().push(key),
                None => table.without_kid.push(key),
            }
        }
    }
    Ok(table)
}
