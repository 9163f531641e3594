//! `LogoutEndpoint` behind the layer on an axum router: it ends the token's session (or, `everywhere`, every
//! session of its subject, for the sessions' own tokens only), answers 405 to other methods, and a 500 naming
//! the wiring when no verified token reached it.

use std::time::Duration;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::session::{LogoutEndpoint, SessionError};
use tower_jwt_auth::JwtAuthLayer;

use crate::common::sessions::fixture;
use crate::common::AUDIENCE;
use crate::fixtures::{partner_keys, partner_token, scope, PARTNER};

fn router(layer: JwtAuthLayer, sessions: &tower_jwt_auth::Sessions) -> Router {
    Router::new()
        .route("/me", get(|| async { "me" }))
        .route_service("/logout", LogoutEndpoint::new(sessions.clone()))
        .route_service(
            "/logout-all",
            LogoutEndpoint::new(sessions.clone()).everywhere(),
        )
        .route_layer(layer)
}

async fn call(app: &Router, method: Method, uri: &str, token: &str) -> http::Response<Body> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn logout_ends_the_tokens_session_and_logout_all_every_session_of_its_subject() {
    let f = fixture(Duration::ZERO);
    let app = router(f.layer.clone(), &f.sessions);
    let phone = f.sessions.login("alice", &scope()).await.unwrap();
    let laptop = f.sessions.login("alice", &scope()).await.unwrap();
    let bob = f.sessions.login("bob", &scope()).await.unwrap();

    let answer = call(&app, Method::POST, "/logout", phone.access_token()).await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let me = |token: String| {
        let app = app.clone();
        async move { call(&app, Method::GET, "/me", &token).await.status() }
    };
    assert_eq!(
        me(phone.access_token().into()).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        f.sessions.refresh(phone.refresh_token()).await,
        Err(SessionError::InvalidGrant)
    ));
    assert_eq!(
        me(laptop.access_token().into()).await,
        StatusCode::OK,
        "another session goes on"
    );

    let answer = call(&app, Method::POST, "/logout-all", laptop.access_token()).await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(laptop.access_token().into()).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(f.sessions.refresh(laptop.refresh_token()).await.is_err());
    assert_eq!(
        me(bob.access_token().into()).await,
        StatusCode::OK,
        "only alice"
    );
    f.clock.advance(1);
    let again = f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(me(again.access_token().into()).await, StatusCode::OK);
}

#[tokio::test]
async fn other_methods_are_405_and_a_missing_token_is_the_layers_401() {
    let f = fixture(Duration::ZERO);
    let app = router(f.layer.clone(), &f.sessions);
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let answer = call(&app, Method::GET, "/logout", pair.access_token()).await;
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers()["allow"], "POST");
    let anonymous = Request::post("/logout").body(Body::empty()).unwrap();
    let answer = app.clone().oneshot(anonymous).await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().contains_key("www-authenticate"));
    assert_eq!(
        call(&app, Method::GET, "/me", pair.access_token())
            .await
            .status(),
        StatusCode::OK,
        "nothing was logged out"
    );
}

#[tokio::test]
async fn mounted_without_the_layer_it_is_a_500_and_logs_nobody_out() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let unprotected =
        Router::new().route_service("/logout", LogoutEndpoint::new(f.sessions.clone()));
    let answer = call(&unprotected, Method::POST, "/logout", pair.access_token()).await;
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .unwrap();
    assert!(body.to_bytes().is_empty(), "nothing of the wiring is sent");
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_ok());
}

/// A partner's `alice` may log out its own token, never every session of the local `alice`.
#[tokio::test]
async fn a_partner_token_cannot_log_the_local_subject_out_everywhere() {
    let f = fixture(Duration::ZERO);
    let layer = JwtAuthLayer::for_sessions(&f.sessions)
        .trust_issuer(PARTNER, partner_keys())
        .build()
        .unwrap();
    let app = router(layer, &f.sessions);
    let local = f.sessions.login("alice", &scope()).await.unwrap();
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let partner = partner_token(&json!({
        "iss": PARTNER, "aud": AUDIENCE, "sub": "alice", "iat": t, "exp": t + 60, "jti": "partner-2"
    }));
    let answer = call(&app, Method::POST, "/logout-all", &partner).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body.to_bytes()).unwrap();
    assert_eq!(body["error"], "unsupported_token_type");
    assert_eq!(
        call(&app, Method::GET, "/me", local.access_token())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::POST, "/logout", &partner).await.status(),
        StatusCode::NO_CONTENT,
        "its own token it may end"
    );
    assert_eq!(
        call(&app, Method::GET, "/me", &partner).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
