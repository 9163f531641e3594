//! The demo's router: the layer, the sessions and every route.

use std::time::Duration;

use axum::http::{header, Method, StatusCode};
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::Value;
use tower_jwt_auth::dpop::{jwk_thumbprint, Dpop, DpopPolicy};
use tower_jwt_auth::session::BrowserSessions;
use tower_jwt_auth::{
    issuer::JwksEndpoint, issuer::JWKS_PATH, rejection::JsonResponder, session::RefreshEndpoint,
    session::RevokeEndpoint, sliding::SlidingPolicy, well_known::ProtectedResourceMetadata,
    JwtAuthLayer, Sessions, SigningKey, TokenIssuer,
};

use crate::accounts::login;
use crate::audit_log::audit_log;
use crate::backchannel::provider;
use crate::browser::browser_login;
use crate::devices::{end_session, list_sessions};
use crate::handlers::*;
use crate::introspection::{introspect_endpoint, remote_introspection};
use crate::payments::{payments_route, MFA, PASSWORD_ONLY};
use crate::read_body::read_body_first;
use crate::settings::*;
use crate::stores::store;
use crate::tls::certificate_source;
use crate::websocket::websocket;
use crate::BoxError;
use tower_jwt_auth::certificate::ClientCertificates;

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) sessions: Sessions,
    pub(crate) dpop: Dpop,
    pub(crate) policy: DpopPolicy,
    pub(crate) browser: BrowserSessions,
    /// Where client certificates come from (TLS_CLIENT_CA or CLIENT_CERT_HEADER), if anywhere.
    pub(crate) certificates: Option<ClientCertificates>,
}

/// The Prometheus recorder the crate's `metrics` feature reports to, installed once per process.
pub(crate) fn prometheus() -> Result<metrics_exporter_prometheus::PrometheusHandle, BoxError> {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The demo's app; `public_url` is its external origin (`PUBLIC_URL`), the RFC 9728 resource identifier.
pub(crate) async fn app(public_url: &str) -> Result<Router, BoxError> {
    let metrics = prometheus()?;
    let alg = algorithm(&env_or("JWT_ALG", "HS256"))?;
    let issuer_name = env_or("JWT_ISSUER", "demo");
    let audience = env_or("JWT_AUDIENCE", "demo-api");
    let (signing, refresh_key) = keys(alg)?;
    let issuer = |key: SigningKey| {
        TokenIssuer::builder(key)
            .issuer(&issuer_name)
            .audience(&audience)
            .ttl(env_secs("ACCESS_TTL_SECS", 900)?)
            // Tokens minted by other tools with the demo's key may live up to a day: revocation markers are
            // kept that long, and the demo's own tokens that claim longer lives are refused.
            .max_ttl(env_secs("ACCESS_TTL_SECS", 900)?.max(Duration::from_secs(24 * 3600)))
            .client_id("demo")
            .build()
            .map_err(BoxError::from)
    };
    // An asymmetric key is published at /.well-known/jwks.json under its RFC 7638 thumbprint as `kid`, which
    // its tokens name; an HMAC secret is never published.
    let signing = match issuer(signing.clone())?.jwks().keys.first() {
        Some(public) => {
            let kid = jwk_thumbprint(public).ok_or("the public key has no thumbprint")?;
            signing.with_kid(&kid)?
        }
        None => signing,
    };
    let issuer = issuer(signing)?;
    check_public_key(alg, &issuer, &issuer_name)?;
    let stores = store().await?;
    let (store, replay) = stores.clone();
    let policy = dpop_policy()?;
    // DPoP proofs name PUBLIC_URL + path; with a shared store, used proofs are shared too.
    let mut dpop = Dpop::builder().public_url(public_url);
    if let Some(replay) = replay {
        dpop = dpop.replay_cache(replay);
    }
    let dpop = dpop.build()?;
    // One session cap for refresh and sliding: the policy comes from the sessions.
    let mut sessions = Sessions::builder(issuer, store)
        .refresh_ttl(env_secs("REFRESH_TTL_SECS", 1_209_600)?)
        .max_session(env_secs("MAX_SESSION_SECS", 30 * 24 * 3600)?)
        .successor_key(refresh_key);
    if let Some(sink) = audit_log()? {
        sessions = sessions.audit(sink);
    }
    let sessions = sessions.build()?;
    // Browsers get the pair as cookies; the refresh cookie travels to /browser/* only.
    let browser = BrowserSessions::builder(&sessions, "/browser").build()?;
    let certificates = certificate_source()?;
    let mut auth = JwtAuthLayer::builder();
    if let Some(source) = &certificates {
        auth = auth.client_certificates(source.clone());
    }
    if std::env::var("TOKEN_CACHE").as_deref() == Ok("0") {
        auth = auth.disable_token_cache();
    }
    // Tokens signed by the keys of JWKS_URL are accepted too (for JWKS_ISSUER; same audience rules).
    let provider = provider(&issuer_name);
    if let Some(provider) = &provider {
        auth = provider.trust(auth)?;
    }
    if let Some(introspection) = remote_introspection()? {
        auth = auth.introspection(introspection);
    }
    // One call wires the layer to the sessions (issuer, its keys and their rotations, audience, revocation
    // store, clock); the sliding policy names only its actions.
    let auth = auth
        .claims::<Value>()
        .sessions(&sessions)
        .browser_sessions(&browser)
        .websocket_query_token()
        .websocket_protocol_token()
        .sliding(SlidingPolicy::new().action(Method::POST, "/posts"))
        .realm("demo")
        .dpop(&dpop, policy)
        .responder(JsonResponder)
        // RFC 9728: every challenge points to the metadata document served below.
        .resource_metadata_url(ProtectedResourceMetadata::well_known_url(public_url))
        .build()?;
    let metadata_url: http::Uri = ProtectedResourceMetadata::well_known_url(public_url).parse()?;
    let metadata = auth
        .resource_metadata(public_url)
        .scopes_supported(["read", "write"])
        .acr_values_supported([MFA, PASSWORD_ONLY])
        .resource_name("tower-jwt-auth demo");
    let protected = Router::new()
        .route(
            "/posts",
            // Derived from the layer: same realm, responder and claims type.
            post(create_post).route_layer(auth.require_scopes(["write"])),
        )
        .route("/payments", payments_route(&auth))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .route("/logout-all", post(logout_all))
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", delete(end_session))
        .route("/ws", get(websocket))
        .route_service("/browser/logout", browser.logout_endpoint())
        .layer(auth.clone());
    let logout = match &provider {
        Some(provider) => provider.backchannel_logout(&auth, &audience, &sessions, &stores)?,
        None => None,
    };
    let state = AppState {
        sessions: sessions.clone(),
        dpop: dpop.clone(),
        policy,
        browser: browser.clone(),
        certificates: certificates.clone(),
    };
    let mut router = Router::new();
    match (logout, &provider) {
        (Some(logout), _) => router = router.route_service("/backchannel-logout", logout),
        // JWKS_URL's keys sign the demo's own issuer: no logout token ends the demo's sessions on another
        // party's word, so every one is invalid here.
        (None, Some(_)) => {
            router = router.route(
                "/backchannel-logout",
                post(|| async { error_response(StatusCode::BAD_REQUEST, "invalid_request") }),
            )
        }
        (None, None) => {}
    }
    Ok(router
        .route("/healthz", get(|| async { "ok" }))
        // The crate's counters in the Prometheus text format, unauthenticated like /healthz (keep it on an
        // internal network in production).
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        metrics.render(),
                    )
                }
            }),
        )
        .route_service(metadata_url.path(), metadata.into_service())
        .route("/login", post(login))
        .route("/browser/login", post(browser_login))
        .route_service("/browser/refresh", browser.refresh_endpoint())
        .route_service(JWKS_PATH, JwksEndpoint::new(sessions.issuer().clone()))
        .route_service("/refresh", {
            let refresh = RefreshEndpoint::new(sessions.clone()).dpop(&dpop, policy);
            match certificates {
                Some(source) => refresh.client_certificates(source),
                None => refresh,
            }
        })
        .route_service(
            "/revoke",
            RevokeEndpoint::new(sessions.clone()).with_access_tokens(auth.clone()),
        )
        .route_service("/introspect", introspect_endpoint(&sessions, auth.clone())?)
        .merge(protected)
        .with_state(state)
        .layer(axum::middleware::from_fn(read_body_first)))
}
