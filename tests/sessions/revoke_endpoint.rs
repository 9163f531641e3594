//! The revocation endpoint (RFC 7009): the request, 200 and an empty body for unknown tokens, a refresh token's
//! access tokens revoked with it, access tokens revoked with their session, `unsupported_token_type`, tokens
//! that can't be revoked, and 503 when keys can't be fetched.

use crate::common;

use std::time::Duration;

use crate::endpoint_fixtures::{app, call, json_of, logged_in, post, revoke};
use axum::Router;
use common::sessions::fixture;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::session::RevokeEndpoint;

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
