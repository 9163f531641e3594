//! Retiring a signing key retires it in a layer wired to the sessions.

use crate::common;

use crate::issuer_fixtures::{issuer, signing};
use common::*;
use http::{Request, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{
    clock::ManualClock, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer,
};

#[tokio::test]
async fn retiring_a_key_retires_it_in_a_layer_wired_to_the_sessions() {
    use tower_jwt_auth::{keys::TrustedIssuer, ConfigError, VerificationKey};
    let secret = [42u8; 32];
    let hmac = |secret: &[u8], kid: &str| {
        SigningKey::hmac(Algorithm::HS256, secret)
            .unwrap()
            .with_kid(kid)
            .unwrap()
    };
    let clock = ManualClock::new(common::now());
    let issuer = issuer(hmac(&secret, "k1"), &clock);
    let sessions = Sessions::builder(issuer.clone(), MemoryStore::new())
        .build()
        .unwrap();
    // The wiring the README used to show gives the issuer's key a second time, as a static key that no
    // rotation or retirement reaches: refused at build, naming the fix.
    let again = VerificationKey::hmac(Algorithm::HS256, &secret).unwrap();
    let error = JwtAuthLayer::builder()
        .key(again.clone())
        .sessions(&sessions)
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::Conflict(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(".key(..)") && text.contains("retire"),
        "{text}"
    );
    assert!(matches!(
        JwtAuthLayer::builder()
            .trust_issuer("https://elsewhere.test", TrustedIssuer::new().key(again))
            .sessions(&sessions)
            .build(),
        Err(ConfigError::Conflict(_))
    ));
    // Public keys are compared by material, whatever form and algorithm they were given in: a PEM public
    // key, bound to RS256 or PS256, is the RSA issuer's key; the EC PEM is the EC issuer's.
    for (signing, public) in [
        (
            signing(Algorithm::RS256, "rsa_private.pem", "r"),
            VerificationKey::from_pem(Algorithm::RS256, &pem("rsa_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::RS256, "rsa_private.pem", "r"),
            VerificationKey::from_pem(Algorithm::PS256, &pem("rsa_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::ES256, "ec256_private.pem", "e"),
            VerificationKey::from_pem(Algorithm::ES256, &pem("ec256_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::EdDSA, "ed25519_private.pem", "d"),
            VerificationKey::from_pem(Algorithm::EdDSA, &pem("ed25519_public.pem")).unwrap(),
        ),
    ] {
        let sessions = Sessions::builder(self::issuer(signing, &clock), MemoryStore::new())
            .build()
            .unwrap();
        let built = JwtAuthLayer::builder()
            .key(public.clone())
            .sessions(&sessions)
            .build();
        assert!(matches!(built, Err(ConfigError::Conflict(_))), "{public:?}");
    }
    // An unrelated key beside the sessions is fine.
    assert!(JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
        .sessions(&sessions)
        .build()
        .is_ok());

    // The README's wiring now: the layer trusts the issuer's ring alone.
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
    let app = axum::Router::new()
        .route("/me", axum::routing::get(|| async { "me" }))
        .layer(layer);
    let me = |token: String| {
        let app = app.clone();
        async move {
            let request = Request::get("/me")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            app.oneshot(request).await.unwrap()
        }
    };
    // Whoever stole k1 signs what they like with it.
    let forged = || {
        TokenIssuer::builder(hmac(&secret, "k1"))
            .issuer("demo")
            .audience("demo-api")
            .ttl(issuer.max_ttl())
            .clock(clock.clone())
            .build()
            .unwrap()
            .issue("mallory", &json!({ "scope": "admin" }))
            .unwrap()
            .into_string()
    };
    assert_eq!(me(forged()).await.status(), StatusCode::OK);
    // The compromise is noticed: rotate to a new key, and retire the stolen one at once.
    issuer.rotate(hmac(&[43u8; 32], "k2")).unwrap();
    assert_eq!(
        me(forged()).await.status(),
        StatusCode::OK,
        "k1 is only retiring"
    );
    issuer.retire("k1").unwrap();
    let refused = me(forged()).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="invalid_token""#));
    // The sessions keep working on the new key.
    let pair = sessions.login("alice", &()).await.unwrap();
    assert_eq!(header(pair.access_token())["kid"], "k2");
    assert_eq!(
        me(pair.access_token().to_owned()).await.status(),
        StatusCode::OK
    );
}
