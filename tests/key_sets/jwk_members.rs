//! The members of a JWK (RFC 7517 §4, §5): unusable keys skipped, duplicate members refused, `use` and
//! `key_ops`, `alg` binding the key, keys without `alg`, and static documents that need no fetching.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::Duration;

use crate::fixtures::{key_a, layer_for, quick, rsa_key, signed};
use common::jwks_server::{self, jwk};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{keys::Jwks, AuthErrorKind, JwtAuthLayer};

/// A layer over a static JWK Set document of these keys.
fn document_layer(keys: Vec<Value>) -> JwtAuthLayer {
    layer_for(Jwks::document(json!({ "keys": keys }).to_string()))
}

#[tokio::test]
async fn item_30_rfc7517_5_unknown_key_types_are_skipped() {
    let mut encryption = rsa_key("enc");
    encryption["use"] = json!("enc");
    let mut sign_only = jwk(
        Algorithm::ES256,
        &key_pair(Algorithm::ES256).0,
        "sign-only",
        true,
    );
    sign_only["key_ops"] = json!(["sign"]);
    let keys = vec![
        json!({ "kty": "XYZ", "kid": "unknown-type", "foo": "bar" }),
        json!({ "kty": "oct", "kid": "hmac", "k": b64(SECRET), "alg": "HS256" }),
        json!({ "kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB" }),
        encryption,
        sign_only,
        serde_json::from_slice(&pem("rsa1024_public.jwk.json")).unwrap(),
        key_a(),
    ];
    let provider = jwks_server::start(keys).await;
    let layer = layer_for(quick(&provider).unknown_kid_interval(Duration::from_secs(60)));
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    for kid in ["unknown-type", "hmac", "broken", "enc", "weak"] {
        let response = send(&layer, bearer(&signed(Algorithm::RS256, kid))).await;
        assert_eq!(
            rejection_kind(&response),
            Some(AuthErrorKind::UnknownKey),
            "{kid}"
        );
    }
    let response = send(&layer, bearer(&signed(Algorithm::ES256, "sign-only"))).await;
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::UnknownKey));
    let response = send(&layer, bearer(&signed(Algorithm::HS256, "hmac"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // In a static document too.
    let layer = document_layer(vec![json!({ "kty": "XYZ", "kid": "x" }), rsa_key("good")]);
    let token = token_with(Algorithm::RS256, json!({ "kid": "good" }), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn item_31_rfc7517_4_duplicate_jwk_members_are_refused() {
    let good = rsa_key("dup").to_string();
    let duplicated = good.replacen("{", r#"{"kid":"other","#, 1);
    let layer = layer_for(Jwks::document(format!(r#"{{"keys":[{duplicated}]}}"#)));
    for kid in ["dup", "other"] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(
            status_of(&layer, &token).await,
            StatusCode::UNAUTHORIZED,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn item_32_rfc7517_4_2_use_and_key_ops() {
    let mut encryption = rsa_key("enc");
    encryption["use"] = json!("enc");
    let mut sign_only = rsa_key("ops");
    sign_only["key_ops"] = json!(["sign"]);
    let mut verify = rsa_key("verify");
    verify["key_ops"] = json!(["verify"]);
    let layer = document_layer(vec![encryption, sign_only, verify]);
    for (kid, expected) in [
        ("enc", StatusCode::UNAUTHORIZED),
        ("ops", StatusCode::UNAUTHORIZED),
        ("verify", StatusCode::OK),
    ] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(status_of(&layer, &token).await, expected, "{kid}");
    }
}

#[tokio::test]
async fn item_33_rfc7517_4_4_jwk_alg_binds_the_key() {
    let layer = document_layer(vec![key_a()]);
    let token = token_with(Algorithm::PS256, json!({ "kid": "a" }), &claims());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn keys_without_alg_take_the_allowed_algorithms_of_their_type() {
    let keys = vec![
        jwk(
            Algorithm::RS256,
            &key_pair(Algorithm::RS256).0,
            "rsa",
            false,
        ),
        jwk(Algorithm::ES256, &key_pair(Algorithm::ES256).0, "ec", false),
        jwk(Algorithm::EdDSA, &key_pair(Algorithm::EdDSA).0, "ed", false),
    ];
    let provider = jwks_server::start(keys).await;
    let jwks = quick(&provider).algorithms([
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]);
    let layer = layer_for(jwks);
    for (alg, kid) in [
        (Algorithm::RS256, "rsa"),
        (Algorithm::PS256, "rsa"),
        (Algorithm::ES256, "ec"),
        (Algorithm::EdDSA, "ed"),
    ] {
        assert_eq!(
            send(&layer, bearer(&signed(alg, kid))).await.status(),
            StatusCode::OK,
            "{alg:?}"
        );
    }
    let response = send(&layer, bearer(&signed(Algorithm::RS512, "rsa"))).await;
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::UnsupportedAlgorithm),
        "RS512 is not allowed"
    );
    // HMAC is never allowed for a key set.
    let hmac = Jwks::url(&provider.jwks_url())
        .unwrap()
        .algorithms([Algorithm::HS256]);
    assert_eq!(
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .jwks(hmac)
            .build()
            .unwrap_err(),
        tower_jwt_auth::ConfigError::HmacAlgorithm {
            setting: "Jwks::algorithms"
        }
    );
}

#[tokio::test]
async fn static_documents_need_no_fetching() {
    let layer = document_layer(vec![key_a()]);
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        matches!(
            JwtAuthLayer::builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .jwks(Jwks::document("[]"))
                .build(),
            Err(tower_jwt_auth::ConfigError::InvalidKey(_))
        ),
        "not a JWK Set"
    );
}
