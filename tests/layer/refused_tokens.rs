//! Tokens refused for good are remembered as refused: a flood of one bad token costs one signature check, a
//! refusal that may change is never kept, and refused tokens never push verified ones out.

use crate::common;

use std::time::Duration;

use common::counting_provider::{checks, COUNTING};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{clock::ManualClock, AuthErrorKind};

fn tampered(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    format!("{input}.{flipped}{}", &signature[1..])
}

/// The test layer's builder for `alg`, with the crypto provider that counts signature checks.
fn counting(alg: Algorithm) -> tower_jwt_auth::JwtAuthBuilder {
    builder_for(alg).crypto_provider(&COUNTING)
}

/// Sends `token` `times` times; every answer must be the refusal `kind`.
async fn refused_each_time(
    layer: &tower_jwt_auth::JwtAuthLayer,
    token: &str,
    times: usize,
    kind: AuthErrorKind,
) {
    for _ in 0..times {
        let response = send(layer, bearer(token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(rejection_kind(&response), Some(kind));
    }
}

#[tokio::test]
async fn a_flood_of_one_refused_token_costs_one_signature_check() {
    let layer = counting(Algorithm::ES256).build().unwrap();
    let valid = token_with(Algorithm::ES256, json!({}), &claims());

    let before = checks();
    refused_each_time(
        &layer,
        &tampered(&valid),
        5,
        AuthErrorKind::InvalidSignature,
    )
    .await;
    assert_eq!(checks() - before, 1, "a bad signature is checked once");

    let mut expired = claims();
    expired["exp"] = json!(now() - 3600);
    let expired = token_with(Algorithm::ES256, json!({}), &expired);
    let before = checks();
    refused_each_time(&layer, &expired, 5, AuthErrorKind::Expired).await;
    assert_eq!(checks() - before, 1, "a passed exp stays passed");

    let mut other_audience = claims();
    other_audience["aud"] = json!("another-api");
    let other_audience = token_with(Algorithm::ES256, json!({}), &other_audience);
    let before = checks();
    refused_each_time(&layer, &other_audience, 3, AuthErrorKind::InvalidAudience).await;
    assert_eq!(checks() - before, 1);
    assert_eq!(layer.cached_tokens(), 0, "refusals are not verified tokens");

    // The valid token is still verified (and then cached) as ever.
    assert_eq!(send(&layer, bearer(&valid)).await.status(), StatusCode::OK);
    assert_eq!(layer.cached_tokens(), 1);
}

#[tokio::test]
async fn a_refusal_that_time_may_change_is_never_kept() {
    let clock = ManualClock::new(now());
    let layer = counting(Algorithm::ES256)
        .clock(clock.clone())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let mut early = claims();
    early["nbf"] = json!(now() + 60);
    let early = token_with(Algorithm::ES256, json!({}), &early);
    let before = checks();
    refused_each_time(&layer, &early, 3, AuthErrorKind::NotYetValid).await;
    assert_eq!(
        checks() - before,
        3,
        "not yet valid is checked again each time"
    );
    clock.advance(61);
    assert_eq!(send(&layer, bearer(&early)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_the_token_cache_nothing_is_remembered() {
    let layer = counting(Algorithm::ES256)
        .disable_token_cache()
        .build()
        .unwrap();
    let bad = tampered(&token_with(Algorithm::ES256, json!({}), &claims()));
    let before = checks();
    refused_each_time(&layer, &bad, 3, AuthErrorKind::InvalidSignature).await;
    assert_eq!(checks() - before, 3);
}

#[tokio::test]
async fn refused_tokens_never_push_verified_ones_out() {
    let layer = counting(Algorithm::HS256)
        .token_cache_size(64 * 1024)
        .build()
        .unwrap();
    let valid = hs256(&claims());
    assert_eq!(send(&layer, bearer(&valid)).await.status(), StatusCode::OK);
    // Far more refused bytes than the whole cache holds.
    for i in 0..2_000 {
        let mut payload = claims();
        payload["jti"] = json!(format!("flood-{i}"));
        let bad = tampered(&hs256(&payload));
        let response = send(&layer, bearer(&bad)).await;
        assert_eq!(
            rejection_kind(&response),
            Some(AuthErrorKind::InvalidSignature)
        );
    }
    assert!(
        layer.token_cache_weight() <= 64 * 1024,
        "{}",
        layer.token_cache_weight()
    );
    let before = checks();
    assert_eq!(send(&layer, bearer(&valid)).await.status(), StatusCode::OK);
    assert_eq!(checks(), before, "the verified token is still a hit");
}

#[tokio::test]
async fn a_broken_token_is_remembered_as_refused() {
    let layer = counting(Algorithm::ES256).build().unwrap();
    let valid = token_with(Algorithm::ES256, json!({}), &claims());
    let (input, _) = valid.rsplit_once('.').unwrap();
    // A signature that is no base64url: refused before any signature check, and remembered.
    let broken = format!("{input}.not-base64url-at-all~");
    refused_each_time(&layer, &broken, 3, AuthErrorKind::InvalidToken).await;
    assert!(layer.token_cache_weight() > 0, "the refusal is remembered");
    assert_eq!(layer.cached_tokens(), 0);
}
