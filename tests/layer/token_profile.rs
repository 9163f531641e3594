//! Explicit typing and the access-token profile (RFC 8725 §3.11, §3.12, RFC 9068): `at+jwt`, ID tokens are not
//! access tokens, the profile's required claims and validation, required claims enforced.

use crate::common;

use crate::fixtures::{assert_each_refused, kind};
use common::sessions::system_issuer;
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{AuthErrorKind, JwtAuthLayer};

/// The layer under the RFC 9068 access-token profile.
fn rfc9068_layer() -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .build()
        .unwrap()
}

#[tokio::test]
async fn item_45_rfc8725_3_11_explicit_typing() {
    let token = system_issuer().issue("alice", &()).unwrap();
    assert_eq!(header(token.as_str())["typ"], "at+jwt");
    let typed = builder_for(Algorithm::HS256)
        .access_token_type()
        .build()
        .unwrap();
    assert_eq!(status_of(&typed, token.as_str()).await, StatusCode::OK);
}

#[tokio::test]
async fn item_46_rfc8725_3_12_id_tokens_are_not_access_tokens() {
    let layer = builder_for(Algorithm::HS256)
        .access_token_type()
        .build()
        .unwrap();
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.status(),
        StatusCode::OK
    );
    let id_token = token_with(Algorithm::HS256, json!({ "typ": "JWT" }), &claims());
    assert_eq!(
        kind(&send(&layer, bearer(&id_token)).await),
        AuthErrorKind::InvalidType
    );
    let media = token_with(
        Algorithm::HS256,
        json!({ "typ": "application/at+jwt" }),
        &claims(),
    );
    assert_eq!(send(&layer, bearer(&media)).await.status(), StatusCode::OK);
    let untyped = hs256_raw(r#"{"alg":"HS256"}"#, &claims().to_string());
    assert_eq!(
        kind(&send(&layer, bearer(&untyped)).await),
        AuthErrorKind::InvalidType
    );
}

#[tokio::test]
async fn item_47_rfc9068_2_1_typ_must_be_at_jwt() {
    let layer = rfc9068_layer();
    assert_eq!(
        status_of(&layer, &hs256(&rfc9068_claims())).await,
        StatusCode::OK
    );
    let untyped = hs256_raw(r#"{"alg":"HS256"}"#, &rfc9068_claims().to_string());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&untyped)).await),
        Some(AuthErrorKind::InvalidType)
    );
    let jwt = hs256_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &rfc9068_claims().to_string(),
    );
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&jwt)).await),
        Some(AuthErrorKind::InvalidType)
    );
}

#[tokio::test]
async fn item_48_rfc9068_2_2_required_claims() {
    let required = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];
    let without = required.map(|claim| with_claim(rfc9068_claims(), claim, Value::Null));
    assert_each_refused(&rfc9068_layer(), without).await;
}

#[tokio::test]
async fn item_49_rfc9068_4_validation() {
    let bad = [
        with_claim(rfc9068_claims(), "iss", json!("https://other")),
        with_claim(rfc9068_claims(), "aud", json!("other")),
        with_claim(rfc9068_claims(), "exp", json!(now() - 3600)),
    ];
    assert_each_refused(&rfc9068_layer(), bad).await;
}

#[tokio::test]
async fn required_claims_are_enforced() {
    let layer = builder_for(Algorithm::HS256)
        .require_claims(["sub", "jti", "client_id"])
        .build()
        .unwrap();
    assert_eq!(
        kind(&send(&layer, bearer(&hs256(&claims()))).await),
        AuthErrorKind::MissingClaim
    );
    let full = with_claim(claims(), "client_id", json!("web"));
    assert_eq!(
        send(&layer, bearer(&hs256(&full))).await.status(),
        StatusCode::OK
    );
    assert!(matches!(
        JwtAuthLayer::builder()
            .audience(AUDIENCE)
            .require_claims(["favourite_colour"])
            .build(),
        Err(tower_jwt_auth::ConfigError::UnknownRequiredClaim { .. })
    ));
}
