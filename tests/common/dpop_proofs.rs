//! DPoP proofs made the way a client makes them, independently of the crate: the key pairs of `tests/keys`,
//! their public JWKs from jsonwebtoken's own key helpers, RFC 7638 thumbprints hashed here, and the proof JWS
//! signed with jsonwebtoken's signer.
#![allow(dead_code, unreachable_pub)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{pem, provider, sign_raw};

/// A client's proof key: its private half, and its public JWK.
pub struct ProofKey {
    pub alg: Algorithm,
    pub key: EncodingKey,
    pub jwk: Map<String, Value>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl ProofKey {
    /// The P-256 test key (ES256).
    pub fn es256() -> Self {
        Self::ec(Algorithm::ES256, "ec256_private.pem")
    }

    /// The P-384 test key (ES384).
    pub fn es384() -> Self {
        Self::ec(Algorithm::ES384, "ec384_private.pem")
    }

    fn ec(alg: Algorithm, file: &str) -> Self {
        let key = EncodingKey::from_ec_pem(&pem(file)).unwrap();
        let (curve, x, y) =
            (provider().key_utils.ec_pub_components_from_private_key)(key.as_bytes(), alg).unwrap();
        let jwk = json!({ "kty": "EC", "crv": curve, "x": b64(&x), "y": b64(&y) });
        Self {
            alg,
            key,
            jwk: jwk.as_object().unwrap().clone(),
        }
    }

    /// The Ed25519 test key (EdDSA).
    pub fn ed25519() -> Self {
        let key = EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap();
        let x = (provider().key_utils.ed_pub_components_from_private_key)(
            key.as_bytes(),
            &jsonwebtoken::jwk::EllipticCurve::Ed25519,
        )
        .unwrap();
        let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&x) });
        Self {
            alg: Algorithm::EdDSA,
            key,
            jwk: jwk.as_object().unwrap().clone(),
        }
    }

    /// The RSA 2048 test key, signing with `alg` (PS256, RS256).
    pub fn rsa(alg: Algorithm) -> Self {
        Self::rsa_file(alg, "rsa_private.pem")
    }

    /// The RSA key of `tests/keys/<file>` (`rsa4096_private.pem`, `rsa8192_private.pem`, and
    /// `rsa_e3_private.pem` with the public exponent 3), signing with `alg`.
    pub fn rsa_file(alg: Algorithm, file: &str) -> Self {
        let key = EncodingKey::from_rsa_pem(&pem(file)).unwrap();
        let (n, e) =
            (provider().key_utils.rsa_pub_components_from_private_key)(key.as_bytes()).unwrap();
        let jwk = json!({ "kty": "RSA", "n": b64(&n), "e": b64(&e) });
        Self {
            alg,
            key,
            jwk: jwk.as_object().unwrap().clone(),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint: the required members, in lexicographic order, without whitespace.
    pub fn thumbprint(&self) -> String {
        let members: &[&str] = match self.jwk["kty"].as_str().unwrap() {
            "EC" => &["crv", "kty", "x", "y"],
            "RSA" => &["e", "kty", "n"],
            _ => &["crv", "kty", "x"],
        };
        let canonical = members
            .iter()
            .map(|m| format!("\"{m}\":\"{}\"", self.jwk[*m].as_str().unwrap()))
            .collect::<Vec<_>>()
            .join(",");
        b64(&Sha256::digest(format!("{{{canonical}}}").as_bytes()))
    }

    /// A proof for `htm` and `htu` (and, with `token`, its `ath`), issued now with a fresh `jti`.
    pub fn proof(&self, htm: &str, htu: &str, token: Option<&str>) -> String {
        self.proof_with(htm, htu, token, |_, _| {})
    }

    /// A proof issued at `iat` (for layers on a manual clock).
    pub fn proof_at(&self, htm: &str, htu: &str, token: Option<&str>, iat: i64) -> String {
        self.proof_with(htm, htu, token, |_, claims| {
            claims.insert("iat".into(), iat.into());
        })
    }

    /// A proof whose header and claims `edit` may change before it is signed.
    pub fn proof_with(
        &self,
        htm: &str,
        htu: &str,
        token: Option<&str>,
        edit: impl FnOnce(&mut Map<String, Value>, &mut Map<String, Value>),
    ) -> String {
        let alg = super::alg_name(self.alg);
        let mut header = json!({ "typ": "dpop+jwt", "alg": alg, "jwk": self.jwk })
            .as_object()
            .unwrap()
            .clone();
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).unwrap();
        let mut claims = json!({ "htm": htm, "htu": htu, "iat": super::now(), "jti": b64(&jti) })
            .as_object()
            .unwrap()
            .clone();
        if let Some(token) = token {
            claims.insert("ath".into(), b64(&Sha256::digest(token.as_bytes())).into());
        }
        edit(&mut header, &mut claims);
        sign_raw(
            &Value::Object(header).to_string(),
            &Value::Object(claims).to_string(),
            self.alg,
            &self.key,
        )
    }
}
