//! Keys belong to their issuer (RFC 8725 §3.8): an OpenID Connect key set implies its issuer and verifies only
//! its tokens, and the demo accepts tokens of its JWKS URL too.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::Duration;

use crate::fixtures::{key_a, key_b, quick};
use common::jwks_server::{self};
use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::{
    keys::Jwks, keys::TrustedIssuer, AuthErrorKind, JwtAuthLayer, VerificationKey,
};

#[tokio::test]
async fn item_42_rfc8725_3_8_keys_belong_to_the_issuer() {
    let provider_a = jwks_server::start(vec![key_a()]).await;
    let provider_b = jwks_server::start(vec![key_b()]).await;
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            "https://a.test",
            TrustedIssuer::new().jwks(quick(&provider_a)),
        )
        .trust_issuer(
            "https://b.test",
            TrustedIssuer::new().jwks(quick(&provider_b)),
        )
        .build()
        .unwrap();
    let token = |iss: &str, alg: Algorithm, kid: &str| {
        let mut c = claims();
        c["iss"] = json!(iss);
        token_with(alg, json!({ "kid": kid }), &c)
    };
    assert_eq!(
        send(
            &layer,
            bearer(&token("https://a.test", Algorithm::RS256, "a"))
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        send(
            &layer,
            bearer(&token("https://b.test", Algorithm::ES256, "b"))
        )
        .await
        .status(),
        StatusCode::OK
    );
    // B's name, A's key (and kid): routed to B's keys before any signature check, where kid "a" does not exist.
    let confused = send(
        &layer,
        bearer(&token("https://b.test", Algorithm::RS256, "a")),
    )
    .await;
    assert_eq!(confused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&confused), Some(AuthErrorKind::UnknownKey));
    // An issuer nobody trusts.
    let stranger = send(
        &layer,
        bearer(&token("https://c.test", Algorithm::RS256, "a")),
    )
    .await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    // The same with static keys: B's name, A's secret (no kid to route by).
    let other_secret = [5u8; 32];
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            "https://a.test",
            TrustedIssuer::new().key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap()),
        )
        .trust_issuer(
            "https://b.test",
            TrustedIssuer::new()
                .key(VerificationKey::hmac(Algorithm::HS256, &other_secret).unwrap()),
        )
        .build()
        .unwrap();
    let for_issuer = |iss: &str, secret: &[u8]| {
        sign_raw(
            r#"{"alg":"HS256"}"#,
            &with_claim(claims(), "iss", json!(iss)).to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(secret).unwrap(),
        )
    };
    assert_eq!(
        status_of(&layer, &for_issuer("https://a.test", SECRET)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", &other_secret)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", SECRET)).await,
        StatusCode::UNAUTHORIZED,
        "B's name, A's key"
    );
}

#[tokio::test]
async fn an_oidc_key_set_implies_its_issuer_and_verifies_only_its_tokens() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let jwks = || {
        Jwks::oidc(&provider.base)
            .unwrap()
            .allow_http()
            .timeout(Duration::from_millis(500))
    };
    // No .issuer(..): the discovered issuer is the accepted one.
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .jwks(jwks())
        .build()
        .unwrap();
    let of = |iss: &str| {
        token_with(
            Algorithm::RS256,
            json!({ "kid": "a" }),
            &with_claim(claims(), "iss", json!(iss)),
        )
    };
    assert_eq!(status_of(&layer, &of(&provider.base)).await, StatusCode::OK);
    assert_eq!(
        status_of(&layer, &of("https://other.test")).await,
        StatusCode::UNAUTHORIZED,
        "another issuer's token, though signed with the provider's key"
    );
    // Beside a static key of another issuer, the provider's keys still verify only the provider's tokens.
    let layer = JwtAuthLayer::builder()
        .key(key_pair(Algorithm::HS256).1)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks(jwks())
        .build()
        .unwrap();
    assert_eq!(status_of(&layer, &of(&provider.base)).await, StatusCode::OK);
    assert_eq!(status_of(&layer, &hs256(&claims())).await, StatusCode::OK);
    assert_eq!(
        status_of(&layer, &of(ISSUER)).await,
        StatusCode::UNAUTHORIZED,
        "the provider's key signing a token of another issuer"
    );
    // Trusted under another issuer's name, its keys would belong to two issuers: a build error.
    assert!(matches!(
        JwtAuthLayer::builder()
            .audience(AUDIENCE)
            .trust_issuer("https://other.test", TrustedIssuer::new().jwks(jwks()))
            .build(),
        Err(tower_jwt_auth::ConfigError::Conflict(_))
    ));
}

#[tokio::test]
async fn the_demo_also_accepts_tokens_of_its_jwks_url() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let demo = common::demo::start(&[("JWKS_URL", provider.jwks_url())]);
    let mut c = claims();
    c["iss"] = json!("demo");
    c["aud"] = json!("demo-api");
    let token = token_with(Algorithm::RS256, json!({ "kid": "a" }), &c);
    let (status, body, _) = common::demo::call(&demo, "GET", "/me", Some(&token), None).await;
    assert_eq!(
        (status, body["sub"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    // Signed by the provider's key but for another issuer: refused.
    let foreign = token_with(Algorithm::RS256, json!({ "kid": "a" }), &claims());
    assert_eq!(
        common::demo::call(&demo, "GET", "/me", Some(&foreign), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}
