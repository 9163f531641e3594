//! Claims validation (RFC 7519 §2 and §4, RFC 8725 §3.8–3.12, RFC 9068, RFC 9700 §2.3): dates, issuer,
//! audience, duplicates, explicit typing and the access-token profile.

use crate::common;

use std::time::Duration;

use common::sessions::{fixture, system_issuer};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{
    clock::ManualClock, AuthErrorKind, ConfigError, JwtAuthLayer, SigningKey, TokenIssuer,
    VerificationKey,
};

fn kind(response: &http::Response<String>) -> AuthErrorKind {
    rejection_kind(response).expect("a rejection")
}

/// Asserts that `layer` answers 401 to an HS256 token of each of these claims.
async fn assert_each_refused(layer: &JwtAuthLayer, all: impl IntoIterator<Item = Value>) {
    for claims in all {
        assert_eq!(
            status_of(layer, &hs256(&claims)).await,
            StatusCode::UNAUTHORIZED,
            "{claims}"
        );
    }
}

/// The default layer on `clock`, with this leeway in seconds.
fn layer_at(clock: &ManualClock, leeway: u64) -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::from_secs(leeway))
        .build()
        .unwrap()
}

/// The layer under the RFC 9068 access-token profile.
fn rfc9068_layer() -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .build()
        .unwrap()
}

#[test]
fn item_10_rfc6750_5_3_short_lived_tokens_with_audience() {
    assert!(tower_jwt_auth::issuer::DEFAULT_ACCESS_TTL <= Duration::from_secs(15 * 60));
    let no_audience = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .build();
    assert!(matches!(no_audience, Err(ConfigError::Missing(_))));
}

#[tokio::test]
async fn item_13_rfc7519_4_duplicate_claims_are_refused() {
    let layer = hs256_layer();
    let exp = now() + 600;
    let payload = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"sub":"alice","sub":"admin"}}"#
    );
    assert_eq!(
        kind(&send(&layer, bearer(&hs256_raw(r#"{"alg":"HS256"}"#, &payload))).await),
        AuthErrorKind::InvalidClaim
    );
    for payload in [
        format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"sub":"a","sub":"admin"}}"#),
        format!(
            r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"role":"user","role":"admin"}}"#
        ),
        format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"x":{{"a":1,"a":2}}}}"#),
    ] {
        assert_eq!(
            status_of(&layer, &hs256_raw(r#"{"alg":"HS256"}"#, &payload)).await,
            StatusCode::UNAUTHORIZED,
            "{payload}"
        );
    }
    // Header names too.
    let header = r#"{"alg":"HS256","kid":"a","kid":"b"}"#;
    assert_eq!(
        status_of(&layer, &hs256_raw(header, &claims().to_string())).await,
        StatusCode::UNAUTHORIZED
    );
    let rest = hs256(&claims()).split_once('.').unwrap().1.to_owned();
    let two_algs = format!("{}.{rest}", b64("{\"alg\":\"HS256\",\"alg\":\"none\"}"));
    assert_rejected(
        &send(&layer, bearer(&two_algs)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
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

#[tokio::test]
async fn item_18_rfc7519_4_1_3_audience() {
    let layer = hs256_layer();
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
    for bad in [json!({}), json!([1]), json!(5)] {
        let response = send(
            &layer,
            bearer(&hs256(&with_claim(claims(), "aud", bad.clone()))),
        )
        .await;
        assert_eq!(kind(&response), AuthErrorKind::InvalidClaim, "aud = {bad}");
    }
    let bad = [json!({}), json!([1]), json!("other")];
    assert_each_refused(&layer, bad.map(|aud| with_claim(claims(), "aud", aud))).await;
}

#[tokio::test]
async fn item_19_rfc7519_4_1_1_issuer_is_compared_exactly() {
    let layer = hs256_layer();
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
    // No normalisation and no substring matching against a configured "https://a".
    let layer = builder_for(Algorithm::HS256)
        .issuer("https://a")
        .build()
        .unwrap();
    let bad = ["https://A", "https://a/", "https://a.evil"];
    assert_each_refused(
        &layer,
        bad.map(|iss| with_claim(claims(), "iss", json!(iss))),
    )
    .await;
    assert_eq!(
        status_of(
            &layer,
            &hs256(&with_claim(claims(), "iss", json!("https://a")))
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn item_20_rfc7519_4_unknown_claims_are_ignored() {
    let c = with_claim(claims(), "favourite_colour", json!({ "deep": [1, 2] }));
    assert_eq!(status_of(&hs256_layer(), &hs256(&c)).await, StatusCode::OK);
}

#[tokio::test]
async fn item_43_rfc8725_3_9_audience_is_mandatory_by_default() {
    let no_audience = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .build();
    assert!(matches!(no_audience, Err(ConfigError::Missing(_))));
    assert_eq!(
        rejection_kind(
            &send(
                &hs256_layer(),
                bearer(&hs256(&with_claim(claims(), "aud", Value::Null)))
            )
            .await
        ),
        Some(AuthErrorKind::MissingClaim)
    );
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
async fn item_60_rfc9700_2_3_audience_restricted_tokens() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    assert_eq!(payload(pair.access_token())["aud"], AUDIENCE);
    let elsewhere = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience("another-api")
        .clock(f.clock.clone())
        .build()
        .unwrap();
    assert_eq!(
        status_of(&elsewhere, pair.access_token()).await,
        StatusCode::UNAUTHORIZED
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
        Err(tower_jwt_auth::ConfigError::UnknownRequiredClaim { .. })
    ));
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

#[tokio::test]
async fn an_issuer_is_required_at_build_like_the_audience() {
    let keyed = || {
        JwtAuthLayer::builder()
            .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
            .audience(AUDIENCE)
    };
    let error = keyed().build().unwrap_err();
    assert!(matches!(error, ConfigError::Missing(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(".issuer(..)") && text.contains(".allow_any_issuer()"),
        "{text}"
    );
    // With the issuer, another issuer's token signed with the same key is refused.
    let foreign = hs256(&with_claim(
        claims(),
        "iss",
        json!("https://elsewhere.test"),
    ));
    let layer = keyed().issuer(ISSUER).build().unwrap();
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&foreign)).await),
        Some(AuthErrorKind::InvalidIssuer)
    );
    // The opt-out names what it gives up, and then accepts any issuer (and none).
    let any = keyed().allow_any_issuer().build().unwrap();
    assert_eq!(status_of(&any, &foreign).await, StatusCode::OK);
    let no_iss = hs256(&with_claim(claims(), "iss", Value::Null));
    assert_eq!(status_of(&any, &no_iss).await, StatusCode::OK);
    // Sessions and trusted issuers name theirs.
    let sessions =
        tower_jwt_auth::Sessions::builder(system_issuer(), tower_jwt_auth::MemoryStore::new())
            .build()
            .unwrap();
    assert!(JwtAuthLayer::builder().sessions(&sessions).build().is_ok());
    assert!(JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            ISSUER,
            tower_jwt_auth::keys::TrustedIssuer::new()
                .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        )
        .build()
        .is_ok());
}
