//! The refresh endpoint (RFC 6749 §5–6, RFC 9700), mounted on an axum router: the scope carried unchanged, the
//! old refresh token discarded, only a hash of its secret stored, responses not cached, malformed requests
//! refused precisely, rotation and reuse, idle expiry and security events.

use crate::common;

use std::time::Duration;

use crate::endpoint_fixtures::{app, call, json_of, logged_in, post};
use axum::body::Body;
use common::payload;
use common::sessions::{fixture, fixture_with};
use http::{Request, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn item_53_rfc6749_6_scope_is_carried_unchanged() {
    let f = fixture(Duration::ZERO);
    let app = app(f.sessions.clone());
    let pair = f
        .sessions
        .login("alice", &json!({ "scope": "read" }))
        .await
        .unwrap();
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&scope=read+admin",
        pair.refresh_token()
    );
    let (status, _, text) = call(
        &app,
        post("/refresh", "application/x-www-form-urlencoded", form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        payload(json_of(&text)["access_token"].as_str().unwrap())["scope"],
        "read",
        "never widened"
    );
}

#[tokio::test]
async fn item_54_rfc6749_6_the_old_refresh_token_is_discarded() {
    let (f, _, pair) = logged_in().await;
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    assert_ne!(next.refresh_token(), pair.refresh_token());
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
}

#[tokio::test]
async fn item_55_rfc6749_10_4_only_a_hash_of_the_secret_is_stored() {
    let store = common::observed_store::ObservedStore::default();
    let seen = store.writes.clone();
    let f = fixture_with(std::sync::Arc::new(store), Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    let secret = |token: &str| token.rsplit('.').next().unwrap().to_owned();
    for record in seen.lock().unwrap().iter() {
        for token in [pair.refresh_token(), next.refresh_token()] {
            assert!(
                !record.contains(&secret(token)),
                "a plaintext secret reached the store"
            );
        }
    }
    assert!(!seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn item_56_rfc6749_5_1_token_responses_are_not_cached() {
    let (_f, app, pair) = logged_in().await;
    let body = json!({ "refresh_token": pair.refresh_token() }).to_string();
    let (status, headers, text) = call(&app, post("/refresh", "application/json", body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["token_type"], "Bearer");
    let next = json["refresh_token"].as_str().unwrap().to_owned();

    let form = format!("grant_type=refresh_token&refresh_token={next}");
    let (status, _, text) = call(
        &app,
        post(
            "/refresh",
            "application/x-www-form-urlencoded; charset=utf-8",
            form,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");

    // The first token again: reuse → invalid_grant.
    let body = json!({ "refresh_token": pair.refresh_token() }).to_string();
    let (status, headers, text) = call(&app, post("/refresh", "application/json", body)).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::BAD_REQUEST, r#"{"error":"invalid_grant"}"#)
    );
    assert_eq!(headers["cache-control"], "no-store");
    // An unknown refresh token (RFC 6749 §5.2).
    let body = json!({ "refresh_token": "rt_bad" }).to_string();
    let (status, _, text) = call(&app, post("/refresh", "application/json", body)).await;
    assert_eq!(
        (status, json_of(&text)["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn refresh_rejects_malformed_requests_precisely() {
    let f = fixture(Duration::ZERO);
    let app = app(f.sessions.clone());
    let cases = [
        (
            post("/refresh", "application/json", "{not json".into()),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            post("/refresh", "application/json", "{}".into()),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            post("/refresh", "text/plain", "x".into()),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            post(
                "/refresh",
                "application/x-www-form-urlencoded",
                "refresh_token=x".into(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            post(
                "/refresh",
                "application/x-www-form-urlencoded",
                "grant_type=password&username=a".into(),
            ),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            post(
                "/refresh",
                "application/json",
                r#"{"refresh_token":"rt_nope"}"#.into(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            post(
                "/refresh",
                "application/json",
                format!(r#"{{"refresh_token":"{}"}}"#, "x".repeat(20_000)),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Request::get("/refresh").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
        ),
    ];
    for (request, status, code) in cases {
        let (got, _, text) = call(&app, request).await;
        assert_eq!(got, status, "{text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"], code);
    }
}

#[tokio::test]
async fn item_58_rfc9700_2_2_2_rotation_and_reuse_revokes_the_active_token() {
    let (f, _, r1) = logged_in().await;
    let r2 = f.sessions.refresh(r1.refresh_token()).await.unwrap();
    assert!(f.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        f.sessions.refresh(r2.refresh_token()).await.is_err(),
        "R2 stops working"
    );
    assert_eq!(
        f.status(r2.access_token()).await,
        StatusCode::UNAUTHORIZED,
        "and its access token"
    );
}

#[tokio::test]
async fn item_59_rfc9700_4_14_2_idle_expiry_and_security_events() {
    let (f, _, idle) = logged_in().await;
    f.clock.advance(3600);
    assert!(
        f.sessions.refresh(idle.refresh_token()).await.is_err(),
        "idle for the refresh TTL"
    );
    let active = f.sessions.login("alice", &()).await.unwrap();
    f.clock.advance(1);
    f.sessions.logout_all("alice").await.unwrap(); // e.g. on a password change
    assert!(f.sessions.refresh(active.refresh_token()).await.is_err());
}
