//! The WebSocket handshake sources at the layer: only `GET` with `Upgrade: websocket`, the query token taken
//! out of the URI the inner service sees, the subprotocol pair cut to `access_token` and selected in the
//! `101` answer. (A real WebSocket client drives them against the demo: tests/demo/demo_websocket.rs.)

use axum::body::Body;
use axum::extract::OriginalUri;
use axum::routing::{any, get};
use axum::Router;
use http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt;

use crate::browser_fixtures::browser_app;

/// The app's layer around a handler that reports the URI and `Sec-WebSocket-Protocol` it was handed, and
/// `/switch`, which answers `101` as an upgrade would.
async fn app() -> (Router, String) {
    let app = browser_app();
    let pair = app
        .sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let seen = |uri: OriginalUri, headers: HeaderMap| async move {
        let protocol = headers
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        format!("{} | {protocol}", uri.0)
    };
    let switch = || async { (StatusCode::SWITCHING_PROTOCOLS, "") };
    let layer = tower_jwt_auth::JwtAuthLayer::builder()
        .sessions(&app.sessions)
        .browser_sessions(&app.browser)
        .websocket_query_token()
        .websocket_protocol_token()
        .build()
        .unwrap();
    let router = Router::new()
        .route("/seen", any(seen))
        .route("/switch", get(switch))
        .layer(layer);
    (router, pair.access_token().to_owned())
}

fn handshake(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
}

async fn answer(
    router: &Router,
    request: http::request::Builder,
) -> (StatusCode, HeaderMap, String) {
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn query_token_only_on_upgrades_and_never_seen_by_the_inner_service() {
    let (router, token) = app().await;
    let (status, _, seen) = answer(
        &router,
        handshake("GET", &format!("/seen?a=1&access_token={token}&b=2")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen, "/seen?a=1&b=2 | ", "the token is redacted");
    assert!(!seen.contains(&token));
    // Not an upgrade, or not a GET: the parameter is no token.
    let plain = Request::get(format!("/seen?access_token={token}"));
    assert_eq!(answer(&router, plain).await.0, StatusCode::UNAUTHORIZED);
    let post = handshake("POST", &format!("/seen?access_token={token}"));
    assert_eq!(answer(&router, post).await.0, StatusCode::UNAUTHORIZED);
    // Beside a bearer header, on an upgrade or not: two methods, 400.
    for request in [
        handshake("GET", &format!("/seen?access_token={token}")),
        Request::get(format!("/seen?access_token={token}")),
    ] {
        let both = request.header("authorization", format!("Bearer {token}"));
        assert_eq!(answer(&router, both).await.0, StatusCode::BAD_REQUEST);
    }
    let twice = handshake(
        "GET",
        &format!("/seen?access_token={token}&access_token={token}"),
    );
    assert_eq!(answer(&router, twice).await.0, StatusCode::BAD_REQUEST);
    let bad = handshake("GET", "/seen?access_token=not.a.token");
    assert_eq!(answer(&router, bad).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn protocol_token_only_on_upgrades_cut_from_the_header_and_selected_in_the_answer() {
    let (router, token) = app().await;
    let offer = format!("access_token, {token}");
    let (status, _, seen) = answer(
        &router,
        handshake("GET", "/seen").header("sec-websocket-protocol", &offer),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        seen, "/seen | access_token",
        "the token is cut from the header"
    );
    let (status, headers, _) = answer(
        &router,
        handshake("GET", "/switch").header("sec-websocket-protocol", &offer),
    )
    .await;
    assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(headers["sec-websocket-protocol"], "access_token");
    let plain = Request::get("/seen").header("sec-websocket-protocol", &offer);
    assert_eq!(answer(&router, plain).await.0, StatusCode::UNAUTHORIZED);
    let no_token = handshake("GET", "/seen").header("sec-websocket-protocol", "access_token");
    assert_eq!(answer(&router, no_token).await.0, StatusCode::BAD_REQUEST);
    // A layer that did not opt in reads neither.
    let app = browser_app();
    let strict = Router::new().route("/seen", get(|| async { "in" })).layer(
        tower_jwt_auth::JwtAuthLayer::builder()
            .sessions(&app.sessions)
            .build()
            .unwrap(),
    );
    let query = handshake("GET", &format!("/seen?access_token={token}"));
    assert_eq!(answer(&strict, query).await.0, StatusCode::UNAUTHORIZED);
    let protocol = handshake("GET", "/seen").header("sec-websocket-protocol", &offer);
    assert_eq!(answer(&strict, protocol).await.0, StatusCode::UNAUTHORIZED);
}
