//! Key selection (RFC 7517 §4.5, RFC 8725 §3.10): `kid` is bounded and selects only trusted keys, key URLs are
//! never fetched, keys sharing a `kid` are all tried.

use crate::common;

use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::{AuthErrorKind, JwtAuthLayer, VerificationKey};

#[tokio::test]
async fn item_34_rfc7517_4_5_kid_is_bounded_and_only_selects_trusted_keys() {
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
    // A kid is at most 256 bytes: a longer one selects nothing, and can't be configured.
    let long = "k".repeat(300);
    let token = token_with(Algorithm::HS256, json!({ "kid": long }), &claims());
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
    );
    assert!(VerificationKey::hmac(Algorithm::HS256, SECRET)
        .unwrap()
        .with_kid("k".repeat(257))
        .is_err());
}

#[tokio::test]
async fn item_44_rfc8725_3_10_kid_and_key_urls() {
    // The kid only selects among configured keys (no lookup by path or URL), and jku/x5u are never fetched.
    let token = token_with(
        Algorithm::HS256,
        json!({ "kid": "../../etc/passwd", "jku": "http://127.0.0.1:1/" }),
        &claims(),
    );
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
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
