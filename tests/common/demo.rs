//! The demo example as a real process on 127.0.0.1, and a small HTTP client for it.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub struct Demo {
    child: Child,
    pub base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the demo binary that `cargo test` builds beside the tests, on a free port, with `envs`.
pub fn start<K: AsRef<str>, V: AsRef<str>>(envs: &[(K, V)]) -> Demo {
    start_example("demo", "demo listening on ", envs)
}

/// Where `cargo test` builds the example `name`: beside the test binaries.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// Starts the example `name` (built by `cargo test` beside the tests) with `BIND=127.0.0.1:0` and `envs`, and
/// waits for the line `announce` + its address on stderr; `base` is that address.
pub fn start_example<K: AsRef<str>, V: AsRef<str>>(
    name: &str,
    announce: &str,
    envs: &[(K, V)],
) -> Demo {
    let binary = example_binary(name);
    assert!(
        binary.exists(),
        "the {name} example is built by `cargo test` at {binary:?}"
    );
    let mut command = Command::new(binary);
    command
        .env("BIND", "127.0.0.1:0")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_CLUSTER")
        .env_remove("JWKS_URL");
    for (key, value) in envs {
        command.env(key.as_ref(), value.as_ref());
    }
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the {name} example printed its address"))
            .unwrap();
        if let Some(address) = line.strip_prefix(announce) {
            break address.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Demo { child, base }
}

/// One request: status, JSON body (`Null` when not JSON), headers.
pub async fn call(
    demo: &Demo,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value, HeaderMap) {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|value| ("authorization", value))
        .into_iter()
        .collect();
    call_with(demo, method, path, &headers, body).await
}

/// One request with these headers (and `content-type: application/json` with a body): status, JSON body
/// (`Null` when not JSON), headers.
pub async fn call_with(
    demo: &Demo,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (StatusCode, Value, HeaderMap) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{}{path}", demo.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        parts.headers,
    )
}

/// Two demo processes over one shared store (`store_env`: `REDIS_URL` or `REDIS_CLUSTER`) and one secret: a
/// refresh token one issued rotates on the other, a logout on one is refused by the other within 100 ms, and the
/// logged-out session's refresh token is dead on both.
pub async fn two_demos_share_sessions(store_env: &[(&str, String)]) {
    let secret = "a-shared-secret-for-both-demo-processes-0123456789";
    let mut env: Vec<(&str, String)> = store_env.to_vec();
    env.push(("JWT_SECRET", secret.to_owned()));
    let a = start(&env);
    let b = start(&env);
    let login = call(
        &a,
        "POST",
        "/login",
        None,
        Some(r#"{"username":"alice","password":"alice-pass"}"#),
    )
    .await;
    let access = login.1["access_token"].as_str().unwrap().to_owned();
    let refresh_token = login.1["refresh_token"].as_str().unwrap().to_owned();
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    let rotated = call(&b, "POST", "/refresh", None, Some(&body)).await;
    assert_eq!(
        rotated.0,
        StatusCode::OK,
        "B rotates a refresh token A issued"
    );
    let new_access = rotated.1["access_token"].as_str().unwrap().to_owned();
    let new_refresh = rotated.1["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&b, "POST", "/logout", Some(&new_access), None).await.0,
        StatusCode::NO_CONTENT
    );
    // A learns of B's logout through the revocation feed: within 100 ms.
    let started = std::time::Instant::now();
    while call(&a, "GET", "/me", Some(&access), None).await.0 != StatusCode::UNAUTHORIZED {
        assert!(
            started.elapsed() < std::time::Duration::from_millis(100),
            "A refuses the old access token"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert_eq!(
        call(&a, "GET", "/me", Some(&new_access), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let body = serde_json::json!({ "refresh_token": new_refresh }).to_string();
    assert_eq!(
        call(&a, "POST", "/refresh", None, Some(&body)).await.0,
        StatusCode::BAD_REQUEST,
        "and the refresh token"
    );
}

/// `GET path` without a token: status and body text.
pub async fn get_text(demo: &Demo, path: &str) -> (StatusCode, String) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = Request::get(format!("{}{path}", demo.base))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A form POST (`application/x-www-form-urlencoded`) with these headers: status, JSON body (`Null` when not
/// JSON), headers.
pub async fn post_form(
    demo: &Demo,
    path: &str,
    headers: &[(&str, &str)],
    form: &str,
) -> (StatusCode, Value, HeaderMap) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::post(format!("{}{path}", demo.base))
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(form.to_owned())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        parts.headers,
    )
}
