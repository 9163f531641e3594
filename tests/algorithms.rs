//! Keys and algorithms: every family verifies its own tokens, and nothing else (RFC 7515, 7518, 8725 §3.1).

mod common;

use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::{ConfigError, JwtAuthLayer, VerificationKey};

const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[tokio::test]
async fn every_algorithm_family_round_trips() {
    for alg in ALL {
        let layer = builder_for(alg).build().unwrap();
        let token = token_with(alg, json!({}), &claims());
        let response = send(&layer, bearer(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{alg:?}");
        assert_eq!(response.body(), "alice", "{alg:?}");
    }
}

#[tokio::test]
async fn alg_none_is_refused_in_every_spelling() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = json!({ "alg": none, "typ": "JWT" }).to_string();
        let token = format!("{}.{}.", b64(header), b64(claims().to_string()));
        assert_rejected(
            &send(&layer, bearer(&token)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
        // With a (bogus) signature segment too.
        let token = format!("{token}c2ln");
        assert_rejected(
            &send(&layer, bearer(&token)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn hmac_signed_with_the_public_key_is_refused() {
    // The classic confusion: an attacker signs HS256 with the server's RSA public key bytes.
    let layer = builder_for(Algorithm::RS256).build().unwrap();
    let public_pem = pem("rsa_public.pem");
    let header = json!({ "alg": "HS256", "typ": "at+jwt" }).to_string();
    let token = sign_raw(
        &header,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&public_pem).unwrap(),
    );
    let response = send(&layer, bearer(&token)).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(
        rejection_kind(&response).unwrap(),
        tower_jwt_auth::AuthErrorKind::UnsupportedAlgorithm
    );
}

#[tokio::test]
async fn same_family_algorithm_switch_is_refused() {
    let layer = builder_for(Algorithm::RS256).build().unwrap();
    let token = token_with(Algorithm::RS512, json!({}), &claims());
    assert_rejected(
        &send(&layer, bearer(&token)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let token = token_with(Algorithm::HS512, json!({}), &claims());
    assert_rejected(
        &send(&layer, bearer(&token)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn a_flipped_bit_anywhere_is_refused() {
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let layer = builder_for(alg).build().unwrap();
        let token = token_with(alg, json!({}), &claims());
        let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
        // One position inside each of header, payload and signature.
        for position in [
            dots[0] / 2,
            (dots[0] + dots[1]) / 2,
            (dots[1] + token.len()) / 2,
        ] {
            let mut bytes = token.clone().into_bytes();
            bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            let response = send(&layer, bearer(&tampered)).await;
            assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
        }
    }
}

#[tokio::test]
async fn keys_are_selected_by_kid_and_unknown_kids_refused() {
    let other_secret = [9u8; 32];
    let layer = JwtAuthLayer::builder()
        .key(
            VerificationKey::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_kid("a")
                .unwrap(),
        )
        .key(
            VerificationKey::hmac(Algorithm::HS256, &other_secret)
                .unwrap()
                .with_kid("b")
                .unwrap(),
        )
        .key(
            VerificationKey::from_pem(Algorithm::ES256, &pem("ec256_public.pem"))
                .unwrap()
                .with_kid("c")
                .unwrap(),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let header = |kid: &str, alg: &str| json!({ "alg": alg, "kid": kid }).to_string();
    let payload = claims().to_string();
    let a = sign_raw(
        &header("a", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    let b = sign_raw(
        &header("b", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(&other_secret).unwrap(),
    );
    let (ec_key, _) = key_pair(Algorithm::ES256);
    let c = sign_raw(&header("c", "ES256"), &payload, Algorithm::ES256, &ec_key);
    for token in [a, b, c] {
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    }
    // Signed with key b's secret but naming key a.
    let wrong = sign_raw(
        &header("a", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(&other_secret).unwrap(),
    );
    assert_rejected(
        &send(&layer, bearer(&wrong)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    let unknown = sign_raw(
        &header("zzz", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    let response = send(&layer, bearer(&unknown)).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert!(
        !challenge(&response).contains("zzz"),
        "the challenge must not echo key ids"
    );
    // No kid and several keys: nothing to select.
    let no_kid = sign_raw(
        &json!({"alg":"HS256"}).to_string(),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    assert_rejected(
        &send(&layer, bearer(&no_kid)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn key_urls_and_embedded_keys_in_the_header_are_never_followed() {
    // An attacker signs with their own key and points at it; only the configured key counts.
    let attacker = [1u8; 32];
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    for extra in [
        json!({ "jku": "http://127.0.0.1:1/jwks.json" }),
        json!({ "x5u": "http://127.0.0.1:1/cert.pem" }),
        json!({ "jwk": { "kty": "oct", "k": b64(attacker) } }),
    ] {
        let mut header = json!({ "alg": "HS256" });
        header
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let token = sign_raw(
            &header.to_string(),
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&attacker).unwrap(),
        );
        assert_rejected(
            &send(&layer, bearer(&token)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn unknown_crit_and_zip_headers_are_refused() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    for extra in [
        json!({"crit": ["x"], "x": 1}),
        json!({"crit": []}),
        json!({"crit": ["alg"]}),
        json!({"crit": "x"}),
        json!({"zip": "DEF"}),
    ] {
        let token = token_with(Algorithm::HS256, extra.clone(), &claims());
        let response = send(&layer, bearer(&token)).await;
        assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
        assert_eq!(
            rejection_kind(&response).unwrap(),
            tower_jwt_auth::AuthErrorKind::UnsupportedHeader,
            "{extra}"
        );
    }
}

#[tokio::test]
async fn structurally_broken_tokens_are_invalid_tokens() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let good = hs256(&claims());
    let mut parts = good.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    for bad in [
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"),
        format!("{h}.{p}.{s}="),
        format!("{}.{p}.{s}", b64("[\"HS256\"]")),
        format!("{}.{p}.{s}", b64([0xff, 0xfe])),
        format!("{}.{p}.{s}", b64("{\"alg\":\"HS256\",\"alg\":\"none\"}")),
        format!("{}.{p}.{s}", b64("{\"typ\":\"JWT\"}")),
    ] {
        assert_rejected(
            &send(&layer, bearer(&bad)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn oversized_tokens_are_refused_before_decoding() {
    let layer = builder_for(Algorithm::HS256)
        .max_token_size(512)
        .build()
        .unwrap();
    let mut big = claims();
    big["pad"] = json!("x".repeat(600));
    let response = send(&layer, bearer(&hs256(&big))).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(
        rejection_kind(&response).unwrap(),
        tower_jwt_auth::AuthErrorKind::TooLarge
    );
    // The default limit is 8 KiB.
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    big["pad"] = json!("x".repeat(9 * 1024));
    assert_rejected(
        &send(&layer, bearer(&hs256(&big))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[test]
fn weak_keys_and_mismatched_algorithms_are_build_errors() {
    assert_eq!(
        VerificationKey::hmac(Algorithm::HS256, &[0; 31]).unwrap_err(),
        ConfigError::WeakHmacSecret {
            min_bytes: 32,
            got_bytes: 31
        }
    );
    assert!(VerificationKey::hmac(Algorithm::HS512, &[0; 63]).is_err());
    assert!(VerificationKey::hmac(Algorithm::RS256, &[0; 64]).is_err());
    assert!(VerificationKey::from_pem(Algorithm::HS256, &pem("rsa_public.pem")).is_err());
    let weak = VerificationKey::from_pem(Algorithm::RS256, &pem("rsa1024_public.pem")).unwrap();
    let error = JwtAuthLayer::builder()
        .key(weak)
        .audience(AUDIENCE)
        .build()
        .unwrap_err();
    assert_eq!(error, ConfigError::WeakRsaKey { bits: 1024 });
    assert_eq!(
        JwtAuthLayer::builder()
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
        .audience(AUDIENCE)
        .build()
        .is_ok());
    let partner = || tower_jwt_auth::TrustedIssuer::new().key(dup());
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
async fn keys_sharing_a_kid_are_all_tried() {
    // Rotation overlap: the old and the new secret are both published as kid "current".
    let old = [1u8; 32];
    let new = [2u8; 32];
    let keyed = |secret: &[u8]| {
        VerificationKey::hmac(Algorithm::HS256, secret)
            .unwrap()
            .with_kid("current")
            .unwrap()
    };
    let layer = JwtAuthLayer::builder()
        .key(keyed(&old))
        .key(keyed(&new))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    for secret in [old, new] {
        let token = sign_raw(
            r#"{"alg":"HS256","kid":"current"}"#,
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&secret).unwrap(),
        );
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    }
    let other = sign_raw(
        r#"{"alg":"HS256","kid":"current"}"#,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&[3u8; 32]).unwrap(),
    );
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&other)).await),
        Some(tower_jwt_auth::AuthErrorKind::InvalidSignature)
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
