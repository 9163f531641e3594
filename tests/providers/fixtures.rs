//! What the identity-provider tests share: a provider (its JWK Set served over HTTP, the tokens and logout
//! tokens it signs), and service instances — sessions over a store, a layer trusting the provider, the
//! back-channel logout endpoint — driven through their public API.
#![allow(dead_code)]

use std::sync::Arc;

use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::dpop::ReplayCache;
use tower_jwt_auth::keys::{Jwks, TrustedIssuer};
use tower_jwt_auth::session::BackchannelLogout;
use tower_jwt_auth::{JwtAuthLayer, SessionStore, Sessions};

use crate::common::{self, jwks_server};

/// The identity provider's issuer.
pub const PROVIDER: &str = "https://idp.example.com/realms/main";
/// This service's client id at the provider: the `aud` of its logout tokens.
pub const CLIENT: &str = "orders-api";
/// The `events` member of a back-channel logout token.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The provider: its signing key, and its JWK Set served on 127.0.0.1.
pub struct IdP {
    pub jwks: jwks_server::ProviderServer,
    key: EncodingKey,
}

pub async fn idp() -> IdP {
    let (key, _) = common::key_pair(Algorithm::ES256);
    let jwk = jwks_server::jwk(Algorithm::ES256, &key, "idp-1", true);
    IdP {
        jwks: jwks_server::start(vec![jwk]).await,
        key,
    }
}

/// A random id (a `jti`).
pub fn random_id() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    common::b64(bytes)
}

impl IdP {
    /// `claims` signed by the provider under `header`.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        common::sign_raw(
            &header.to_string(),
            &claims.to_string(),
            Algorithm::ES256,
            &self.key,
        )
    }

    /// A logout token with these claims (typed `logout+jwt`).
    pub fn logout_token(&self, claims: &Value) -> String {
        self.sign(
            &json!({ "alg": "ES256", "kid": "idp-1", "typ": "logout+jwt" }),
            claims,
        )
    }

    /// An access token of the provider for this service: `sub`, with `sid` when given, issued at `iat`.
    pub fn access_token(&self, sub: &str, sid: Option<&str>, iat: i64) -> String {
        let mut claims = json!({
            "iss": PROVIDER, "aud": common::AUDIENCE, "sub": sub, "iat": iat, "exp": iat + 600,
            "jti": random_id(), "scope": "read",
        });
        if let Some(sid) = sid {
            claims["sid"] = json!(sid);
        }
        self.sign(&json!({ "alg": "ES256", "kid": "idp-1" }), &claims)
    }
}

/// The claims of a valid logout token for session `sid` and/or subject `sub`, issued now.
pub fn logout_claims(sid: Option<&str>, sub: Option<&str>) -> Value {
    let now = common::now();
    let mut claims = json!({
        "iss": PROVIDER, "aud": CLIENT, "iat": now, "exp": now + 120, "jti": random_id(),
        "events": { BACKCHANNEL_EVENT: {} },
    });
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    if let Some(sub) = sub {
        claims["sub"] = json!(sub);
    }
    claims
}

/// One service instance: sessions of the local issuer over `store`, a layer that also trusts the provider's
/// key set (routed by `iss`), and the provider's back-channel logout endpoint.
pub struct Instance {
    pub sessions: Sessions,
    pub layer: JwtAuthLayer,
    pub logout: BackchannelLogout,
}

pub fn instance(idp: &IdP, store: Arc<dyn SessionStore>) -> Instance {
    let sessions = Sessions::builder(common::sessions::system_issuer(), store)
        .successor_key([9; 32])
        .build()
        .unwrap();
    let provider = Jwks::url(&idp.jwks.jwks_url()).unwrap().allow_http();
    let layer = JwtAuthLayer::builder()
        .sessions(&sessions)
        .trust_issuer(PROVIDER, TrustedIssuer::new().jwks(provider))
        .build()
        .unwrap();
    let logout = layer
        .backchannel_logout(PROVIDER, CLIENT, sessions.store().clone())
        .unwrap();
    Instance {
        sessions,
        layer,
        logout,
    }
}

/// The same, with the logout tokens' `jti`s recorded in `replay` (a shared store).
pub fn shared_instance(
    idp: &IdP,
    store: Arc<dyn SessionStore>,
    replay: Arc<dyn ReplayCache>,
) -> Instance {
    let mut instance = instance(idp, store);
    instance.logout = instance.logout.replay_cache(replay);
    instance
}

/// What an endpoint answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// POSTs `form` (already encoded) to a tower endpoint, with these extra headers.
pub async fn post_form<S>(endpoint: S, form: &str, headers: &[(&str, &str)]) -> Answer
where
    S: tower::Service<
        Request<String>,
        Response = http::Response<http_body_util::Full<bytes::Bytes>>,
        Error = std::convert::Infallible,
    >,
{
    let mut request =
        Request::post("/").header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = endpoint
        .oneshot(request.body(form.to_owned()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// A form-urlencoded `name=value`.
pub fn form(name: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish()
}

/// POSTs `logout_token` to the instance's back-channel logout endpoint.
pub async fn logout(instance: &Instance, logout_token: &str) -> Answer {
    post_form(
        instance.logout.clone(),
        &form("logout_token", logout_token),
        &[],
    )
    .await
}

/// The status of a request to `layer` with `token`.
pub async fn status(layer: &JwtAuthLayer, token: &str) -> StatusCode {
    common::status_of(layer, token).await
}
