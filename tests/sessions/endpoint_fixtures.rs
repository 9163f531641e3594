//! What the endpoint files share: an axum router with the refresh and revoke endpoints, posting to it, a
//! revocation, the JSON of a body, and a logged-in fixture.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use common::sessions::fixture;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::{session::RefreshEndpoint, session::RevokeEndpoint, Sessions};

pub(crate) fn app(sessions: Sessions) -> Router {
    Router::new()
        .route_service("/refresh", RefreshEndpoint::new(sessions.clone()))
        .route_service("/revoke", RevokeEndpoint::new(sessions))
}

pub(crate) fn post(uri: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

pub(crate) async fn call(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(),
    )
}

/// `POST /revoke` with this form body.
pub(crate) async fn revoke(app: &Router, form: &str) -> (StatusCode, http::HeaderMap, String) {
    call(
        app,
        post(
            "/revoke",
            "application/x-www-form-urlencoded",
            form.to_owned(),
        ),
    )
    .await
}

/// A response body as JSON.
pub(crate) fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A memory fixture, its endpoints, and a session of alice.
pub(crate) async fn logged_in() -> (common::sessions::Fixture, Router, tower_jwt_auth::TokenPair) {
    let f = fixture(Duration::ZERO);
    let app = app(f.sessions.clone());
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    (f, app, pair)
}
