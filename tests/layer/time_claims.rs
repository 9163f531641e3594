//! Time claims (RFC 7519 §2, §4.1.4–4.1.6): `exp` with and without leeway, `nbf` with leeway, `iat` in the
//! future and `max_age`, NumericDates as JSON numbers.

use crate::common;

use std::time::Duration;

use crate::fixtures::kind;
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::clock::ManualClock;
use tower_jwt_auth::{AuthErrorKind, JwtAuthLayer};

/// The default layer on `clock`, with this leeway in seconds.
fn layer_at(clock: &ManualClock, leeway: u64) -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::from_secs(leeway))
        .build()
        .unwrap()
}

#[tokio::test]
async fn item_14_rfc7519_4_1_4_exp_with_and_without_leeway() {
    let clock = ManualClock::new(1_000_000);
    let layer = layer_at(&clock, 10);
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
    assert_invalid_token(&send(&layer, bearer(&token)).await, AuthErrorKind::Expired);

    // The edges: without leeway now == exp is expired; with 20 s, exp = now - 20 + 1 passes, now - 20 doesn't.
    let clock = ManualClock::new(1_000_000);
    let strict = layer_at(&clock, 0);
    let at = |exp: i64| {
        hs256(&with_claim(
            with_claim(claims(), "exp", json!(exp)),
            "iat",
            json!(999_000),
        ))
    };
    assert_eq!(
        status_of(&strict, &at(1_000_000)).await,
        StatusCode::UNAUTHORIZED,
        "now == exp"
    );
    let skewed = layer_at(&clock, 20);
    assert_eq!(
        status_of(&skewed, &at(1_000_000 - 20 + 1)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&skewed, &at(1_000_000 - 20)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_15_rfc7519_4_1_5_nbf_with_leeway() {
    let clock = ManualClock::new(1_000_000);
    let layer = layer_at(&clock, 10);
    let early =
        hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 1_000_500, "nbf": 1_000_011 }));
    let response = send(&layer, bearer(&early)).await;
    assert_eq!(kind(&response), AuthErrorKind::NotYetValid);
    clock.set(1_000_001);
    assert_eq!(send(&layer, bearer(&early)).await.status(), StatusCode::OK);

    let layer = layer_at(&ManualClock::new(1_000_000), 20);
    let token =
        |nbf: i64| hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 2_000_000, "nbf": nbf }));
    assert_eq!(
        status_of(&layer, &token(1_000_000 + 21)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&layer, &token(1_000_000 + 20)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn item_16_rfc7519_4_1_6_iat_in_the_future_and_max_age() {
    let future_iat = with_claim(claims(), "iat", json!(now() + 3600));
    assert_eq!(
        kind(&send(&hs256_layer(), bearer(&hs256(&future_iat))).await),
        AuthErrorKind::NotYetValid
    );
    let aged = builder_for(Algorithm::HS256)
        .max_age(Duration::from_secs(60))
        .build()
        .unwrap();
    let old = with_claim(claims(), "iat", json!(now() - 3600));
    assert_eq!(
        rejection_kind(&send(&aged, bearer(&hs256(&old))).await),
        Some(AuthErrorKind::Expired)
    );
}

#[tokio::test]
async fn item_17_rfc7519_2_numeric_dates_are_numbers() {
    let layer = hs256_layer();
    let response = send(
        &layer,
        bearer(&hs256(&with_claim(claims(), "exp", Value::Null))),
    )
    .await;
    assert_invalid_token(&response, AuthErrorKind::MissingClaim);
    for bad in [json!("9999999999"), json!([1]), json!({}), json!(true)] {
        let response = send(
            &layer,
            bearer(&hs256(&with_claim(claims(), "exp", bad.clone()))),
        )
        .await;
        assert_eq!(kind(&response), AuthErrorKind::InvalidClaim, "exp = {bad}");
    }
    // Written out as JSON text: a string, null, an array, a number outside the i64 range.
    for bad in [json!("9999999999"), Value::Null, json!([1]), json!(1e300)] {
        let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{bad}}}"#);
        assert_eq!(
            status_of(&layer, &hs256_raw(r#"{"alg":"HS256"}"#, &payload)).await,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
    // Non-integers are numbers too.
    let fractional = with_claim(claims(), "exp", json!(now() as f64 + 600.5));
    assert_eq!(
        send(&layer, bearer(&hs256(&fractional))).await.status(),
        StatusCode::OK
    );
    let clock = ManualClock::new(1_600_000_000);
    let at_1_6e9 = builder_for(Algorithm::HS256).clock(clock).build().unwrap();
    let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":1.7e9}}"#);
    assert_eq!(
        status_of(&at_1_6e9, &hs256_raw(r#"{"alg":"HS256"}"#, &payload)).await,
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
