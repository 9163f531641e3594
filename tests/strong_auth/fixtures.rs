//! What the strong-authentication tests share: an axum app over a harness's sessions whose layer reads client
//! certificates from a given source, and a parser for `WWW-Authenticate` challenges.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http::Method;
use serde_json::{json, Value};
use tower_jwt_auth::certificate::{ClientCertificate, ClientCertificates};
use tower_jwt_auth::session::{LoginOptions, RefreshEndpoint};
use tower_jwt_auth::sliding::SlidingPolicy;
use tower_jwt_auth::testing::Harness;
use tower_jwt_auth::{JwtAuthLayer, Sessions, TokenInfo};

/// The layer of the tests' app: wired to the harness's sessions, reading certificates from `source` (or
/// none), sliding on `POST /posts`.
pub(crate) fn layer(h: &Harness, source: Option<ClientCertificates>) -> JwtAuthLayer {
    let mut builder = JwtAuthLayer::builder()
        .sessions(&h.sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/posts"));
    if let Some(source) = source {
        builder = builder.client_certificates(source);
    }
    builder.build().unwrap()
}

/// `POST /login` (alice; `{"acr": …}` optional; bound to the connection's certificate when it has one),
/// `POST /refresh` (reading certificates from `source`), and behind the layer `GET /me` (the token's facts) and
/// `POST /posts` (a sliding action).
pub(crate) fn app(h: &Harness, source: Option<ClientCertificates>) -> Router {
    let mut refresh = RefreshEndpoint::new(h.sessions.clone());
    if let Some(source) = &source {
        refresh = refresh.client_certificates(source.clone());
    }
    let protected = Router::new()
        .route("/me", get(me))
        .route("/posts", post(|| async { StatusCode::CREATED }))
        .layer(layer(h, source));
    Router::new()
        .route("/login", post(login))
        .route_service("/refresh", refresh)
        .merge(protected)
        .with_state(h.sessions.clone())
}

async fn login(
    State(sessions): State<Sessions>,
    certificate: Option<Extension<ClientCertificate>>,
    Json(body): Json<Value>,
) -> Response {
    let mut options = LoginOptions::new();
    if let Some(acr) = body["acr"].as_str() {
        options = options.acr(acr).amr(["pwd"]);
    }
    if let Some(Extension(certificate)) = &certificate {
        options = options.client_certificate(certificate);
    }
    let claims = json!({ "scope": "read write" });
    match sessions.login_with_options("alice", &claims, options).await {
        Ok(pair) => Json(pair).into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn me(info: TokenInfo) -> Json<Value> {
    Json(json!({
        "sub": info.subject(),
        "x5t": info.certificate_thumbprint(),
        "acr": info.acr(),
        "amr": info.amr(),
        "auth_time": info.auth_time(),
    }))
}

/// The parameters of the first challenge of a `WWW-Authenticate` value (`Bearer k="v", k=v, …`), unquoted.
pub(crate) fn challenge_params(value: &str) -> (String, HashMap<String, String>) {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while let Some((name, after)) = rest.split_once('=') {
        let name = name.trim().trim_start_matches(',').trim().to_owned();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("a closing quote");
                (quoted[..end].to_owned(), &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            }
        };
        params.insert(name, value);
        rest = tail.trim_start_matches(',').trim();
    }
    (scheme.to_owned(), params)
}

/// The `TokenInfo` a layer wired to the harness's sessions verified for `token`, sent over a connection with
/// `certificate` (as the TLS acceptor puts it into the extensions).
pub(crate) async fn verified_info(
    h: &Harness,
    token: &str,
    certificate: Option<&ClientCertificate>,
) -> TokenInfo {
    use tower::ServiceExt;
    let app = Router::new()
        .route("/", get(|info: TokenInfo| async move { Extension(info) }))
        .layer(layer(h, Some(ClientCertificates::tls())));
    let mut request = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    if let Some(certificate) = certificate {
        request.extensions_mut().insert(certificate.clone());
    }
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.extensions().get::<TokenInfo>().unwrap().clone()
}
