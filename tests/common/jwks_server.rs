//! A JWKS / OpenID Connect provider on 127.0.0.1 for the tests: serves a key set it can change, counts its
//! hits, and can fail, stall or send `Cache-Control`.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

#[derive(Default)]
pub struct Provider {
    pub keys: Mutex<Vec<Value>>,
    pub jwks_hits: AtomicUsize,
    pub discovery_hits: AtomicUsize,
    pub failing: Mutex<bool>,
    pub delay: Mutex<Duration>,
    pub cache_control: Mutex<Option<String>>,
    pub discovery_issuer: Mutex<Option<String>>,
    pub base: Mutex<String>,
}

pub struct ProviderServer {
    pub state: Arc<Provider>,
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ProviderServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ProviderServer {
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.base)
    }
    pub fn hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.state.keys.lock().unwrap() = keys;
    }
    pub fn fail(&self, failing: bool) {
        *self.state.failing.lock().unwrap() = failing;
    }
    pub fn delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }
    pub fn cache_control(&self, value: Option<&str>) {
        *self.state.cache_control.lock().unwrap() = value.map(str::to_owned);
    }
    pub fn discovery_issuer(&self, issuer: &str) {
        *self.state.discovery_issuer.lock().unwrap() = Some(issuer.to_owned());
    }
}

async fn jwks(State(state): State<Arc<Provider>>) -> Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if *state.failing.lock().unwrap() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let body = json!({ "keys": *state.keys.lock().unwrap() }).to_string();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(value) = state.cache_control.lock().unwrap().clone() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, value.parse().unwrap());
    }
    response
}

async fn discovery(State(state): State<Arc<Provider>>) -> Response {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let base = state.base.lock().unwrap().clone();
    let issuer = state
        .discovery_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| base.clone());
    let body = json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks.json") }).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Starts a provider serving `keys`.
pub async fn start(keys: Vec<Value>) -> ProviderServer {
    let state = Arc::new(Provider::default());
    *state.keys.lock().unwrap() = keys;
    let app = Router::new()
        .route("/jwks.json", get(jwks))
        .route("/.well-known/openid-configuration", get(discovery))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    *state.base.lock().unwrap() = base.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    ProviderServer { state, base, task }
}

/// The public JWK of a test key pair, with `kid`, and with or without `alg`.
pub fn jwk(alg: Algorithm, private: &EncodingKey, kid: &str, with_alg: bool) -> Value {
    super::install_provider();
    let mut value = serde_json::to_value(Jwk::from_encoding_key(private, alg).unwrap()).unwrap();
    value["kid"] = json!(kid);
    if !with_alg {
        value.as_object_mut().unwrap().remove("alg");
    }
    value
}
