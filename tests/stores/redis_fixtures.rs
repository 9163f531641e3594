//! What the Redis store files share: the feed's lag, an app on a Redis store with its sessions, requests
//! through it, and a token's session id.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use common::*;
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_jwt_auth::{
    session::RefreshEndpoint, Algorithm, JwtAuthLayer, RedisStore, Sessions, SigningKey,
    TokenIssuer, VerificationKey,
};

/// How long the revocation feed may be silent in these tests before checks fail closed.
pub(crate) const FEED_LAG: Duration = Duration::from_secs(2);

/// The layer, a `/me` route and the refresh endpoint over one Redis store, with the system clock.
pub(crate) async fn app(url: &str, prefix: &str) -> (Router, Sessions, RedisStore) {
    let store = RedisStore::builder(url)
        .prefix(prefix)
        .timeout(Duration::from_millis(300))
        .max_feed_lag(FEED_LAG)
        .build()
        .await
        .unwrap();
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    // A shared store: every instance (and every restart) uses the same successor key.
    let sessions = Sessions::builder(issuer, store.clone())
        .successor_key([8; 32])
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let router = Router::new()
        .route("/me", axum::routing::get(|| async { "me" }).layer(layer))
        .route_service("/refresh", RefreshEndpoint::new(sessions.clone()));
    (router, sessions, store)
}

pub(crate) async fn me(router: &Router, token: &str) -> StatusCode {
    let request = Request::get("/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    router.clone().oneshot(request).await.unwrap().status()
}

pub(crate) async fn refresh(router: &Router, token: &str) -> (StatusCode, serde_json::Value) {
    let body = serde_json::json!({ "refresh_token": token }).to_string();
    let request = Request::post("/refresh")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

pub(crate) fn sid_of(access_token: &str) -> String {
    payload(access_token)["sid"].as_str().unwrap().to_owned()
}
