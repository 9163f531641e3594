//! `SessionError` and `IssueError` as axum responses: a handler returning `Result<Json<TokenPair>, SessionError>`
//! answers each failure with its RFC 6749 status and body (`error`, `error_description`), `Cache-Control:
//! no-store`, `Retry-After` when the store is down, and no internals.

use crate::common;

use std::time::Duration;

use axum::extract::State;
use axum::routing::post as post_route;
use axum::{Json, Router};
use common::sessions::{fixture, system_issuer};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tower_jwt_auth::issuer::IssueError;
use tower_jwt_auth::session::SessionError;
use tower_jwt_auth::{testing, Sessions, TokenPair};

use crate::endpoint_errors::DownStore;
use crate::endpoint_fixtures::{app as endpoints, call, json_of, post};

async fn refresh(
    State(sessions): State<Sessions>,
    Json(body): Json<Value>,
) -> Result<Json<TokenPair>, SessionError> {
    let token = body["refresh_token"].as_str().unwrap_or_default();
    Ok(Json(sessions.refresh(token).await?))
}

/// The pair is a response itself: no `Json(..)` around it.
async fn login(
    State(sessions): State<Sessions>,
    Json(claims): Json<Value>,
) -> Result<TokenPair, SessionError> {
    sessions.login("alice", &claims).await
}

async fn logout(
    State(sessions): State<Sessions>,
    Json(claims): Json<Value>,
) -> Result<StatusCode, SessionError> {
    sessions.logout(&testing::token_info(&claims)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn issue(Json(claims): Json<Value>) -> Result<String, IssueError> {
    Ok(system_issuer().issue("alice", &claims)?.into_string())
}

fn router(sessions: Sessions) -> Router {
    Router::new()
        .route("/refresh", post_route(refresh))
        .route("/login", post_route(login))
        .route("/logout", post_route(logout))
        .route("/issue", post_route(issue))
        .with_state(sessions)
}

async fn send(app: &Router, uri: &str, body: Value) -> (StatusCode, HeaderMap, String) {
    call(app, post(uri, "application/json", body.to_string())).await
}

/// `POST /refresh` with this refresh token.
async fn post_refresh(app: &Router, token: &str) -> (StatusCode, HeaderMap, String) {
    send(app, "/refresh", json!({ "refresh_token": token })).await
}

/// The answer is an OAuth error with this status and code, a description, and never cached.
fn assert_oauth_error(answer: &(StatusCode, HeaderMap, String), status: StatusCode, code: &str) {
    let (got, headers, text) = answer;
    assert_eq!(*got, status, "{text}");
    let body = json_of(text);
    assert_eq!(body["error"], code, "{text}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{text}"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only error and error_description: {text}"
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers.contains_key("retry-after"),
        status == StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn invalid_reused_and_expired_refresh_tokens_are_400_invalid_grant() {
    let f = fixture(Duration::ZERO);
    let app = router(f.sessions.clone());
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    let (status, _, text) = post_refresh(&app, pair.refresh_token()).await;
    assert_eq!(status, StatusCode::OK, "a genuine token refreshes: {text}");
    let next = json_of(&text)["refresh_token"].as_str().unwrap().to_owned();

    let invalid = post_refresh(&app, "not-a-token").await;
    assert_oauth_error(&invalid, StatusCode::BAD_REQUEST, "invalid_grant");
    let reused = post_refresh(&app, pair.refresh_token()).await;
    assert_oauth_error(&reused, StatusCode::BAD_REQUEST, "invalid_grant");
    let family = post_refresh(&app, &next).await;
    assert_oauth_error(&family, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        json_of(&reused.2),
        json_of(&invalid.2),
        "reuse says no more than invalid"
    );

    let f = fixture(Duration::ZERO);
    let app = router(f.sessions.clone());
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    f.clock.advance(5 * 3600);
    let expired = post_refresh(&app, pair.refresh_token()).await;
    assert_oauth_error(&expired, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn an_unavailable_store_is_503_with_retry_after_and_no_store_message() {
    let working = fixture(Duration::ZERO)
        .sessions
        .login("alice", &json!({}))
        .await
        .unwrap();
    let sessions = Sessions::builder(system_issuer(), DownStore)
        .successor_key([1; 32])
        .build()
        .unwrap();
    let answer = post_refresh(&router(sessions.clone()), working.refresh_token()).await;
    assert_oauth_error(
        &answer,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    );
    assert_eq!(answer.1["retry-after"], "5");
    assert!(!answer.2.contains("connection refused"), "{}", answer.2);

    // The refresh endpoint's answer stays as it was: no description, no Retry-After.
    let body = json!({ "refresh_token": working.refresh_token() }).to_string();
    let (status, headers, text) = call(
        &endpoints(sessions),
        post("/refresh", "application/json", body),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"temporarily_unavailable"}"#
        )
    );
    assert!(!headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_token_that_cannot_be_issued_is_500_without_internals() {
    let f = fixture(Duration::ZERO);
    let app = router(f.sessions.clone());
    let reserved = send(&app, "/login", json!({ "sub": "mallory" })).await;
    assert_oauth_error(&reserved, StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    assert!(
        !reserved.2.contains("sub") && !reserved.2.contains("mallory"),
        "{}",
        reserved.2
    );
    let not_an_object = send(&app, "/login", json!(42)).await;
    assert_oauth_error(
        &not_an_object,
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
    );

    let issued = send(&app, "/issue", json!({ "sub": "mallory" })).await;
    assert_oauth_error(&issued, StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    assert_eq!(
        issued.2, reserved.2,
        "an IssueError answers as the SessionError it becomes"
    );
    let (status, _, _) = send(&app, "/issue", json!({ "role": "admin" })).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_without_a_session_is_400_unsupported_token_type() {
    let f = fixture(Duration::ZERO);
    let app = router(f.sessions.clone());
    let no_session = send(&app, "/logout", json!({ "sub": "alice" })).await;
    assert_oauth_error(
        &no_session,
        StatusCode::BAD_REQUEST,
        "unsupported_token_type",
    );
    let unverified = json!({ "sub": "alice", "sid": "s1", "iss": common::ISSUER });
    let not_verified = send(&app, "/logout", unverified).await;
    assert_oauth_error(
        &not_verified,
        StatusCode::BAD_REQUEST,
        "unsupported_token_type",
    );
    let (status, _, _) = send(&app, "/logout", json!({ "sub": "alice", "jti": "j1" })).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_token_pair_answers_as_an_oauth_token_response() {
    let f = fixture(Duration::ZERO);
    let app = router(f.sessions.clone());
    let (status, headers, text) = send(&app, "/login", json!({ "scope": "read" })).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let body = json_of(&text);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().is_some_and(|s| s > 0));
    let refreshed = f
        .sessions
        .refresh(body["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    let (_, info) = f.layer.verify_token(refreshed.access_token()).unwrap();
    assert_eq!(info.subject(), Some("alice"));
    assert!(f
        .layer
        .verify_token(body["access_token"].as_str().unwrap())
        .is_ok());
}
