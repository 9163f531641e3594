//! Certificate-bound sessions keep every lifecycle guarantee: sliding renews a bound token into a token bound to
//! the same certificate, and a logout refuses the session's access tokens and its refresh token, with the
//! certificate as without.

use std::time::Duration;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::certificate::{ClientCertificate, ClientCertificates};
use tower_jwt_auth::session::{LoginOptions, RefreshOptions, SessionError};
use tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER;
use tower_jwt_auth::testing::{claims_of, Harness};

use crate::common::sessions::{memory_store_under_test, redis_store_under_test};
use crate::common::tls::Pki;
use crate::fixtures::{app, verified_info};

/// `method path` with `token`, over a connection whose certificate is `certificate` (as the acceptor puts it).
async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    certificate: &ClientCertificate,
) -> http::Response<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(certificate.clone());
    app.clone().oneshot(request).await.unwrap()
}

async fn bound_sessions_slide_and_end(h: Harness) {
    let pki = Pki::new();
    let (alice, mallory) = (
        pki.client("alice").certificate(),
        pki.client("mallory").certificate(),
    );
    let app = app(&h, Some(ClientCertificates::tls()));
    let options = LoginOptions::new().client_certificate(&alice);
    let pair = h
        .sessions
        .login_with_options("alice", &json!({}), options)
        .await
        .unwrap();
    // Past half of the 10-minute lifetime: a sliding action renews the token, bound to the same certificate.
    h.clock.advance(6 * 60);
    assert_eq!(
        send(&app, "POST", "/posts", pair.access_token(), &mallory)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let response = send(&app, "POST", "/posts", pair.access_token(), &alice).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let renewed = response.headers()[DEFAULT_SLIDING_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&renewed)["cnf"]["x5t#S256"], alice.thumbprint());
    assert!(claims_of(&renewed)["exp"].as_i64() > claims_of(pair.access_token())["exp"].as_i64());
    assert_eq!(
        send(&app, "GET", "/me", &renewed, &alice).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "GET", "/me", &renewed, &mallory).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A logout ends the bound session: every token of it is refused, the holder's certificate changes nothing.
    h.sessions
        .logout(&verified_info(&h, pair.access_token(), Some(&alice)).await)
        .await
        .unwrap();
    for token in [pair.access_token(), renewed.as_str()] {
        assert_eq!(
            send(&app, "GET", "/me", token, &alice).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refreshed = h
        .sessions
        .refresh_with_options(
            pair.refresh_token(),
            RefreshOptions::new().client_certificate(&alice),
        )
        .await;
    assert!(matches!(refreshed, Err(SessionError::InvalidGrant)));
}

#[tokio::test]
async fn bound_sessions_slide_and_end_on_the_memory_store() {
    bound_sessions_slide_and_end(Harness::new(memory_store_under_test(), Duration::ZERO)).await;
}

#[tokio::test]
async fn bound_sessions_slide_and_end_on_redis() {
    let Some(store) = redis_store_under_test().await else {
        return; // said loudly by the server helper (and a failure under CI)
    };
    bound_sessions_slide_and_end(Harness::new(store, Duration::ZERO)).await;
}
