//! The refresh (RFC 6749 §5–6) and revocation (RFC 7009) endpoints, mounted on an axum router, and the
//! refresh-token rules behind them (rotation, reuse, idle expiry, hashed storage: RFC 6749 §10.4, RFC 9700).

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use common::payload;
use common::sessions::{fixture, fixture_with, system_issuer};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::{
    session::RefreshEndpoint, session::RevokeEndpoint, store::Lookup, store::NewSession,
    store::RevocationCheck, store::RotateOutcome, store::RotateRequest, store::StoreError,
    store::StoreFuture, SessionStore, Sessions, TokenInfo,
};

fn app(sessions: Sessions) -> Router {
    Router::new()
        .route_service("/refresh", RefreshEndpoint::new(sessions.clone()))
        .route_service("/revoke", RevokeEndpoint::new(sessions))
}

fn post(uri: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(),
    )
}

/// `POST /revoke` with this form body.
async fn revoke(app: &Router, form: &str) -> (StatusCode, http::HeaderMap, String) {
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
fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A memory fixture, its endpoints, and a session of alice.
async fn logged_in() -> (common::sessions::Fixture, Router, tower_jwt_auth::TokenPair) {
    let f = fixture(Duration::ZERO);
    let app = app(f.sessions.clone());
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    (f, app, pair)
}

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

#[tokio::test]
async fn item_61_rfc7009_2_1_revocation_request() {
    let (f, app, pair) = logged_in().await;
    let form = format!(
        "token={}&token_type_hint=refresh_token",
        pair.refresh_token()
    );
    let (status, _, _) = revoke(&app, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        f.sessions.refresh(pair.refresh_token()).await.is_err(),
        "the refresh token was revoked"
    );
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED,
        "and with it the session's access tokens"
    );
    // No `token` parameter.
    let (status, _, _) = revoke(&app, "nothing=here").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn item_62_rfc7009_2_2_unknown_tokens_get_200_and_an_empty_body() {
    let f = fixture(Duration::ZERO);
    let app = app(f.sessions.clone());
    for form in [
        "token=random-string",
        "token=rt_AAAA.BBBB.CCCC&token_type_hint=refresh_token",
    ] {
        let (status, _, text) = revoke(&app, form).await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, ""), "{form}");
    }
    // An endpoint that does not revoke access tokens says so rather than answer 200 for nothing.
    let (status, _, text) =
        revoke(&app, "token=rt_AAAA.BBBB.CCCC&token_type_hint=access_token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&text)["error"], "unsupported_token_type");
}

#[tokio::test]
async fn item_63_rfc7009_2_1_revoking_a_refresh_token_revokes_its_access_tokens() {
    let (f, app, pair) = logged_in().await;
    assert_eq!(f.status(pair.access_token()).await, StatusCode::OK);
    revoke(&app, &format!("token={}", pair.refresh_token())).await;
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

/// A store whose backend is down: every call fails.
struct DownStore;

impl RevocationCheck for DownStore {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Err(StoreError::new("down")))
    }
}

fn down<T: Send + 'static>() -> StoreFuture<T> {
    Box::pin(async { Err(StoreError::new("connection refused")) })
}

impl SessionStore for DownStore {
    fn create_session(&self, _: NewSession) -> StoreFuture<()> {
        down()
    }
    fn rotate(&self, _: RotateRequest) -> StoreFuture<RotateOutcome> {
        down()
    }
    fn revoke_session(&self, _: &str, _: i64) -> StoreFuture<()> {
        down()
    }
    fn revoke_refresh_token(&self, _: &str, _: u64, _: [u8; 32], _: i64) -> StoreFuture<bool> {
        down()
    }
    fn revoke_token(&self, _: &str, _: i64) -> StoreFuture<()> {
        down()
    }
    fn revoke_subject(&self, _: &str, _: &str, _: i64, _: i64) -> StoreFuture<()> {
        down()
    }
}

#[tokio::test]
async fn a_store_failure_is_503_at_every_endpoint() {
    let f = fixture(Duration::ZERO);
    let working = f.sessions.login("alice", &json!({})).await.unwrap();
    let sessions = Sessions::builder(system_issuer(), DownStore)
        .successor_key([1; 32])
        .build()
        .unwrap();
    assert!(matches!(
        sessions.login("alice", &()).await,
        Err(tower_jwt_auth::session::SessionError::Unavailable(_))
    ));
    let app = app(sessions);
    let body = json!({ "refresh_token": working.refresh_token() }).to_string();
    let (status, _, text) = call(&app, post("/refresh", "application/json", body)).await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"temporarily_unavailable"}"#
        )
    );
    let form = format!("token={}", working.refresh_token());
    let (status, _, _) = revoke(&app, &form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn json_bodies_that_are_not_objects_are_invalid_requests() {
    let (f, app, pair) = logged_in().await;
    let token = pair.refresh_token();
    for (uri, body) in [
        ("/refresh", format!(r#"["{token}"]"#)),
        ("/refresh", "\"x\"".to_owned()),
        ("/refresh", "42".to_owned()),
        ("/revoke", format!(r#"["{token}"]"#)),
        ("/revoke", "null".to_owned()),
        (
            "/refresh",
            format!(r#"{{"refresh_token":"x","refresh_token":"{token}"}}"#),
        ),
    ] {
        let (status, _, text) = call(&app, post(uri, "application/json", body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {body}");
        assert_eq!(json_of(&text)["error"], "invalid_request");
    }
    assert!(
        f.sessions.refresh(token).await.is_ok(),
        "nothing was refreshed or revoked by the arrays"
    );
}

/// The revocation endpoint with access-token support, verified by the fixture's layer.
fn revoking_app(f: &common::sessions::Fixture) -> Router {
    Router::new().route_service(
        "/revoke",
        RevokeEndpoint::new(f.sessions.clone()).with_access_tokens(f.layer.clone()),
    )
}

#[tokio::test]
async fn revoking_an_access_token_revokes_it_and_its_session() {
    let f = fixture(Duration::ZERO);
    let app = revoking_app(&f);
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    let other = f.sessions.login("alice", &json!({})).await.unwrap();
    assert_eq!(f.status(pair.access_token()).await, StatusCode::OK);
    for hint in [
        "&token_type_hint=access_token",
        "",
        "&token_type_hint=refresh_token",
    ] {
        let body = format!("token={}{hint}", pair.access_token());
        let (status, headers, text) = revoke(&app, &body).await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, ""), "{hint}");
        assert_eq!(headers["cache-control"], "no-store");
    }
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        f.sessions.refresh(pair.refresh_token()).await.is_err(),
        "its session ended with it"
    );
    assert_eq!(
        f.status(other.access_token()).await,
        StatusCode::OK,
        "other sessions stay"
    );
    // An invalid or foreign JWT is not an error (RFC 7009 §2.2) and revokes nothing.
    let forged = format!("{}x", other.access_token());
    let body = json!({ "token": forged, "token_type_hint": "access_token" }).to_string();
    let (status, _, _) = call(&app, post("/revoke", "application/json", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(f.status(other.access_token()).await, StatusCode::OK);
}

#[tokio::test]
async fn an_endpoint_without_access_token_support_says_unsupported_token_type() {
    let (f, app, pair) = logged_in().await;
    for body in [
        format!("token={}", pair.access_token()),
        format!("token={}&token_type_hint=access_token", pair.access_token()),
        "token=opaque&token_type_hint=access_token".to_owned(),
    ] {
        let (status, _, text) = revoke(&app, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json_of(&text)["error"], "unsupported_token_type");
    }
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::OK,
        "and nothing was revoked"
    );
}

#[tokio::test]
async fn an_access_token_that_names_no_session_or_jti_cannot_be_revoked() {
    let f = fixture(Duration::ZERO);
    let app = revoking_app(&f);
    let now = tower_jwt_auth::clock::Clock::now(&f.clock);
    let bare = common::hs256(&json!({
        "iss": common::ISSUER, "aud": common::AUDIENCE, "sub": "alice", "iat": now, "exp": now + 60
    }));
    assert_eq!(f.status(&bare).await, StatusCode::OK);
    let (status, _, text) = revoke(&app, &format!("token={bare}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("unsupported_token_type"));
}

#[tokio::test]
async fn revoking_an_access_token_whose_keys_cannot_be_fetched_is_503_not_200() {
    let f = fixture(Duration::ZERO);
    // A remote key set nobody serves: a closed loopback port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let layer = tower_jwt_auth::JwtAuthLayer::builder()
        .jwks(
            tower_jwt_auth::keys::Jwks::url(&format!("http://127.0.0.1:{port}/jwks.json"))
                .unwrap()
                .allow_http()
                .timeout(Duration::from_millis(300)),
        )
        .issuer(common::ISSUER)
        .audience(common::AUDIENCE)
        .build()
        .unwrap();
    let app = Router::new().route_service(
        "/revoke",
        RevokeEndpoint::new(f.sessions.clone()).with_access_tokens(layer),
    );
    let token = common::token_with(
        jsonwebtoken::Algorithm::RS256,
        json!({ "kid": "k1" }),
        &common::claims(),
    );
    let (status, _, text) = revoke(&app, &format!("token={token}")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(text.contains("temporarily_unavailable"));
}
