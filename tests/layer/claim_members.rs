//! The members of a claims set (RFC 7519 §4): duplicate names are refused, unknown claims are ignored, custom
//! claims types reach the handler.

use crate::common;

use crate::fixtures::kind;
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{rejection::JsonResponder, AuthError, AuthErrorKind};

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
async fn item_20_rfc7519_4_unknown_claims_are_ignored() {
    let c = with_claim(claims(), "favourite_colour", json!({ "deep": [1, 2] }));
    assert_eq!(status_of(&hs256_layer(), &hs256(&c)).await, StatusCode::OK);
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
async fn claims_that_do_not_fit_the_type_keep_serdes_message_for_the_app_never_for_the_client() {
    // A field added to the claims struct while tokens issued without it are still alive.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct V2Claims {
        sub: String,
        tenant: String,
    }
    let token = hs256(&claims());
    let layer = builder_for(Algorithm::HS256)
        .claims::<V2Claims>()
        .responder(JsonResponder)
        .build()
        .unwrap();
    let error = layer.verify_token(&token).unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::InvalidClaim);
    let detail = error.detail().expect("serde's message is kept");
    assert!(detail.contains("missing field `tenant`"), "{detail}");
    assert!(
        !error.to_string().contains("tenant"),
        "Display stays the fixed description"
    );
    // Through the layer: the client's body and challenge say nothing of it; the AuthError in the extensions does.
    let response = send(&layer, bearer(&token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !response.body().contains("tenant") && !challenge(&response).contains("tenant"),
        "{:?}",
        response
    );
    let sent = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(sent.detail(), Some(detail));
    // Other refusals carry no detail.
    let expired = with_claim(claims(), "exp", json!(now() - 3600));
    assert_eq!(
        layer.verify_token(&hs256(&expired)).unwrap_err().detail(),
        None
    );

    // The documented fix: `#[serde(default)]` / `Option<T>` lets the old tokens verify.
    #[derive(Debug, serde::Deserialize)]
    struct Lenient {
        sub: String,
        #[serde(default)]
        tenant: Option<String>,
    }
    let lenient = builder_for(Algorithm::HS256)
        .claims::<Lenient>()
        .build()
        .unwrap();
    let (claims, _) = lenient.verify_token(&token).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.tenant.as_deref()),
        ("alice", None)
    );
}
