//! axum with tower-http, in the recommended order: CORS outside, tracing that reads why a request was refused,
//! the layer on the protected sub-router only (`route_layer`), sliding sessions exposed to browsers.
//!
//! ```text
//! cargo run --example axum_tower_http
//! ```
//! It prints a token to try: `curl -H "Authorization: Bearer <token>" http://127.0.0.1:3200/api/me` (`BIND`
//! to move it; 3000/3001 are the demo's, 3100 the hyper example's). `RUST_LOG=debug` shows the layer's span
//! and rejection events beside tower-http's.
//!
//! | route | auth |
//! |---|---|
//! | `GET /healthz` | none |
//! | `GET /api/me` | bearer: the token's subject |
//! | `POST /api/posts` | bearer + scope `write`; a sliding action (renewed token in `x-access-token`) |
//!
//! From the outside in:
//! 1. `CorsLayer` answers preflights itself and adds CORS headers to every response — 401s included, so a
//!    browser sees the 401 instead of a CORS failure — and lists `x-access-token` in
//!    `Access-Control-Expose-Headers`, so browser code can read the renewed token.
//! 2. `TraceLayer` logs each response; for a rejection it reads the `AuthError` the layer put into the
//!    response's extensions (the reason, never the token; the layer marks `Authorization` sensitive).
//! 3. The `/api` router with `route_layer(auth)`: only matched paths are authenticated, so unknown paths stay
//!    404 and `/healthz` stays public. A wrong method on a protected path is 401 without a valid token and
//!    405 with one (the router's method check runs inside `route_layer`; put the layer on the method router,
//!    `get(me).route_layer(auth.clone())`, for 405 first). Sliding rules use the full path (`/api/posts`).
//!
//! Copied into your own crate, it needs `tower-jwt-auth = { version = "0.1", features = ["tracing"] }` (the
//! span and events; the rest works without), `axum = "0.8"`, `tower-http = { version = "0.6", features =
//! ["cors", "trace"] }`, `tracing = "0.1"`, `tracing-subscriber = { version = "0.3", features =
//! ["env-filter"] }`, `serde_json = "1"`, `getrandom = "0.3"` and `tokio = { version = "1", features =
//! ["macros", "rt-multi-thread", "net"] }`.

use std::time::Duration;

use axum::http::{header, HeaderName, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use tower_jwt_auth::{
    sliding::SlidingPolicy, sliding::DEFAULT_SLIDING_HEADER, Algorithm, AuthError, JwtAuthLayer,
    MemoryStore, Sessions, SigningKey, TokenInfo, TokenIssuer,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The application, for the sessions `sessions` (whose issuer's keys the layer trusts through them).
pub fn app(sessions: &Sessions) -> Result<Router, BoxError> {
    let auth = JwtAuthLayer::builder()
        .sessions(sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/api/posts"))
        .build()?;
    let posts = Router::new()
        .route("/posts", post(|| async { StatusCode::CREATED }))
        .route_layer(auth.require_scopes(["write"]));
    let api = Router::new()
        .route("/me", get(me))
        .merge(posts)
        .route_layer(auth);
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([HeaderName::from_static(DEFAULT_SLIDING_HEADER)]);
    let trace = TraceLayer::new_for_http().on_response(
        |response: &Response, latency: Duration, _span: &tracing::Span| match response
            .extensions()
            .get::<AuthError>()
        {
            Some(error) => tracing::info!(
                status = response.status().as_u16(),
                reason = ?error.kind(),
                claim = error.claim(),
                latency_ms = latency.as_millis() as u64,
                "request refused by jwt auth"
            ),
            None => tracing::debug!(status = response.status().as_u16(), "response"),
        },
    );
    Ok(Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api", api)
        .layer(trace)
        .layer(cors))
}

async fn me(info: TokenInfo) -> String {
    info.subject().unwrap_or_default().to_owned()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &secret)?)
        .issuer("http://127.0.0.1")
        .audience("example-api")
        .ttl(Duration::from_secs(600))
        .build()?;
    let sessions = Sessions::builder(issuer, MemoryStore::new()).build()?;
    let pair = sessions
        .login("alice", &serde_json::json!({ "scope": "read write" }))
        .await?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3200".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!(
        "axum_tower_http listening on http://{}",
        listener.local_addr()?
    );
    eprintln!(
        "try: curl -H \"Authorization: Bearer {}\" http://{bind}/api/me",
        pair.access_token()
    );
    axum::serve(listener, app(&sessions)?).await?;
    Ok(())
}
