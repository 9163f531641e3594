//! Step-up on the resource side (RFC 9470): a per-route requirement derived from the layer refuses a token
//! whose `acr` is not accepted or whose `auth_time` is too old with 401 `insufficient_user_authentication`,
//! naming only the parameters the requirement has (`acr_values`, `max_age`) — parsed back here — for HTTP and
//! gRPC clients alike; and what it can't express is a build error.

use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::authorize::StepUp;
use tower_jwt_auth::session::LoginOptions;
use tower_jwt_auth::testing::Harness;
use tower_jwt_auth::{ConfigError, JwtAuthLayer};

use crate::common::sessions::memory_store_under_test;
use crate::fixtures::{challenge_params, layer};

const MFA: &str = "urn:x:mfa";

fn payments(auth: &JwtAuthLayer, step_up: StepUp) -> Router {
    Router::new()
        .route("/payments", post(|| async { StatusCode::CREATED }))
        .route_layer(auth.require_authentication(step_up))
        .route_layer(auth.require_scopes(["write"]))
        .layer(auth.clone())
}

async fn login(h: &Harness, acr: &str, scope: &str) -> String {
    let options = LoginOptions::new().acr(acr).amr(["pwd"]);
    let claims = json!({ "scope": scope });
    let pair = h
        .sessions
        .login_with_options("alice", &claims, options)
        .await
        .unwrap();
    pair.access_token().to_owned()
}

async fn pay(app: &Router, token: &str, grpc: bool) -> http::Response<Body> {
    let mut request = Request::post("/payments").header("authorization", format!("Bearer {token}"));
    if grpc {
        request = request.header("content-type", "application/grpc");
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn challenge(
    response: &http::Response<Body>,
) -> (String, std::collections::HashMap<String, String>) {
    challenge_params(response.headers()["www-authenticate"].to_str().unwrap())
}

#[tokio::test]
async fn weak_or_old_authentication_gets_the_rfc_9470_challenge() {
    let h = Harness::new(memory_store_under_test(), Duration::ZERO);
    let auth = layer(&h, None);
    let app = payments(
        &auth,
        StepUp::new()
            .acr_values([MFA])
            .max_age(Duration::from_secs(300)),
    );
    let strong = login(&h, MFA, "write").await;
    assert_eq!(
        pay(&app, &strong, false).await.status(),
        StatusCode::CREATED
    );

    let weak = login(&h, "urn:x:pwd", "write").await;
    let refused = pay(&app, &weak, false).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (scheme, params) = challenge(&refused);
    assert_eq!(scheme, "Bearer");
    assert_eq!(params["error"], "insufficient_user_authentication");
    assert_eq!(params["acr_values"], MFA);
    assert_eq!(params["max_age"], "300");
    assert_eq!(params["realm"], "api");
    assert!(!params["error_description"].is_empty());
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("max_age=300"));

    // Five minutes later the strong login is too old: the same challenge.
    h.clock.advance(300);
    assert_eq!(
        pay(&app, &strong, false).await.status(),
        StatusCode::CREATED
    );
    h.clock.advance(1);
    let stale = pay(&app, &strong, false).await;
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&stale).1["max_age"], "300");

    // The scope is checked first: stepping up would not help a token without it.
    let read_only = login(&h, MFA, "read").await;
    let forbidden = pay(&app, &read_only, false).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert_eq!(challenge(&forbidden).1["error"], "insufficient_scope");
}

#[tokio::test]
async fn the_challenge_names_only_the_parameters_the_requirement_has() {
    let h = Harness::new(memory_store_under_test(), Duration::ZERO);
    let auth = layer(&h, None);
    let weak = login(&h, "urn:x:pwd", "write").await;
    let acr_only = pay(
        &payments(&auth, StepUp::new().acr_values([MFA, "urn:x:hwk"])),
        &weak,
        false,
    )
    .await;
    let (_, params) = challenge(&acr_only);
    assert_eq!(params["acr_values"], "urn:x:mfa urn:x:hwk");
    assert!(!params.contains_key("max_age"));

    h.clock.advance(61);
    let age_only = pay(
        &payments(&auth, StepUp::new().max_age(Duration::from_secs(60))),
        &weak,
        false,
    )
    .await;
    let (_, params) = challenge(&age_only);
    assert_eq!(params["max_age"], "60");
    assert!(!params.contains_key("acr_values"));
    // A token without acr or auth_time never satisfies a requirement on them.
    let bare = h
        .sessions
        .issuer()
        .issue("alice", &json!({ "scope": "write" }))
        .unwrap();
    let app = payments(&auth, StepUp::new().acr_values([MFA]));
    assert_eq!(
        pay(&app, bare.as_str(), false).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn grpc_clients_get_unauthenticated_with_the_challenge() {
    let h = Harness::new(memory_store_under_test(), Duration::ZERO);
    let auth = layer(&h, None);
    let app = payments(
        &auth,
        StepUp::new()
            .acr_values([MFA])
            .max_age(Duration::from_secs(300)),
    );
    let weak = login(&h, "urn:x:pwd", "write").await;
    let refused = pay(&app, &weak, true).await;
    assert_eq!(refused.headers()["grpc-status"], "16", "UNAUTHENTICATED");
    let (_, params) = challenge(&refused);
    assert_eq!(params["error"], "insufficient_user_authentication");
    assert_eq!(params["acr_values"], MFA);
}

#[test]
fn requirements_that_ask_nothing_or_cannot_be_said_are_build_errors() {
    let h = Harness::new(memory_store_under_test(), Duration::ZERO);
    let auth = layer(&h, None);
    let nothing = auth.try_require_authentication(StepUp::new()).unwrap_err();
    assert!(matches!(nothing, ConfigError::Missing(_)), "{nothing}");
    for bad in ["", "two words", "quote\"d"] {
        let error = auth
            .try_require_authentication(StepUp::new().acr_values([bad]))
            .unwrap_err();
        assert_eq!(error.setting(), Some("StepUp::acr_values"), "{bad:?}");
    }
}

#[test]
#[should_panic(expected = "JwtAuthLayer::require_authentication")]
fn a_requirement_written_in_code_that_asks_nothing_stops_the_program_at_start_up() {
    let h = Harness::new(memory_store_under_test(), Duration::ZERO);
    let _ = layer(&h, None).require_authentication(StepUp::new());
}
