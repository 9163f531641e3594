//! `from_der` checks what the bytes hold when the key is made: the form each constructor takes (PKCS#1 for RSA,
//! the raw public point or bytes for EC and Ed25519, PKCS#8 for EC and Ed25519 private keys), the family and
//! curve, and RSA size — naming what was expected, what was found and the fix.

use crate::common::*;
use crate::fixtures::der;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{ConfigError, JwtAuthLayer, SigningKey, VerificationKey};

/// The error's parts, asserting it is a `WrongKeyKind` of `setting`.
fn wrong_kind(error: ConfigError, setting: &str) -> (String, String) {
    let text = error.to_string();
    match error {
        ConfigError::WrongKeyKind {
            setting: named,
            expected,
            found,
            ..
        } => {
            assert_eq!(named, setting, "{text}");
            (expected, found)
        }
        other => panic!("not WrongKeyKind: {other:?}"),
    }
}

#[test]
fn public_der_of_another_form_family_or_curve_is_refused_when_made() {
    let setting = "VerificationKey::from_der";
    // A SubjectPublicKeyInfo is not the raw point jsonwebtoken verifies with.
    let (expected, found) = wrong_kind(
        VerificationKey::from_der(Algorithm::ES256, &der("ec256_public.pem")).unwrap_err(),
        setting,
    );
    assert!(
        expected.contains("EC P-256 public key as its uncompressed point"),
        "{expected}"
    );
    assert!(
        found.contains("EC P-256") && found.contains("SubjectPublicKeyInfo"),
        "{found}"
    );
    // A P-384 key for ES256; an Ed25519 key for ES384.
    let (_, found) = wrong_kind(
        VerificationKey::from_der(Algorithm::ES256, &der("ec384_public.pem")).unwrap_err(),
        setting,
    );
    assert!(found.contains("EC P-384"), "{found}");
    let (expected, found) = wrong_kind(
        VerificationKey::from_der(Algorithm::EdDSA, &der("ec256_public.pem")).unwrap_err(),
        setting,
    );
    assert!(
        expected.contains("Ed25519 public key as its 32 raw bytes"),
        "{expected}"
    );
    assert!(found.contains("EC P-256"), "{found}");
    // A private key where the public one belongs.
    let (expected, found) = wrong_kind(
        VerificationKey::from_der(Algorithm::RS256, &der("rsa_private.pem")).unwrap_err(),
        setting,
    );
    assert!(expected.contains("PKCS#1 RSAPublicKey"), "{expected}");
    assert!(found.contains("RSA"), "{found}");
    let (_, found) = wrong_kind(
        VerificationKey::from_der(Algorithm::RS256, b"not a key at all").unwrap_err(),
        setting,
    );
    assert!(found.contains("not an RSA public key"), "{found}");
}

#[test]
fn private_der_of_another_form_family_or_curve_is_refused_when_made() {
    let setting = "SigningKey::from_der";
    let (expected, found) = wrong_kind(
        SigningKey::from_der(Algorithm::ES256, &der("ec384_private.pem")).unwrap_err(),
        setting,
    );
    assert!(
        expected.contains("EC P-256 private key in DER (PKCS#8)"),
        "{expected}"
    );
    assert!(found.contains("EC P-384"), "{found}");
    let (_, found) = wrong_kind(
        SigningKey::from_der(Algorithm::EdDSA, &der("ec256_private.pem")).unwrap_err(),
        setting,
    );
    assert!(found.contains("EC P-256"), "{found}");
    let (expected, found) = wrong_kind(
        SigningKey::from_der(Algorithm::RS256, &der("rsa_public.pem")).unwrap_err(),
        setting,
    );
    assert!(
        expected.contains("RSA private key in DER (PKCS#1"),
        "{expected}"
    );
    assert!(found.contains("RSA"), "{found}");
    let text = SigningKey::from_der(Algorithm::ES384, b"garbage")
        .unwrap_err()
        .to_string();
    assert!(text.contains("openssl pkcs8"), "the fix is named: {text}");
}

/// The forms each constructor takes still work, end to end.
#[tokio::test]
async fn der_in_the_expected_forms_signs_and_verifies() {
    // PKCS#8 EC and Ed25519 private keys sign; their public halves verify as raw bytes (from the JWK).
    for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA] {
        let name = match alg {
            Algorithm::ES256 => "ec256_private.pem",
            Algorithm::ES384 => "ec384_private.pem",
            _ => "ed25519_private.pem",
        };
        let signing = SigningKey::from_der(alg, &der(name)).unwrap();
        let issuer = tower_jwt_auth::TokenIssuer::builder(signing)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        let token = issuer.issue("alice", &json!({})).unwrap();
        let jwk = issuer.jwks().keys.into_iter().next().unwrap();
        let layer = JwtAuthLayer::builder()
            .key(VerificationKey::from_jwk(&jwk, Some(alg)).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        assert_eq!(
            send(&layer, bearer(token.as_str())).await.status(),
            StatusCode::OK,
            "{alg:?}"
        );
    }
}
