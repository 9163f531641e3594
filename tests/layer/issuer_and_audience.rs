//! Issuer and audience (RFC 7519 §4.1.1, §4.1.3, RFC 8725 §3.9, RFC 9700 §2.3, RFC 6750 §5.3): short-lived
//! tokens with an audience, `aud` naming us, `iss` compared exactly, both required at build.

use crate::common;

use std::time::Duration;

use crate::fixtures::{assert_each_refused, kind};
use common::sessions::{fixture, system_issuer};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{
    AuthErrorKind, ConfigError, JwtAuthLayer, SigningKey, TokenIssuer, VerificationKey,
};

#[test]
fn item_10_rfc6750_5_3_short_lived_tokens_with_audience() {
    assert!(tower_jwt_auth::issuer::DEFAULT_ACCESS_TTL <= Duration::from_secs(15 * 60));
    let no_audience = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .build();
    assert!(matches!(no_audience, Err(ConfigError::Missing(_))));
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
