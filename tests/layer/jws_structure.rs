//! The JWS compact form and the JOSE header (RFC 7515, RFC 7519 §7.2, RFC 8725 §3.3, §3.6, §3.7): three
//! segments, strict encoding, `alg` and `crit`, key headers never followed, no JWE, no `zip`, UTF-8 only,
//! oversized tokens refused before decoding.

use crate::common;

use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::AuthErrorKind;

/// The payload and signature segments of a valid token, to put another header in front of.
fn valid_rest() -> String {
    hs256(&claims()).split_once('.').unwrap().1.to_owned()
}

#[tokio::test]
async fn item_11_rfc7519_7_2_exactly_three_segments() {
    let layer = hs256_layer();
    let token = hs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    for bad in [
        format!("{h}.{p}"),
        format!("{token}.x"),
        format!("{token}.x.y"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"),
    ] {
        assert_rejected(
            &send(&layer, bearer(&bad)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_12_rfc7519_7_2_header_encoding_and_json() {
    let layer = hs256_layer();
    let payload = b64(claims().to_string());
    let signed = |header_segment: String| {
        sign_encoded(
            &header_segment,
            &payload,
            Algorithm::HS256,
            &EncodingKey::from_secret(SECRET).unwrap(),
        )
    };
    let good = b64(r#"{"alg":"HS256"}"#);
    assert_eq!(
        status_of(&layer, &signed(good.clone())).await,
        StatusCode::OK
    );
    for bad in [
        format!("{good}="),
        b64(r#"["HS256"]"#),
        b64([0x7b, 0xff, 0x7d]),
        b64(r#"{"alg":"HS256"} x"#),
    ] {
        // Padding even breaks the b64token grammar (400); the others are invalid tokens (401).
        let status = status_of(&layer, &signed(bad.clone())).await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&status),
            "{bad}: {status}"
        );
    }
    // A JSON array, or bytes that are no UTF-8, in front of a valid payload and signature.
    for header in [b64("[\"HS256\"]"), b64([0xff, 0xfe])] {
        assert_rejected(
            &send(&layer, bearer(&format!("{header}.{}", valid_rest()))).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_22_rfc7515_4_1_1_alg_is_required_and_case_sensitive() {
    let layer = hs256_layer();
    for header in [r#"{"typ":"JWT"}"#, r#"{"alg":"hs256"}"#] {
        assert_eq!(
            status_of(&layer, &hs256_raw(header, &claims().to_string())).await,
            StatusCode::UNAUTHORIZED,
            "{header}"
        );
    }
    // No alg in front of a valid payload and signature.
    let untyped = format!("{}.{}", b64("{\"typ\":\"JWT\"}"), valid_rest());
    assert_rejected(
        &send(&layer, bearer(&untyped)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn item_23_rfc7515_4_1_11_crit() {
    let layer = hs256_layer();
    for extra in [
        json!({"crit": ["x"], "x": 1}),
        json!({"crit": []}),
        json!({"crit": ["alg"]}),
        json!({"crit": "x"}),
    ] {
        let mut bare = json!({ "alg": "HS256" });
        bare.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        // In a typed header (alg, typ, crit) and in a bare one (alg, crit).
        for token in [
            token_with(Algorithm::HS256, extra.clone(), &claims()),
            hs256_raw(&bare.to_string(), &claims().to_string()),
        ] {
            let response = send(&layer, bearer(&token)).await;
            assert_invalid_token(&response, AuthErrorKind::UnsupportedHeader);
        }
    }
}

#[tokio::test]
async fn item_25_rfc7515_10_3_key_headers_are_never_followed() {
    // An attacker signs with their own key and points at it; only the configured key counts.
    let attacker = [1u8; 32];
    let layer = hs256_layer();
    for extra in [
        json!({ "jku": "http://127.0.0.1:1/jwks.json" }),
        json!({ "x5u": "http://127.0.0.1:1/cert.pem" }),
        json!({ "x5c": ["AAAA"] }),
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
async fn item_26_rfc7515_2_strict_base64url() {
    let layer = hs256_layer();
    let token = hs256(&claims());
    let (input, signature) = token.rsplit_once('.').unwrap();
    // Padding.
    assert_rejected(
        &send(&layer, bearer(&format!("{input}.{signature}="))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    // Non-canonical trailing bits: HS256 signatures are 43 characters, the last carrying 2 unused bits.
    let last = signature.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let twin = alphabet.chars().nth(index ^ 1).unwrap();
    let non_canonical = format!("{input}.{}{twin}", &signature[..signature.len() - 1]);
    assert_eq!(
        status_of(&layer, &non_canonical).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_37_rfc8725_3_3_jwe_and_nested_tokens_are_refused() {
    let inner = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(claims().to_string())
    );
    let jwe = format!(
        "{}.AAAA.AAAA.{}.AAAA",
        b64(r#"{"alg":"dir","enc":"A128GCM","cty":"JWT"}"#),
        b64(inner)
    );
    assert_eq!(
        status_of(&hs256_layer(), &jwe).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_40_rfc8725_3_6_zip_is_refused() {
    let layer = hs256_layer();
    for token in [
        token_with(Algorithm::HS256, json!({"zip": "DEF"}), &claims()),
        hs256_raw(r#"{"alg":"HS256","zip":"DEF"}"#, &claims().to_string()),
    ] {
        let response = send(&layer, bearer(&token)).await;
        assert_invalid_token(&response, AuthErrorKind::UnsupportedHeader);
    }
}

#[tokio::test]
async fn item_41_rfc8725_3_7_utf8_only() {
    let payload = [br#"{"iss":""#.as_slice(), &[0xff, 0xfe], br#""}"#].concat();
    let token = sign_encoded(
        &b64(r#"{"alg":"HS256"}"#),
        &b64(payload),
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    assert_eq!(
        status_of(&hs256_layer(), &token).await,
        StatusCode::UNAUTHORIZED
    );
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
    let layer = hs256_layer();
    big["pad"] = json!("x".repeat(9 * 1024));
    assert_rejected(
        &send(&layer, bearer(&hs256(&big))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}
