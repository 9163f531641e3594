//! The tower-http composition of examples/axum_tower_http.rs (included here as a module, so the example is
//! exactly what is tested): preflights, 404 and 405 stay themselves, CORS headers on 401s, the sliding header
//! exposed to browsers, and TraceLayer reading the AuthError.

use crate::common;

#[allow(dead_code)]
#[path = "../../examples/axum_tower_http.rs"]
mod example;

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use common::sessions::test_issuer;
use common::trace_recorder::Recorder;
use common::*;
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_jwt_auth::{clock::ManualClock, MemoryStore, Sessions};

struct Setup {
    clock: ManualClock,
    sessions: Sessions,
    app: Router,
}

fn setup() -> Setup {
    let clock = ManualClock::new(now());
    let sessions = Sessions::builder(
        test_issuer(&clock, Duration::from_secs(600)),
        MemoryStore::new(),
    )
    .build()
    .unwrap();
    let app = example::app(&sessions).unwrap();
    Setup {
        clock,
        sessions,
        app,
    }
}

const ORIGIN: &str = "https://app.example";

fn request(method: &str, path: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("origin", ORIGIN);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::empty()).unwrap()
}

async fn login(s: &Setup, scope: &str) -> String {
    let pair = s
        .sessions
        .login("alice", &serde_json::json!({ "scope": scope }))
        .await
        .unwrap();
    pair.access_token().to_owned()
}

#[tokio::test]
async fn preflights_are_answered_by_cors_before_authentication() {
    let s = setup();
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/me")
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .unwrap();
    let response = s.app.clone().oneshot(preflight).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert!(!headers.contains_key("www-authenticate"));
}

#[tokio::test]
async fn unknown_paths_stay_404_public_routes_stay_open_and_wrong_methods_are_405_once_authenticated(
) {
    let s = setup();
    let token = login(&s, "read").await;
    for (method, path, token, status) in [
        ("GET", "/api/nope", None, StatusCode::NOT_FOUND),
        (
            "GET",
            "/api/nope",
            Some(token.as_str()),
            StatusCode::NOT_FOUND,
        ),
        ("GET", "/nope", None, StatusCode::NOT_FOUND),
        // The router's method check runs inside `route_layer`: an unauthenticated caller learns nothing about
        // the methods of a protected path, an authenticated one gets 405.
        ("DELETE", "/api/me", None, StatusCode::UNAUTHORIZED),
        (
            "DELETE",
            "/api/me",
            Some(token.as_str()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("GET", "/healthz", None, StatusCode::OK),
        ("GET", "/api/me", None, StatusCode::UNAUTHORIZED),
        ("GET", "/api/me", Some(token.as_str()), StatusCode::OK),
    ] {
        let response = s
            .app
            .clone()
            .oneshot(request(method, path, token))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            status,
            "{method} {path} {}",
            token.is_some()
        );
    }
}

#[tokio::test]
async fn on_a_method_router_the_layer_leaves_405_to_the_router() {
    use axum::routing::get;
    let auth = builder_for(jsonwebtoken::Algorithm::HS256).build().unwrap();
    let app: Router = Router::new().route("/me", get(|| async { "me" }).route_layer(auth));
    for (method, status) in [
        ("DELETE", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", StatusCode::UNAUTHORIZED),
    ] {
        let response = app
            .clone()
            .oneshot(request(method, "/me", None))
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method}");
    }
}

#[tokio::test]
async fn rejections_carry_cors_headers_and_the_sliding_header_is_exposed() {
    let s = setup();
    let response = s
        .app
        .clone()
        .oneshot(request("GET", "/api/me", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers.contains_key("www-authenticate"));
    let exposed = headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("x-access-token"), "{exposed}");

    // A reader cannot post (403 with CORS headers); a writer past half its token's lifetime gets a renewed
    // token on the sliding action, written with its full path under `nest("/api")`.
    let reader = login(&s, "read").await;
    let response = s
        .app
        .clone()
        .oneshot(request("POST", "/api/posts", Some(&reader)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let writer = login(&s, "read write").await;
    s.clock.advance(301);
    let response = s
        .app
        .clone()
        .oneshot(request("POST", "/api/posts", Some(&writer)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let renewed = response.headers()["x-access-token"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(renewed, writer);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("x-access-token"));
    let response = s
        .app
        .clone()
        .oneshot(request("GET", "/api/me", Some(&renewed)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn trace_layer_logs_the_reason_of_each_rejection_and_never_the_token() {
    // This thread's subscriber (the test runs on it alone): the binary's other tests, on their own threads,
    // are not recorded.
    let recorder = Recorder::default();
    let _recording = tracing::subscriber::set_default(recorder.clone());
    let s = setup();
    let token = login(&s, "read").await;
    s.clock.advance(3600);
    let response = s
        .app
        .clone()
        .oneshot(request("GET", "/api/me", Some(&token)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let events = recorder.events.lock().unwrap();
    // Only this test's requests are recorded: one expired token.
    let refused: Vec<_> = events
        .iter()
        .filter(|e| e.contains("request refused by jwt auth") && e.contains("reason=Expired"))
        .collect();
    assert_eq!(refused.len(), 1, "{events:?}");
    assert!(
        refused[0].contains("claim=\"exp\"") && refused[0].contains("status=401"),
        "{}",
        refused[0]
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(!events.iter().any(|e| e.contains(signature)));
}
