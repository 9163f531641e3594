//! Claims validation (RFC 7519 §4.1, RFC 8725 §3.8–3.12, RFC 9068).

mod common;

use std::time::Duration;

use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{AuthErrorKind, JwtAuthLayer, ManualClock};

fn kind(response: &http::Response<String>) -> AuthErrorKind {
    rejection_kind(response).expect("a rejection")
}

#[tokio::test]
async fn expiry_and_not_before_follow_the_clock_and_leeway() {
    let clock = ManualClock::new(1_000_000);
    let layer = builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = hs256(
        &json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": 1_000_000, "exp": 1_000_100 }),
    );
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    clock.set(1_000_109);
    assert_eq!(
        send(&layer, bearer(&token)).await.status(),
        StatusCode::OK,
        "inside leeway"
    );
    clock.set(1_000_110);
    let response = send(&layer, bearer(&token)).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(kind(&response), AuthErrorKind::Expired);

    clock.set(1_000_000);
    let early =
        hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 1_000_500, "nbf": 1_000_011 }));
    let response = send(&layer, bearer(&early)).await;
    assert_eq!(kind(&response), AuthErrorKind::NotYetValid);
    clock.set(1_000_001);
    assert_eq!(send(&layer, bearer(&early)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn exp_is_required_and_must_be_a_number() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let response = send(
        &layer,
        bearer(&hs256(&with_claim(claims(), "exp", Value::Null))),
    )
    .await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(kind(&response), AuthErrorKind::MissingClaim);
    for bad in [json!("9999999999"), json!([1]), json!({}), json!(true)] {
        let response = send(
            &layer,
            bearer(&hs256(&with_claim(claims(), "exp", bad.clone()))),
        )
        .await;
        assert_eq!(kind(&response), AuthErrorKind::InvalidClaim, "exp = {bad}");
    }
    let fractional = with_claim(claims(), "exp", json!(now() as f64 + 600.5));
    assert_eq!(
        send(&layer, bearer(&hs256(&fractional))).await.status(),
        StatusCode::OK
    );
    // Opting out of `exp` is possible, and explicit.
    let lax = builder_for(Algorithm::HS256)
        .allow_missing_exp()
        .build()
        .unwrap();
    assert_eq!(
        send(
            &lax,
            bearer(&hs256(&with_claim(claims(), "exp", Value::Null)))
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn issuer_is_required_and_compared_exactly() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    for bad in [
        "https://Issuer.test",
        "https://issuer.test/",
        "https://issuer.test.evil",
    ] {
        let response = send(
            &layer,
            bearer(&hs256(&with_claim(claims(), "iss", json!(bad)))),
        )
        .await;
        assert_eq!(kind(&response), AuthErrorKind::InvalidIssuer, "{bad}");
        assert!(
            !challenge(&response).contains("issuer.test"),
            "the challenge must not leak the expected issuer"
        );
    }
    let response = send(
        &layer,
        bearer(&hs256(&with_claim(claims(), "iss", Value::Null))),
    )
    .await;
    assert_eq!(kind(&response), AuthErrorKind::MissingClaim);
}

#[tokio::test]
async fn audience_is_required_and_may_be_an_array() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let ok = with_claim(claims(), "aud", json!(["other", AUDIENCE]));
    assert_eq!(
        send(&layer, bearer(&hs256(&ok))).await.status(),
        StatusCode::OK
    );
    let response = send(
        &layer,
        bearer(&hs256(&with_claim(claims(), "aud", json!("other-api")))),
    )
    .await;
    assert_eq!(kind(&response), AuthErrorKind::InvalidAudience);
    assert!(
        !challenge(&response).contains(AUDIENCE),
        "the challenge must not leak the expected audience"
    );
    let response = send(
        &layer,
        bearer(&hs256(&with_claim(claims(), "aud", Value::Null))),
    )
    .await;
    assert_eq!(kind(&response), AuthErrorKind::MissingClaim);
    for bad in [json!({}), json!([1]), json!(5)] {
        let response = send(
            &layer,
            bearer(&hs256(&with_claim(claims(), "aud", bad.clone()))),
        )
        .await;
        assert_eq!(kind(&response), AuthErrorKind::InvalidClaim, "aud = {bad}");
    }
}

#[tokio::test]
async fn access_token_type_refuses_id_tokens() {
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
    let header = json!({ "alg": "HS256" }).to_string();
    let untyped = sign_raw(
        &header,
        &claims().to_string(),
        Algorithm::HS256,
        &key_pair(Algorithm::HS256).0,
    );
    assert_eq!(
        kind(&send(&layer, bearer(&untyped)).await),
        AuthErrorKind::InvalidType
    );
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
        Err(tower_jwt_auth::ConfigError::UnknownRequiredClaim(_))
    ));
}

#[tokio::test]
async fn duplicate_claims_and_future_iat_are_refused() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let header = json!({ "alg": "HS256" }).to_string();
    let exp = now() + 600;
    let payload = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"sub":"alice","sub":"admin"}}"#
    );
    let token = sign_raw(
        &header,
        &payload,
        Algorithm::HS256,
        &key_pair(Algorithm::HS256).0,
    );
    assert_eq!(
        kind(&send(&layer, bearer(&token)).await),
        AuthErrorKind::InvalidClaim
    );
    let future_iat = with_claim(claims(), "iat", json!(now() + 3600));
    assert_eq!(
        kind(&send(&layer, bearer(&hs256(&future_iat))).await),
        AuthErrorKind::NotYetValid
    );
}

#[tokio::test]
async fn custom_claims_types_reach_the_handler() {
    #[derive(serde::Deserialize)]
    struct AppClaims {
        sub: String,
        tenant: u32,
    }
    let layer = builder_for(Algorithm::HS256)
        .claims::<AppClaims>()
        .build()
        .unwrap();
    let service = tower::service_fn(|request: http::Request<String>| async move {
        let claims = request
            .extensions()
            .get::<tower_jwt_auth::Claims<AppClaims>>()
            .unwrap();
        Ok::<_, std::convert::Infallible>(http::Response::new(format!(
            "{}@{}",
            claims.sub, claims.tenant
        )))
    });
    let response = tower::ServiceExt::oneshot(
        tower::Layer::layer(&layer, service),
        bearer(&hs256(&with_claim(claims(), "tenant", json!(7)))),
    )
    .await
    .unwrap();
    assert_eq!(response.body(), "alice@7");
    // Claims that don't fit the type are an invalid token, not a 500.
    let service = tower::service_fn(|_: http::Request<String>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    });
    let response = tower::ServiceExt::oneshot(
        tower::Layer::layer(&layer, service),
        bearer(&hs256(&with_claim(claims(), "tenant", json!("x")))),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
