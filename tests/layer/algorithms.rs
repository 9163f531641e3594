//! Algorithms (RFC 7518, RFC 8725 §3.1, §3.2): every family verifies its own tokens and nothing else; only
//! acceptable algorithms, any flipped bit refused, fixed-width ECDSA signatures, one algorithm per key, never
//! `none`.

use crate::common;

use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::AuthErrorKind;

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
async fn item_21_rfc7519_7_2_only_acceptable_algorithms() {
    let token = token_with(Algorithm::HS384, json!({}), &claims());
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn item_24_rfc7515_5_2_any_flipped_bit_is_refused() {
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
    // One bit flipped near the start, in the middle and near the end.
    let layer = hs256_layer();
    let token = hs256(&claims());
    for position in [3, token.len() / 2, token.len() - 3] {
        let mut bytes = token.clone().into_bytes();
        bytes[position] ^= 0x01;
        let Ok(flipped) = String::from_utf8(bytes) else {
            continue;
        };
        assert_eq!(
            status_of(&layer, &flipped).await.as_u16() / 100,
            4,
            "position {position}"
        );
        assert_ne!(status_of(&layer, &flipped).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn item_29_rfc7518_3_4_ecdsa_signature_form() {
    let layer = builder_for(Algorithm::ES256).build().unwrap();
    let token = token_with(Algorithm::ES256, json!({}), &claims());
    assert_eq!(status_of(&layer, &token).await, StatusCode::OK);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
        .unwrap();
    let der = {
        let int = |bytes: &[u8]| {
            let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            let mut out = vec![0x02, v.len() as u8];
            out.extend(v);
            out
        };
        let body = [int(&raw[..32]), int(&raw[32..])].concat();
        [vec![0x30, body.len() as u8], body].concat()
    };
    let mut zero_r = raw.clone();
    zero_r[..32].fill(0);
    for bad in [der, raw[..63].to_vec(), zero_r] {
        assert_eq!(
            status_of(&layer, &format!("{input}.{}", b64(bad))).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn item_35_rfc8725_3_1_each_key_one_algorithm() {
    // Another algorithm of the key's own family.
    let rsa = builder_for(Algorithm::RS256).build().unwrap();
    let response = send(
        &rsa,
        bearer(&token_with(Algorithm::RS512, json!({}), &claims())),
    )
    .await;
    assert_invalid_token(&response, AuthErrorKind::UnsupportedAlgorithm);
    let token = token_with(Algorithm::HS512, json!({}), &claims());
    assert_rejected(
        &send(&hs256_layer(), bearer(&token)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    // The classic confusion: an attacker signs HS256 with the server's RSA public key bytes.
    let public_pem = pem("rsa_public.pem");
    for header in [r#"{"alg":"HS256","typ":"at+jwt"}"#, r#"{"alg":"HS256"}"#] {
        let token = sign_raw(
            header,
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&public_pem).unwrap(),
        );
        let response = send(&rsa, bearer(&token)).await;
        assert_invalid_token(&response, AuthErrorKind::UnsupportedAlgorithm);
    }
}

#[tokio::test]
async fn item_36_rfc8725_3_2_none_is_never_accepted() {
    let layer = hs256_layer();
    for none in ["none", "None", "NONE", "nOnE"] {
        for header in [json!({ "alg": none, "typ": "JWT" }), json!({ "alg": none })] {
            let token = format!("{}.{}.", b64(header.to_string()), b64(claims().to_string()));
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
}

/// With the default backend the layer's keys are parsed once into aws-lc-rs's form; a provider the application
/// passes verifies instead. Both must agree on every algorithm: a token accepted, the same token with its
/// signature altered, and with the signature of another token under the same key, refused.
#[tokio::test]
async fn the_key_parsed_once_and_a_passed_provider_agree_on_every_signature() {
    use common::counting_provider::{checks, COUNTING};
    for alg in ALL {
        let default = builder_for(alg).disable_token_cache().build().unwrap();
        let passed = builder_for(alg)
            .crypto_provider(&COUNTING)
            .disable_token_cache()
            .build()
            .unwrap();
        let token = token_with(alg, json!({}), &claims());
        let mut other_claims = claims();
        other_claims["sub"] = json!("mallory");
        let other = token_with(alg, json!({}), &other_claims);
        let (input, signature) = token.rsplit_once('.').unwrap();
        let (_, other_signature) = other.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let cases = [
            (token.clone(), StatusCode::OK),
            (
                format!("{input}.{flipped}{}", &signature[1..]),
                StatusCode::UNAUTHORIZED,
            ),
            (
                format!("{input}.{other_signature}"),
                StatusCode::UNAUTHORIZED,
            ),
        ];
        for (case, expected) in &cases {
            let before = checks();
            assert_eq!(
                status_of(&default, case).await,
                *expected,
                "{alg:?} default"
            );
            assert_eq!(
                checks(),
                before,
                "{alg:?}: the default backend asked the passed provider"
            );
            assert_eq!(
                status_of(&passed, case).await,
                *expected,
                "{alg:?} passed provider"
            );
            assert_eq!(
                checks(),
                before + 1,
                "{alg:?}: the passed provider was not asked"
            );
        }
    }
}
