//! Sliding sessions: reissue on configured actions after a 2xx, past the threshold, capped by the session.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use common::sessions::test_issuer;
use common::*;
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{
    clock::ManualClock, sliding::SameSite, sliding::SlidingPolicy, JwtAuthLayer, MemoryStore,
    SessionStore, Sessions, TokenIssuer,
};

const T0: i64 = 2_000_000_000;
const TTL: u64 = 600;
const MAX_SESSION: u64 = 3600;

struct Setup {
    clock: ManualClock,
    issuer: TokenIssuer,
    app: Router,
    store: MemoryStore,
}

/// How the sliding app is wired.
#[derive(Clone, Copy, Default)]
struct Options {
    /// Deliver renewed tokens in an `at` cookie with this SameSite policy too.
    cookie: Option<SameSite>,
    /// Read the token from the `at` cookie instead of the Authorization header.
    cookie_source: bool,
    /// The revocation store answers through the layer's asynchronous path.
    asynchronous: bool,
}

/// The sliding app with bearer-header tokens, renewed tokens in `x-access-token`, a synchronous store.
fn setup() -> Setup {
    setup_with(Options::default())
}

fn setup_with(options: Options) -> Setup {
    let clock = ManualClock::new(T0);
    let issuer = test_issuer(&clock, Duration::from_secs(TTL));
    let store = MemoryStore::new();
    // The asynchronous variant answers revocation checks later, through the layer's asynchronous path.
    let shared: std::sync::Arc<dyn SessionStore> = if options.asynchronous {
        std::sync::Arc::new(common::observed_store::ObservedStore::asynchronous(
            store.clone(),
        ))
    } else {
        std::sync::Arc::new(store.clone())
    };
    let sessions = Sessions::builder(issuer.clone(), shared)
        .max_session(Duration::from_secs(MAX_SESSION))
        .build()
        .unwrap();
    let mut policy = SlidingPolicy::new()
        .action(Method::POST, "/posts")
        .action(Method::POST, "/payments/*")
        .action(Method::POST, "/fail")
        .action(Method::POST, "/grpc-refused");
    if let Some(same_site) = options.cookie {
        policy = policy.cookie("at", same_site);
    }
    let mut builder = JwtAuthLayer::builder().sessions(&sessions).sliding(policy);
    if options.cookie_source {
        builder = builder
            .token_source(tower_jwt_auth::token::CookieSource::new("at").unwrap())
            .allow_cookies_without_csrf();
    }
    let app = Router::new()
        .route("/posts", post(|| async { StatusCode::CREATED }))
        .route("/payments/{id}", post(|| async { StatusCode::OK }))
        .route(
            "/fail",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/me", get(|| async { "me" }))
        // A gRPC handler's refusal in trailers-only form: HTTP 200 with grpc-status 7.
        .route(
            "/grpc-refused",
            post(|| async {
                (
                    [("grpc-status", "7"), ("content-type", "application/grpc")],
                    "",
                )
            }),
        )
        .layer(builder.build().unwrap());
    Setup {
        clock,
        issuer,
        app,
        store,
    }
}

fn request(method: Method, uri: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

async fn renewed(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, Option<String>, http::HeaderMap) {
    let response = app.clone().oneshot(request).await.unwrap();
    let token = response
        .headers()
        .get("x-access-token")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), token, response.headers().clone())
}

fn login(s: &Setup) -> String {
    let claims = json!({ "scope": "read write", "tenant": 7 });
    let session = tower_jwt_auth::issuer::SessionClaims {
        session_id: Some("sid-1"),
        auth_time: Some(T0),
        not_after: None,
        ..Default::default()
    };
    s.issuer
        .issue_for_session("alice", &claims, session)
        .unwrap()
        .into_string()
}

#[tokio::test]
async fn an_action_past_half_lifetime_gets_a_renewed_token_with_the_same_claims() {
    let s = setup();
    let token = login(&s);
    s.clock.advance(301);
    let (status, renewed_token, headers) =
        renewed(&s.app, request(Method::POST, "/posts", &token)).await;
    assert_eq!(status, StatusCode::CREATED);
    let new = renewed_token.expect("a renewed token");
    assert_eq!(headers["cache-control"], "no-store");
    let (old, fresh) = (payload(&token), payload(&new));
    for kept in ["sub", "sid", "auth_time", "aud", "iss", "scope", "tenant"] {
        assert_eq!(old[kept], fresh[kept], "{kept} is kept");
    }
    assert_ne!(old["jti"], fresh["jti"], "a fresh jti");
    assert_eq!(fresh["iat"], T0 + 301);
    assert_eq!(fresh["exp"], T0 + 301 + TTL as i64);
    // The renewed token works.
    let (status, _, _) = renewed(&s.app, request(Method::GET, "/me", &new)).await;
    assert_eq!(status, StatusCode::OK);
    // Wildcard action routes slide too.
    let (_, again, _) = renewed(&s.app, request(Method::POST, "/payments/42", &token)).await;
    assert!(again.is_some());
}

#[tokio::test]
async fn a_grpc_call_refused_in_trailers_only_form_is_not_renewed() {
    let s = setup();
    let token = login(&s);
    s.clock.advance(301);
    let (status, renewed_token, _) =
        renewed(&s.app, request(Method::POST, "/grpc-refused", &token)).await;
    assert_eq!(status, StatusCode::OK, "gRPC refusals are HTTP 200");
    assert!(renewed_token.is_none(), "grpc-status 7 is no success");
}

#[tokio::test]
async fn no_reissue_below_threshold_off_action_or_on_failure() {
    let s = setup();
    let token = login(&s);
    s.clock.advance(299);
    assert_eq!(
        renewed(&s.app, request(Method::POST, "/posts", &token))
            .await
            .1,
        None,
        "below the threshold"
    );
    s.clock.advance(100);
    assert_eq!(
        renewed(&s.app, request(Method::GET, "/me", &token)).await.1,
        None,
        "not an action"
    );
    let (status, renewed_token, _) = renewed(&s.app, request(Method::POST, "/fail", &token)).await;
    assert_eq!(
        (status, renewed_token),
        (StatusCode::INTERNAL_SERVER_ERROR, None),
        "handler failed"
    );
    let (status, renewed_token, _) =
        renewed(&s.app, request(Method::POST, "/payments", &token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(renewed_token, None, "4xx");
}

#[tokio::test]
async fn renewed_tokens_never_outlive_the_session_cap() {
    let s = setup();
    let mut token = login(&s);
    let mut last_exp = 0;
    // Keep acting every 400 s: tokens slide until auth_time + max_session, then simply expire.
    for _ in 0..20 {
        s.clock.advance(400);
        let (status, renewed_token, _) =
            renewed(&s.app, request(Method::POST, "/posts", &token)).await;
        if status != StatusCode::CREATED {
            break;
        }
        if let Some(new) = renewed_token {
            let exp = payload(&new)["exp"].as_i64().unwrap();
            assert!(exp <= T0 + MAX_SESSION as i64, "capped at the session end");
            assert_eq!(payload(&new)["auth_time"], T0);
            last_exp = exp;
            token = new;
        }
    }
    assert_eq!(
        last_exp,
        T0 + MAX_SESSION as i64,
        "the last token ends exactly at the cap"
    );
    s.clock.set(T0 + MAX_SESSION as i64 + 31);
    let (status, _, _) = renewed(&s.app, request(Method::POST, "/posts", &token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "past the cap the token expires"
    );
}

#[tokio::test]
async fn a_token_without_auth_time_counts_iat_as_session_start() {
    let s = setup();
    let session = tower_jwt_auth::issuer::SessionClaims {
        session_id: Some("sid-2"),
        auth_time: None,
        not_after: None,
        ..Default::default()
    };
    let token = s
        .issuer
        .issue_for_session("alice", &json!({ "scope": "read" }), session)
        .unwrap()
        .into_string();
    s.clock.advance(400);
    let new = renewed(&s.app, request(Method::POST, "/posts", &token))
        .await
        .1
        .unwrap();
    assert_eq!(
        payload(&new)["auth_time"],
        T0,
        "the original iat becomes the session start"
    );
}

#[tokio::test]
async fn a_revoked_session_is_not_extended() {
    let s = setup();
    let token = login(&s);
    s.clock.advance(400);
    s.store
        .revoke_session("sid-1", T0 + MAX_SESSION as i64)
        .await
        .unwrap();
    let (status, renewed_token, _) = renewed(&s.app, request(Method::POST, "/posts", &token)).await;
    assert_eq!((status, renewed_token), (StatusCode::UNAUTHORIZED, None));
}

#[tokio::test]
async fn item_09_rfc6750_5_3_token_cookies_are_secure_with_samesite() {
    // The token comes in a cookie and the renewed one goes out in a cookie.
    let s = setup_with(Options {
        cookie: Some(SameSite::Strict),
        cookie_source: true,
        ..Options::default()
    });
    let token = login(&s);
    s.clock.advance(400);
    let in_cookie = Request::post("/posts")
        .header("cookie", format!("at={token}"))
        .body(Body::empty())
        .unwrap();
    let response = s.app.clone().oneshot(in_cookie).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("at=ey"), "{cookie}");
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    // A token that came by cookie is renewed in the cookie only: never in a header page scripts can read.
    assert!(response.headers().get("x-access-token").is_none());
    assert_eq!(response.headers()["cache-control"], "no-store");
    // The token comes in the Authorization header; the renewed one goes out in a Lax cookie too.
    let s = setup_with(Options {
        cookie: Some(SameSite::Lax),
        ..Options::default()
    });
    let token = login(&s);
    s.clock.advance(400);
    let response = s
        .app
        .clone()
        .oneshot(request(Method::POST, "/posts", &token))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("; Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn concurrent_sliding_requests_each_get_a_valid_token() {
    let s = setup();
    let token = login(&s);
    s.clock.advance(400);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, token) = (s.app.clone(), token.clone());
            tokio::spawn(async move {
                renewed(&app, request(Method::POST, "/posts", &token))
                    .await
                    .1
                    .unwrap()
            })
        })
        .collect();
    let mut jtis = std::collections::HashSet::new();
    for task in tasks {
        let new = task.await.unwrap();
        assert_eq!(
            renewed(&s.app, request(Method::GET, "/me", &new)).await.0,
            StatusCode::OK
        );
        jtis.insert(payload(&new)["jti"].as_str().unwrap().to_owned());
    }
    assert_eq!(jtis.len(), 20, "each renewed token is distinct");
}

#[tokio::test]
async fn sliding_works_behind_an_asynchronous_revocation_check() {
    let Setup {
        clock,
        issuer,
        app,
        store,
    } = setup_with(Options {
        asynchronous: true,
        ..Options::default()
    });
    let session = tower_jwt_auth::issuer::SessionClaims {
        session_id: Some("s-async"),
        auth_time: Some(T0),
        not_after: None,
        ..Default::default()
    };
    let token = issuer
        .issue_for_session("alice", &json!({}), session)
        .unwrap()
        .into_string();
    clock.advance(400);
    let (status, renewed_token, _) = renewed(&app, request(Method::POST, "/posts", &token)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        renewed_token.is_some(),
        "the reissue survives the asynchronous admission"
    );
    store
        .revoke_session("s-async", T0 + MAX_SESSION as i64)
        .await
        .unwrap();
    let (status, renewed_token, _) = renewed(&app, request(Method::POST, "/posts", &token)).await;
    assert_eq!((status, renewed_token), (StatusCode::UNAUTHORIZED, None));
}

#[tokio::test]
async fn actions_written_with_the_full_path_match_under_router_nest() {
    let clock = ManualClock::new(T0);
    let issuer = test_issuer(&clock, Duration::from_secs(TTL));
    let sessions = Sessions::builder(issuer.clone(), MemoryStore::new())
        .max_session(Duration::from_secs(MAX_SESSION))
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .sessions(&sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/api/posts"))
        .build()
        .unwrap();
    // The layer sits on the nested router, which itself sees `/posts`.
    let api = Router::new()
        .route("/posts", post(|| async { StatusCode::CREATED }))
        .route("/drafts", post(|| async { StatusCode::CREATED }))
        .route_layer(layer);
    let app = Router::new().nest("/api", api);
    let s = Setup {
        clock,
        issuer,
        app,
        store: MemoryStore::new(),
    };
    let token = login(&s);
    s.clock.advance(301);
    let (status, renewed_token, _) =
        renewed(&s.app, request(Method::POST, "/api/posts", &token)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(renewed_token.is_some(), "the full path matched under nest");
    let (status, other, _) = renewed(&s.app, request(Method::POST, "/api/drafts", &token)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(other.is_none(), "only the configured action slides");
}
