//! An RFC 7662 introspection endpoint on 127.0.0.1 for the tests: opaque tokens it knows the answers for, client
//! authentication (`client_secret_basic`, form-urlencoded inside Basic), a count of its calls, and a delay or a
//! failure on demand.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

/// The client the tests' layers call the endpoint as.
pub const CLIENT_ID: &str = "rs";
pub const CLIENT_SECRET: &str = "rs-secret";

#[derive(Default)]
pub struct Introspector {
    /// The answer for each known token (anything else is `{"active":false}`).
    pub answers: Mutex<HashMap<String, Value>>,
    pub calls: AtomicUsize,
    /// Calls that came without the right client credentials.
    pub unauthenticated: AtomicUsize,
    pub delay: Mutex<Duration>,
    pub failing: Mutex<bool>,
}

pub struct IntrospectionServer {
    pub state: Arc<Introspector>,
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for IntrospectionServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl IntrospectionServer {
    pub fn url(&self) -> String {
        format!("{}/introspect", self.base)
    }
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }
    /// `token` is active with these members (`"active": true` is added).
    pub fn activate(&self, token: &str, mut members: Value) {
        members["active"] = json!(true);
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(token.to_owned(), members);
    }
    pub fn deactivate(&self, token: &str) {
        self.state.answers.lock().unwrap().remove(token);
    }
    pub fn delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }
    pub fn fail(&self, failing: bool) {
        *self.state.failing.lock().unwrap() = failing;
    }
}

/// The id and secret of a `client_secret_basic` header, each form-urlencoded inside (RFC 6749 §2.3.1).
pub fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |part: &str| {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

async fn introspect(
    State(state): State<Arc<Introspector>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    state.calls.fetch_add(1, Ordering::SeqCst);
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if *state.failing.lock().unwrap() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if basic_client(&headers) != Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())) {
        state.unauthenticated.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_client\"}").into_response();
    }
    let token = form_urlencoded::parse(body.as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let answer = state
        .answers
        .lock()
        .unwrap()
        .get(&token)
        .cloned()
        .unwrap_or_else(|| json!({ "active": false }));
    (
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

/// Starts an introspection endpoint that knows no token yet.
pub async fn start() -> IntrospectionServer {
    let state = Arc::new(Introspector::default());
    let app = Router::new()
        .route("/introspect", post(introspect))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    IntrospectionServer { state, base, task }
}
