//! What the demo's behaviour files share: starting the demo, a call with its reply, logins, and the status of
//! `GET /me`.

use crate::common;

use common::demo::{self, Demo};
use http::StatusCode;
use serde_json::{json, Value};

pub(crate) fn start_demo(envs: &[(&str, &str)]) -> Demo {
    demo::start(envs)
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Value,
}

pub(crate) async fn call(
    demo: &Demo,
    method: http::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let (status, body, headers) = demo::call(demo, method.as_str(), path, token, body).await;
    Reply {
        status,
        headers,
        body,
    }
}

/// The status of `GET /me` with the token `name` of a login reply.
pub(crate) async fn me_status(demo: &Demo, reply: &Value, name: &str) -> StatusCode {
    let token = reply[name].as_str().unwrap();
    call(demo, http::Method::GET, "/me", Some(token), None)
        .await
        .status
}

pub(crate) async fn login(demo: &Demo, user: &str, password: &str) -> Reply {
    let body = json!({ "username": user, "password": password }).to_string();
    call(demo, http::Method::POST, "/login", None, Some(&body)).await
}
