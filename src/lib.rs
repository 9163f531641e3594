//! JWT bearer authentication for tower stacks (axum, hyper, tonic): verify, identify, issue, refresh, revoke.
//!
//! [`JwtAuthLayer`] takes the token from `Authorization: Bearer …` (or a cookie, or — sender-constrained —
//! `Authorization: DPoP …` with a proof of the client's key, see [`dpop`]), verifies it with keys and
//! algorithms you pin, checks its claims, and inserts [`Claims<C>`] and [`TokenInfo`] into the request
//! extensions. Requests without a valid token never reach your service: they get an RFC 6750 response
//! (401/400/403 with `WWW-Authenticate: Bearer …`, or 503 when the revocation store is down).
//!
//! JWT payloads are signed, not encrypted: anyone holding a token can read its claims.
//!
//! # Common tasks
//!
//! | I want to… | start here |
//! |---|---|
//! | protect axum routes with a bearer token | the example below, then [Where the layer goes](#where-the-layer-goes) (`route_layer`, CORS, tracing order) |
//! | require scopes or a claim on one route | [`JwtAuthLayer::require_scopes`], [`JwtAuthLayer::require`] ([`authorize`]) |
//! | read my own claims type | [`JwtAuthBuilder::claims`], [`Claims`] (a `#[serde(flatten)]` [`RegisteredClaims`] serves issuing and reading) |
//! | issue tokens at login, refresh them, log out | [`session`]: [`Sessions`], [`JwtAuthLayer::for_sessions`], [`session::RefreshEndpoint`], [`session::LogoutEndpoint`], [`session::RevokeEndpoint`] |
//! | keep active users signed in (sliding sessions) | [`sliding`], [`JwtAuthBuilder::sliding`] |
//! | accept an identity provider's tokens (Keycloak, Auth0, Entra ID) | [`keys`] (`Jwks::url`, OpenID Connect discovery; feature `jwks`), [`JwtAuthBuilder::trust_issuer`] |
//! | run many instances | [what every instance shares](store#many-instances-and-restarts): `RedisStore` (feature `redis`), [`SessionsBuilder::successor_key`] (one key for every instance) |
//! | keep sessions across restarts | `SqlStore` (features `postgres`, `sqlite`), with the keys [kept across restarts](store#many-instances-and-restarts) |
//! | protect a gRPC service | [`grpc`] (tonic, feature `tonic`) |
//! | bind tokens to the client's key | [`dpop`] (RFC 9449) |
//! | rotate or retire signing keys | [`issuer`] ([the successor key's recipe](issuer#rotating-the-signing-key-without-a-restart)): [`TokenIssuer::stage`], [`TokenIssuer::rotate`], [`TokenIssuer::retire`], [`issuer::JwksEndpoint`] |
//! | test my handlers without tokens | [`testing`] (feature `test-util`): `authenticate_as`, the store conformance suite |
//! | see why a request was refused | [Tracing](#tracing) (feature `tracing`: a span per request, one event per refusal; without it, [`AuthError`] in the response extensions for your `TraceLayer`); [Metrics](#metrics) |
//! | shape the 401/403 bodies | [`rejection`]: `Responder`, [`rejection::JsonResponder`] |
//! | write my own store | [`store`], [`SessionStore`] |
//!
//! # axum
//!
//! ```
//! use axum::{routing::get, Router};
//! use tower_jwt_auth::{Algorithm, Claims, JwtAuthLayer, RegisteredClaims, VerificationKey};
//!
//! async fn me(claims: Claims<RegisteredClaims>) -> String {
//!     format!("hello {}", claims.sub.as_deref().unwrap_or("?"))
//! }
//!
//! let secret = [42u8; 32]; // use 32+ random bytes
//! let auth = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &secret).unwrap())
//!     .issuer("https://auth.example.com")
//!     .audience("my-api")
//!     .build()
//!     .unwrap();
//! let app: Router = Router::new().route("/me", get(me)).layer(auth);
//! ```
//!
//! # hyper
//!
//! ```no_run
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use hyper::body::Incoming;
//! use hyper_util::rt::TokioIo;
//! use hyper::server::conn::http1;
//! use hyper_util::service::TowerToHyperService;
//! use tower::ServiceBuilder;
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, TokenInfo, VerificationKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[42u8; 32])?)
//!     .issuer("https://auth.example.com")
//!     .audience("my-api")
//!     .build()?;
//! let service = ServiceBuilder::new().layer(auth).service_fn(|req: Request<Incoming>| async move {
//!     let who = req.extensions().get::<TokenInfo>().and_then(|t| t.subject().map(str::to_owned));
//!     Ok::<_, Infallible>(Response::new(http_body_util::Full::new(bytes::Bytes::from(who.unwrap_or_default()))))
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = TowerToHyperService::new(service.clone());
//!     tokio::spawn(async move { http1::Builder::new().serve_connection(TokioIo::new(stream), service).await });
//! }
//! # }
//! ```
//!
//! # Where the layer goes
//!
//! In axum the layer added last runs first, and where the auth layer sits decides what a stranger sees:
//!
//! - `.route_layer(auth)` authenticates only the routes of that router that matched: unknown paths stay 404,
//!   routes of other routers stay public. `.layer(auth)` authenticates everything below it, 404s included
//!   (an unknown path answers 401), and a `/login` route under it can never be reached without a token.
//!   Wrapping the whole router instead (`auth.layer(router)`, served with axum's
//!   `ServiceExt::into_make_service`) answers the same and costs less per request: axum's `Router::layer`
//!   clones and boxes each route's service on every request, and around the router a refusal never reaches
//!   routing (the README's "Where the layer goes" has the example and the counts).
//! - tower-http's `CorsLayer` goes **outside** the auth layer (added after it): it answers CORS preflights
//!   itself, which browsers send without credentials, and puts its headers on the 401s. Placed inside, every
//!   preflight is refused with 401 and the browser never sends the real request; the layer then warns once
//!   (feature `tracing`) naming this fix. When the auth layer must stay outside, call
//!   [`JwtAuthBuilder::bypass_cors_preflight`]: `OPTIONS` requests with `Access-Control-Request-Method` pass
//!   unauthenticated.
//! - `TraceLayer` goes outside too, so it sees the refusals: each carries its [`AuthError`] in the response
//!   extensions.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tower_http::{cors::CorsLayer, trace::TraceLayer};
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[42u8; 32])?)
//!     .issuer("https://auth.example.com")
//!     .audience("my-api")
//!     .build()?;
//! let api = Router::new()
//!     .route("/me", get(|| async { "me" }))
//!     .route_layer(auth); // 3. innermost: only matched routes of this router
//! let app: Router = Router::new()
//!     .route("/healthz", get(|| async { "ok" })) // public
//!     .nest("/api", api)
//!     .layer(TraceLayer::new_for_http()) // 2. sees every refusal
//!     .layer(CorsLayer::permissive()); // 1. outermost (added last): answers preflights
//! # let _ = app; Ok(()) }
//! ```
//!
//! The README's "Where the layer goes" has the full composition (exposing the sliding header, logging the
//! refusal's reason as in [Tracing](#tracing)), run by `examples/axum_tower_http.rs`.
//!
//! # Tracing
//!
//! With the `tracing` feature the crate reports through the [`tracing`](https://docs.rs/tracing) facade to
//! whatever subscriber the application installs; its span and events have targets under `tower_jwt_auth` (its
//! module paths; `tower_jwt_auth::audit` for audit events) and level `debug` unless said otherwise:
//!
//! - a `jwt_auth` span per request through the layer, entered while the layer decides and while the inner
//!   service (your handler) runs, so your own events carry its fields: `sub` when the request is admitted,
//!   `reason` (the rejection kind, as in the metrics) when it is refused;
//! - one event per refusal, "jwt auth rejected a request", with `kind`, `status` (and `grpc_status` for gRPC),
//!   the failing claim's name (`claim`) and, for claims that do not fit the claims type, serde's message
//!   (`detail`) — never the token;
//! - warnings and errors: a CORS preflight refused (once per layer) and an `AuthorizeLayer` outside the auth
//!   layer, each naming the fix; a claims-type mismatch; refresh-token reuse; JWK Set fetch failures; a Redis
//!   that may evict revocation markers.
//!
//! So enable the crate's target at `debug` (here with tracing-subscriber's `env-filter` feature; `RUST_LOG`
//! works the same way with `EnvFilter::from_default_env()`). Without the feature, or to log refusals where you
//! log requests, read the [`AuthError`] every refusal carries in its response extensions from tower-http's
//! `TraceLayer`, placed outside the auth layer:
//!
//! ```
//! use axum::{response::Response, routing::get, Router};
//! use tower_http::trace::TraceLayer;
//! use tower_jwt_auth::{Algorithm, AuthError, JwtAuthLayer, VerificationKey};
//! use tracing_subscriber::EnvFilter;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The jwt_auth span and the refusal events (feature `tracing`), beside your own `info` events.
//! let _ = tracing_subscriber::fmt()
//!     .with_env_filter(EnvFilter::new("info,tower_jwt_auth=debug"))
//!     .try_init();
//!
//! let auth = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[42u8; 32])?)
//!     .issuer("https://auth.example.com")
//!     .audience("my-api")
//!     .build()?;
//! let trace = TraceLayer::new_for_http().on_response(
//!     |response: &Response, _latency: std::time::Duration, _span: &tracing::Span| {
//!         if let Some(error) = response.extensions().get::<AuthError>() {
//!             // never the token; `detail` is serde's reason when the claims do not fit the claims type
//!             tracing::info!(reason = ?error.kind(), claim = error.claim(), detail = error.detail(), "refused");
//!         }
//!     },
//! );
//! let app: Router = Router::new()
//!     .route("/me", get(|| async { "me" }))
//!     .route_layer(auth)
//!     .layer(trace); // outside the auth layer: it sees every refusal
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # Where things live
//!
//! The crate root holds the types every user touches: the layer and its builder ([`JwtAuthLayer`],
//! [`JwtAuthBuilder`]), what a handler reads ([`Claims`], [`TokenInfo`], [`RegisteredClaims`]), why a request
//! or a configuration was refused ([`AuthError`], [`AuthErrorKind`], [`ConfigError`]), keys ([`Algorithm`],
//! [`VerificationKey`], [`SigningKey`]), the issuer and sessions ([`TokenIssuer`], [`Sessions`],
//! [`SessionsBuilder`], [`TokenPair`]) and the stores ([`SessionStore`], [`MemoryStore`], `RedisStore`,
//! `SqlStore`). Everything else lives in its module, whose page is its guide:
//!
//! | module | what it covers |
//! |---|---|
//! | [`layer`] | the layer's service and future, its defaults (token size, JSON limits, token cache), axum extractor rejections |
//! | [`token`] | where the token is read from (bearer header, cookie, your own source), the registered claims |
//! | [`keys`] | verification keys, issuer routing, remote JWK Sets (feature `jwks`) |
//! | [`issuer`] | signing access tokens, signing keys, key rotation and retirement, the issuer's own JWK Set |
//! | [`session`] | login, refresh-token rotation and reuse detection, logout, the refresh, revoke and introspection (RFC 7662) endpoints, OpenID Connect back-channel logout, a user's sessions ("your devices": listed and ended) |
//! | `introspection` | (feature `introspection`) accepting opaque tokens through a provider's RFC 7662 introspection endpoint |
//! | [`audit`] | audit events (logins, refreshes, reuse, logouts, revocations, sliding reissues, DPoP replays, back-channel logouts) to one hook, `tracing` and `metrics` |
//! | [`store`] | where sessions and revocations are kept: the store contract and its types, what the layer checks per token, how long a revocation lasts, and the memory, Redis and SQL stores |
//! | [`sliding`] | sliding sessions: which actions renew a token, when, and how the new token is delivered |
//! | [`authorize`] | scopes and claims predicates, for the whole layer or per route |
//! | [`rejection`] | RFC 6750 responses and challenges, and shaping their bodies with a `Responder` |
//! | [`dpop`] | sender-constrained tokens (RFC 9449): proofs, bound tokens, bound refresh tokens, replay and nonces |
//! | [`well_known`] | RFC 9728 protected resource metadata |
//! | [`grpc`] | gRPC answers (`grpc-status` 16/7/14), protecting tonic services beside an open health service |
//! | [`clock`] | the time source ([`clock::ManualClock`] for tests) |
//! | [`error`] | the error types (also at the root) |
//!
//! The verified-token cache is described on [`JwtAuthBuilder::token_cache_size`].
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `aws-lc-rs` | yes | jsonwebtoken's aws-lc-rs crypto provider (fast RSA/ECDSA); verification keys parsed once |
//! | `rust-crypto` | no | jsonwebtoken's pure-Rust provider; aws-lc-rs wins when both are on |
//! | `axum` | yes | the `Claims<C>`, `Option<Claims<C>>` and `TokenInfo` extractors |
//! | `redis` | no | `RedisStore`: sessions and revocations shared by many processes |
//! | `postgres`, `sqlite` | no | `SqlStore`: sessions and revocations in PostgreSQL or SQLite, surviving restarts |
//! | `jwks` | no | remote keys: JWK Set URLs, OpenID Connect discovery, key cache |
//! | `introspection` | no | `introspection`: tokens accepted through a provider's RFC 7662 endpoint, with a bounded single-flight cache (implies `jwks`) |
//! | `tracing` | no | a `jwt_auth` span per request (`sub` or `reason`), one debug event per rejection with its kind, failing claim's name and, for claims that do not fit the claims type, serde's message (never the token); an error event for a per-route layer placed outside the auth layer and for a claims-type mismatch; a warning, once per layer, when it refuses a CORS preflight |
//! | `metrics` | no | counters and histograms through the `metrics` facade (see [Metrics](#metrics)) |
//! | `tonic` | no | `NamedService` for the layers' services, `AuthError` into `tonic::Status` (see [`grpc`]) |
//! | `test-util` | no | [`testing`]: the store conformance suite and lifecycle model test for your own store |

//!
//! # Metrics
//!
//! With the `metrics` feature the crate reports through the [`metrics`](https://docs.rs/metrics) facade to
//! whatever recorder the application installs (for example `metrics-exporter-prometheus`; the demo serves it at
//! `GET /metrics`). Names follow Envoy's `jwt_authn` statistics; no label ever carries a token or a claim value.
//!
//! | name | kind | labels | counts |
//! |---|---|---|---|
//! | `jwt_auth_allowed_total` | counter | — | requests admitted with a verified token |
//! | `jwt_auth_denied_total` | counter | `reason` (`missing`, `invalid_token`, `expired`, `revoked`, `insufficient_scope`, `unavailable`, …) | rejections: the layer's, per-route requirements', extractors' |
//! | `jwt_auth_cors_preflight_bypassed_total` | counter | — | preflights let through (`bypass_cors_preflight`) |
//! | `jwt_auth_token_cache_hit_total`, `jwt_auth_token_cache_miss_total` | counter | — | the verified-token cache |
//! | `jwt_auth_jwks_fetch_success_total`, `jwt_auth_jwks_fetch_failed_total` | counter | — | JWK Set fetches |
//! | `jwt_auth_jwks_keys` | gauge | — | keys in the last fetched JWK Set |
//! | `jwt_auth_refresh_total` | counter | `outcome` (`rotated`, `retried`, `reused`, `invalid`) | refreshes that reached the store |
//! | `jwt_auth_sliding_reissued_total` | counter | — | tokens reissued on sliding actions |
//! | `jwt_auth_store_call_seconds` | histogram | `operation` | session-store calls made by `Sessions` |
//! | `jwt_auth_store_errors_total` | counter | `operation` | session-store calls that failed |
//! | `jwt_auth_introspection_total` | counter | `outcome` (`hit`, `call`, `failure`) | tokens looked up through a remote introspection endpoint: answered by the cache, by a call, or by none (503) |
//! | `jwt_auth_introspection_served_total` | counter | `outcome` (`active`, `inactive`, `unauthorized`) | answers of the crate's own introspection endpoint |
//! | `jwt_auth_backchannel_logout_total` | counter | `outcome` (`revoked`, `refused`, `unavailable`) | back-channel logouts: done, refused (invalid or replayed), or not done (a store failed) |
//! | `jwt_auth_audit_events_total` | counter | `event` (`login`, `refresh`, `reuse_detected`, `logout`, `logout_all`, `revoke`, `session_ended`, `sliding_reissue`, `dpop_replay`, `backchannel_logout`) | audit events (see [`audit`]) |
//! | `jwt_auth_refresh_reuse_detected_total` | counter | — | refresh-token reuse detected (each revoked its session) |
//! | `jwt_auth_audit_dropped_total` | counter | — | audit events an `AuditChannel` dropped (queue full) |

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![warn(clippy::await_holding_lock, clippy::dbg_macro, clippy::todo)]

/// Every Rust block of the README, compiled and run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[macro_use]
mod macros;

pub mod audit;
pub mod authorize;
pub mod certificate;
pub mod clock;
mod crypto;
pub mod dpop;
pub mod error;
pub mod grpc;
#[cfg(feature = "introspection")]
#[cfg_attr(docsrs, doc(cfg(feature = "introspection")))]
pub mod introspection;
pub mod issuer;
mod jose;
pub mod keys;
pub mod layer;
pub mod session;
pub use session::sliding;
mod stats;
pub mod store;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;
pub mod token;
#[cfg(feature = "tonic")]
mod tonic;
mod trace;
mod unread_body;
pub mod well_known;

pub use error::{AuthError, AuthErrorKind, ConfigError};
pub use issuer::{SigningKey, TokenIssuer};
pub use jsonwebtoken::Algorithm;
pub use keys::VerificationKey;
pub use layer::rejection;
pub use layer::{JwtAuthBuilder, JwtAuthLayer};
pub use session::{Sessions, SessionsBuilder, TokenPair};
#[cfg(feature = "redis")]
pub use store::RedisStore;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use store::SqlStore;
pub use store::{MemoryStore, SessionStore};
pub use token::RegisteredClaims;
pub use token::{Claims, TokenInfo};
