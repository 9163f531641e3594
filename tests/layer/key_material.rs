//! Key material (RFC 7518 §3.2, §3.3, RFC 8725 §3.5): HMAC and RSA key sizes, keys loaded from DER and JWK, a
//! key never taken as an HMAC secret, mismatched or missing keys and repeated issuers as build errors.

use crate::common;

use crate::fixtures::der;
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{ConfigError, JwtAuthLayer, SigningKey, VerificationKey};

#[test]
fn item_27_rfc7518_3_2_hmac_key_size() {
    assert_eq!(
        VerificationKey::hmac(Algorithm::HS256, &[0; 31]).unwrap_err(),
        ConfigError::WeakHmacSecret {
            min_bytes: 32,
            got_bytes: 31
        }
    );
    assert!(matches!(
        VerificationKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
    assert!(matches!(
        SigningKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
    assert!(VerificationKey::hmac(Algorithm::HS512, &[0; 63]).is_err());
}

/// A 1024-bit RSA key is refused when the key is made, by every constructor, public and private.
#[test]
fn item_28_rfc7518_3_3_rsa_key_size() {
    let weak = ConfigError::WeakRsaKey { bits: 1024 };
    let public = pem("rsa1024_public.pem");
    assert_eq!(
        VerificationKey::from_pem(Algorithm::RS256, &public).unwrap_err(),
        weak
    );
    assert_eq!(
        VerificationKey::from_pem(Algorithm::PS512, &public).unwrap_err(),
        weak
    );
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_slice(&pem("rsa1024_public.jwk.json")).unwrap();
    assert_eq!(
        VerificationKey::from_jwk(&jwk, Some(Algorithm::RS256)).unwrap_err(),
        weak
    );
    let decoding = jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap();
    assert_eq!(
        VerificationKey::from_decoding_key(decoding, Algorithm::RS256).unwrap_err(),
        weak
    );
    let private = pem("rsa1024_private.pem");
    assert_eq!(
        SigningKey::from_pem(Algorithm::RS256, &private).unwrap_err(),
        weak
    );
    assert!(weak.to_string().contains("at least 2048"), "{weak}");
    // 2048 bits and more pass.
    assert!(VerificationKey::from_pem(Algorithm::RS256, &pem("rsa_public.pem")).is_ok());
    assert!(SigningKey::from_pem(Algorithm::RS256, &pem("rsa4096_private.pem")).is_ok());
}

#[test]
fn item_39_rfc8725_3_5_hmac_keys_are_raw_bytes_of_hash_length() {
    assert!(VerificationKey::hmac(Algorithm::HS512, b"correct horse battery staple").is_err());
}

#[test]
fn mismatched_keys_missing_keys_and_repeated_issuers_are_build_errors() {
    assert!(VerificationKey::hmac(Algorithm::RS256, &[0; 64]).is_err());
    assert!(VerificationKey::from_pem(Algorithm::HS256, &pem("rsa_public.pem")).is_err());
    assert_eq!(
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoKeys
    );
    let dup = || {
        VerificationKey::hmac(Algorithm::HS256, SECRET)
            .unwrap()
            .with_kid("k")
            .unwrap()
    };
    // Keys may share a kid (a rotation overlap: see keys_sharing_a_kid_are_all_tried); a repeated trusted
    // issuer would silently replace the first, so it is refused.
    assert!(JwtAuthLayer::builder()
        .key(dup())
        .key(dup())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .is_ok());
    let partner = || tower_jwt_auth::keys::TrustedIssuer::new().key(dup());
    assert_eq!(
        JwtAuthLayer::builder()
            .trust_issuer("https://partner.test", partner())
            .trust_issuer("https://partner.test", partner())
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::DuplicateIssuer("https://partner.test".into())
    );
}

#[tokio::test]
async fn keys_load_from_der_and_jwk() {
    use jsonwebtoken::jwk::Jwk;
    install_provider();
    // EC public key as the raw uncompressed point (the DER form jsonwebtoken expects), via its JWK.
    let (signing, _) = key_pair(Algorithm::ES256);
    let jwk = Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
    let from_jwk = VerificationKey::from_jwk(&jwk, None).unwrap();
    assert_eq!(from_jwk.algorithm(), Algorithm::ES256);
    let layer = JwtAuthLayer::builder()
        .key(from_jwk)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(Algorithm::ES256, json!({}), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    // A JWK bound to RS256 can't be used for PS256.
    let (rsa, _) = key_pair(Algorithm::RS256);
    let rsa_jwk = Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap();
    assert_eq!(
        VerificationKey::from_jwk(&rsa_jwk, Some(Algorithm::PS256)).unwrap_err(),
        ConfigError::AlgorithmMismatch
    );
    // Ed25519 from the 32 raw bytes (DER form).
    let ed_jwk = Jwk::from_encoding_key(&key_pair(Algorithm::EdDSA).0, Algorithm::EdDSA).unwrap();
    let x = match &ed_jwk.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(p) => p.x.clone(),
        other => panic!("unexpected {other:?}"),
    };
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x).unwrap();
    let from_der = VerificationKey::from_der(Algorithm::EdDSA, &raw).unwrap();
    let layer = JwtAuthLayer::builder()
        .key(from_der)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(Algorithm::EdDSA, json!({}), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

/// The base64 lines of a PEM file, without its header and footer.
fn base64_body(name: &str) -> Vec<u8> {
    let pem = String::from_utf8(pem(name)).unwrap();
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

#[test]
fn a_key_is_never_taken_as_an_hmac_secret() {
    let mut indented = b"  \n".to_vec();
    indented.extend(pem("rsa_public.pem"));
    let cases = [
        (pem("rsa_public.pem"), "from_pem"),
        (indented, "from_pem"),
        (pem("ec256_private.pem"), "from_pem"),
        (der("rsa_public.pem"), "from_der"),
        (der("rsa_private.pem"), "from_der"),
        (der("ec256_public.pem"), "from_der"),
        (der("ec384_private.pem"), "from_der"),
        (der("ed25519_public.pem"), "from_der"),
        (der("ed25519_private.pem"), "from_der"),
        (pem("rsa1024_public.jwk.json"), "from_jwk"),
        // A PEM body without its lines, the DER in hex, an OpenSSH public key.
        (base64_body("rsa_public.pem"), "from_der"),
        (base64_body("ec256_public.pem"), "from_der"),
        (hex(&der("rsa_public.pem")), "from_der"),
        (
            b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
                .to_vec(),
            "from_pem",
        ),
    ];
    for (secret, constructor) in &cases {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            for error in [
                VerificationKey::hmac(alg, secret).unwrap_err(),
                SigningKey::hmac(alg, secret).unwrap_err(),
            ] {
                assert!(
                    matches!(error, ConfigError::HmacSecretIsKeyText { .. }),
                    "{constructor}: {error:?}"
                );
                let text = error.to_string();
                assert!(text.contains(constructor), "{text}");
            }
        }
    }
    // Secrets from a CSPRNG pass (a fixed-seed generator here, so the run is repeatable), and so does
    // text that merely mentions a key.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for len in [32, 48, 64, 128] {
        for _ in 0..5_000 {
            let secret: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert!(VerificationKey::hmac(Algorithm::HS256, &secret).is_ok());
        }
    }
    // A DER-like prefix alone is not a key.
    let mut almost = der("ec256_public.pem");
    almost.push(0);
    assert!(VerificationKey::hmac(Algorithm::HS256, &almost).is_ok());
    assert!(
        VerificationKey::hmac(
            Algorithm::HS256,
            b"this secret is not a -----BEGINNING of anything"
        )
        .is_err(),
        "the PEM marker anywhere is refused"
    );
    assert!(VerificationKey::hmac(
        Algorithm::HS256,
        b"{\"secret\": \"not a jwk at all, no key type\"}"
    )
    .is_ok());
}
