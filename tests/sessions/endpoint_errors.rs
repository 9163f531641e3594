//! The endpoints' errors: a store failure is 503 at every endpoint, and JSON bodies that are not objects are
//! invalid requests.

use crate::common;

use std::time::Duration;

use crate::endpoint_fixtures::{app, call, json_of, logged_in, post, revoke};
use common::sessions::{fixture, system_issuer};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{
    store::Lookup, store::NewSession, store::RevocationCheck, store::RotateOutcome,
    store::RotateRequest, store::StoreError, store::StoreFuture, SessionStore, Sessions, TokenInfo,
};

/// A store whose backend is down: every call fails (also used by `error_responses`).
pub(crate) struct DownStore;

impl RevocationCheck for DownStore {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Err(StoreError::new("down")))
    }
}

fn down<T: Send + 'static>() -> StoreFuture<T> {
    Box::pin(async { Err(StoreError::new("connection refused")) })
}

impl SessionStore for DownStore {
    fn create_session(&self, _: NewSession) -> StoreFuture<()> {
        down()
    }
    fn rotate(&self, _: RotateRequest) -> StoreFuture<RotateOutcome> {
        down()
    }
    fn revoke_session(&self, _: &str, _: i64) -> StoreFuture<()> {
        down()
    }
    fn revoke_refresh_token(&self, _: &str, _: u64, _: [u8; 32], _: i64) -> StoreFuture<bool> {
        down()
    }
    fn revoke_token(&self, _: &str, _: i64) -> StoreFuture<()> {
        down()
    }
    fn revoke_subject(&self, _: &str, _: &str, _: i64, _: i64) -> StoreFuture<()> {
        down()
    }
}

#[tokio::test]
async fn a_store_failure_is_503_at_every_endpoint() {
    let f = fixture(Duration::ZERO);
    let working = f.sessions.login("alice", &json!({})).await.unwrap();
    let sessions = Sessions::builder(system_issuer(), DownStore)
        .successor_key([1; 32])
        .build()
        .unwrap();
    assert!(matches!(
        sessions.login("alice", &()).await,
        Err(tower_jwt_auth::session::SessionError::Unavailable(_))
    ));
    let app = app(sessions);
    let body = json!({ "refresh_token": working.refresh_token() }).to_string();
    let (status, _, text) = call(&app, post("/refresh", "application/json", body)).await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"temporarily_unavailable"}"#
        )
    );
    let form = format!("token={}", working.refresh_token());
    let (status, _, _) = revoke(&app, &form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn json_bodies_that_are_not_objects_are_invalid_requests() {
    let (f, app, pair) = logged_in().await;
    let token = pair.refresh_token();
    for (uri, body) in [
        ("/refresh", format!(r#"["{token}"]"#)),
        ("/refresh", "\"x\"".to_owned()),
        ("/refresh", "42".to_owned()),
        ("/revoke", format!(r#"["{token}"]"#)),
        ("/revoke", "null".to_owned()),
        (
            "/refresh",
            format!(r#"{{"refresh_token":"x","refresh_token":"{token}"}}"#),
        ),
    ] {
        let (status, _, text) = call(&app, post(uri, "application/json", body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {body}");
        assert_eq!(json_of(&text)["error"], "invalid_request");
    }
    assert!(
        f.sessions.refresh(token).await.is_ok(),
        "nothing was refreshed or revoked by the arrays"
    );
}
