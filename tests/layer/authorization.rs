//! Scopes, predicates, optional mode and the shape of every rejection (RFC 6750 §3).

use crate::common;

use common::*;
use http::{Request, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{rejection::JsonResponder, AuthErrorKind, ConfigError, RegisteredClaims};

#[tokio::test]
async fn item_51_rfc9068_2_2_3_scope() {
    let layer = builder_for(Algorithm::HS256)
        .require_scopes(["read", "admin"])
        .build()
        .unwrap();
    let response = send(&layer, bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(
        challenge(&response).ends_with("scope=\"read admin\""),
        "{}",
        challenge(&response)
    );
    let layer = builder_for(Algorithm::HS256)
        .require_scopes(["read", "write"])
        .build()
        .unwrap();
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.status(),
        StatusCode::OK
    );
    assert!(builder_for(Algorithm::HS256)
        .require_scopes(["bad scope"])
        .build()
        .is_err());
    assert!(builder_for(Algorithm::HS256)
        .require_scopes(["quote\""])
        .build()
        .is_err());
    // Under the RFC 9068 profile: missing scopes are a 403, a token that fails the profile a 401.
    let layer = builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .require_scopes(["a", "b"])
        .build()
        .unwrap();
    let response = send(&layer, bearer(&hs256(&rfc9068_claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"a b\""));
    let failed_profile = send(
        &layer,
        bearer(&hs256(&with_claim(
            rfc9068_claims(),
            "client_id",
            Value::Null,
        ))),
    )
    .await;
    assert_rejected(
        &failed_profile,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn a_claims_predicate_can_refuse() {
    let layer = builder_for(Algorithm::HS256)
        .require(|c: &RegisteredClaims| c.sub.as_deref() == Some("bob"))
        .build()
        .unwrap();
    let response = send(&layer, bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    let mut bob = claims();
    bob["sub"] = json!("bob");
    assert_eq!(
        send(&layer, bearer(&hs256(&bob))).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_predicate_must_hold_and_none_is_dropped_by_a_claims_type_change() {
    let layer = builder_for(Algorithm::HS256)
        .require(|c: &RegisteredClaims| c.sub.as_deref() == Some("bob"))
        .require(|c: &RegisteredClaims| c.has_scope("write"))
        .build()
        .unwrap();
    let mut bob = claims();
    bob["sub"] = json!("bob");
    assert_eq!(
        send(&layer, bearer(&hs256(&bob))).await.status(),
        StatusCode::OK
    );
    bob["scope"] = json!("read");
    assert_eq!(
        send(&layer, bearer(&hs256(&bob))).await.status(),
        StatusCode::FORBIDDEN,
        "the second predicate adds to the first instead of replacing it"
    );
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.status(),
        StatusCode::FORBIDDEN,
        "the first predicate still holds"
    );
    let changed = builder_for(Algorithm::HS256)
        .require(|c: &RegisteredClaims| c.sub.is_some())
        .claims::<serde_json::Value>()
        .build();
    assert_eq!(
        changed.unwrap_err(),
        tower_jwt_auth::ConfigError::PredicateBeforeClaimsType
    );
}

#[tokio::test]
async fn optional_mode_lets_anonymous_requests_through_but_not_bad_tokens() {
    let layer = builder_for(Algorithm::HS256).optional().build().unwrap();
    let anonymous = Request::builder().uri("/").body(String::new()).unwrap();
    let response = send(&layer, anonymous).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "anonymous");
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.body(),
        "alice"
    );
    let mut expired = claims();
    expired["exp"] = json!(now() - 3600);
    assert_rejected(
        &send(&layer, bearer(&hs256(&expired))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    assert_rejected(
        &send(&layer, bearer("garbage")).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn per_route_authorization_layer() {
    let auth = builder_for(Algorithm::HS256).optional().build().unwrap();
    let write = auth.require_scopes(["write"]);
    let admin = auth.require_scopes(["admin"]);
    let stack = |inner| {
        tower::ServiceBuilder::new()
            .layer(auth.clone())
            .layer(inner)
    };
    let response = send(&stack(write.clone()), bearer(&hs256(&claims()))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = send(&stack(admin), bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"admin\""));
    // No token in optional mode: the route still demands authentication.
    let response = send(
        &stack(write),
        Request::builder().uri("/").body(String::new()).unwrap(),
    )
    .await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn json_responder_writes_oauth_error_bodies() {
    let layer = builder_for(Algorithm::HS256)
        .responder(JsonResponder)
        .build()
        .unwrap();
    let response = send(&layer, bearer("a.b.c")).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn item_05_rfc6750_3_challenge_attributes_appear_once() {
    let scoped = builder_for(Algorithm::HS256)
        .require_scopes(["admin"])
        .build()
        .unwrap();
    let responses = [
        send(&hs256_layer(), Request::new(String::new())).await,
        send(&hs256_layer(), bearer("a.b.c")).await,
        send(&hs256_layer(), bearer("a b")).await,
        send(&scoped, bearer(&hs256(&claims()))).await,
    ];
    for response in &responses {
        let challenge = challenge(response);
        assert!(challenge.starts_with("Bearer "));
        assert_attributes_once(&challenge);
    }
}

#[test]
fn item_06_rfc6750_3_error_description_characters() {
    for kind in [
        AuthErrorKind::Malformed,
        AuthErrorKind::Expired,
        AuthErrorKind::InvalidSignature,
        AuthErrorKind::InsufficientScope,
    ] {
        assert!(kind
            .description()
            .chars()
            .all(|c| matches!(c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
    }
    // A scope or realm with a quote or backslash can't be configured, so it can't reach the header.
    assert!(matches!(
        builder_for(Algorithm::HS256)
            .require_scopes(["a\"b"])
            .build(),
        Err(ConfigError::InvalidScope(_))
    ));
    assert!(matches!(
        builder_for(Algorithm::HS256).realm("r\\").build(),
        Err(ConfigError::InvalidName {
            setting: "JwtAuthBuilder::realm",
            ..
        })
    ));
    assert!(builder_for(Algorithm::HS256).realm("a\"b").build().is_err());
    assert!(builder_for(Algorithm::HS256).realm("a\\b").build().is_err());
}

#[tokio::test]
async fn item_08_rfc6750_3_1_error_codes_and_statuses() {
    use tower_jwt_auth::{AuthError, AuthErrorKind::*};
    let table = [
        (Missing, 401, None),
        (Malformed, 400, Some("invalid_request")),
        (InvalidToken, 401, Some("invalid_token")),
        (Expired, 401, Some("invalid_token")),
        (Revoked, 401, Some("invalid_token")),
        (InsufficientScope, 403, Some("insufficient_scope")),
        (Unavailable, 503, None),
    ];
    for (kind, status, code) in table {
        assert_eq!(AuthError::new(kind).status().as_u16(), status, "{kind:?}");
        assert_eq!(kind.error_code(), code, "{kind:?}");
        assert!(!kind.description().contains(['"', '\\']));
    }
    // Each path through the layer.
    assert_rejected(
        &send(&hs256_layer(), bearer("a b")).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    assert_rejected(
        &send(&hs256_layer(), bearer("x.y.z")).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    let scoped = builder_for(Algorithm::HS256)
        .require_scopes(["admin"])
        .build()
        .unwrap();
    let response = send(&scoped, bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"admin\""));
}

#[tokio::test]
async fn per_route_scopes_work_with_any_claims_type() {
    let auth = builder_for(Algorithm::HS256)
        .claims::<serde_json::Value>()
        .build()
        .unwrap();
    let stack = tower::ServiceBuilder::new()
        .layer(auth.clone())
        .layer(auth.require_scopes(["write"]));
    assert_eq!(
        send(&stack, bearer(&hs256(&claims()))).await.status(),
        StatusCode::OK
    );
    // A derived predicate reads the layer's own claims type (here JSON values): it can't be written for another.
    let fresh = builder_for(Algorithm::HS256)
        .claims::<serde_json::Value>()
        .build()
        .unwrap();
    let only_bob = fresh.require(|claims: &serde_json::Value| claims["sub"] == "bob");
    let stack = tower::ServiceBuilder::new().layer(fresh).layer(only_bob);
    assert_eq!(
        send(&stack, bearer(&hs256(&claims()))).await.status(),
        StatusCode::FORBIDDEN
    );
    let bob = with_claim(claims(), "sub", serde_json::json!("bob"));
    assert_eq!(
        send(&stack, bearer(&hs256(&bob))).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn per_route_requirements_derived_from_the_layer_reject_like_the_layer() {
    use axum::routing::post;
    use tower::ServiceExt;
    let auth = builder_for(Algorithm::HS256)
        .realm("orders")
        .responder(tower_jwt_auth::rejection::JsonResponder)
        .build()
        .unwrap();
    let app: axum::Router = axum::Router::new()
        .route("/orders", post(|| async { "created" }))
        .route_layer(auth.require_scopes(["orders:write"]))
        .layer(auth.clone());
    let request = http::Request::post("/orders")
        .header("authorization", format!("Bearer {}", hs256(&claims())))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer realm=\"orders\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"orders:write\""), "{challenge}");
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json["error"], "insufficient_scope",
        "the layer's JSON responder"
    );
    // A predicate derived the same way.
    let admins = auth.require(|c: &RegisteredClaims| c.sub.as_deref() == Some("admin"));
    let app: axum::Router = axum::Router::new()
        .route("/admin", post(|| async { "ok" }))
        .route_layer(admins)
        .layer(auth);
    let request = http::Request::post("/admin")
        .header("authorization", format!("Bearer {}", hs256(&claims())))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        app.oneshot(request).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_responder_that_builds_its_own_response_keeps_the_rejection_contract() {
    use tower_jwt_auth::{rejection::Rejection, AuthError, AuthErrorKind};
    // A closure responder that ignores Rejection::into_response entirely.
    let responder = |rejection: Rejection| {
        http::Response::builder()
            .status(rejection.error().status())
            .body(format!("nope: {}", rejection.error()))
            .unwrap()
    };
    let layer = builder_for(Algorithm::HS256)
        .realm("shop")
        .responder(responder)
        .build()
        .unwrap();
    let mut expired = claims();
    expired["exp"] = json!(now() - 3600);
    let response = send(&layer, bearer(&hs256(&expired))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.body().starts_with("nope"));
    assert_eq!(
        response.extensions().get::<AuthError>().map(|e| e.kind()),
        Some(AuthErrorKind::Expired),
        "the AuthError is inserted by the layer"
    );
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"shop\"") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    // The same for a derived per-route layer.
    let stack = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .layer(layer.require_scopes(["admin"]));
    let forbidden = send(&stack, bearer(&hs256(&claims()))).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(forbidden.extensions().get::<AuthError>().is_some());
    assert!(forbidden.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
}

/// Scope literals need no `?`: a bad one stops the program where the router is built, naming the scope.
#[test]
#[should_panic(expected = "JwtAuthLayer::require_scopes: invalid scope `orders write`")]
fn per_route_scope_literal_that_is_not_a_scope_token_panics_at_start_up() {
    let auth = builder_for(Algorithm::HS256).build().unwrap();
    let _ = auth.require_scopes(["orders write"]);
}

/// Configured scopes go through `try_require_scopes`: the same rule as an error, and valid ones still check.
#[tokio::test]
async fn configured_scopes_are_checked_without_a_panic() {
    let auth = builder_for(Algorithm::HS256).build().unwrap();
    assert!(matches!(
        auth.try_require_scopes(["quote\""]),
        Err(ConfigError::InvalidScope(scope)) if scope == "quote\""
    ));
    let needs_admin = auth.try_require_scopes("read admin".split(' ')).unwrap();
    let stack = tower::ServiceBuilder::new().layer(auth).layer(needs_admin);
    let response = send(&stack, bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"read admin\""));
}
