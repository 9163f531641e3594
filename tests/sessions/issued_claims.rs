//! The claims of the sessions' tokens: applications can't set reserved claims, and a `client_id` is carried
//! through refreshes and sliding.

use std::time::Duration;

use crate::common;
use crate::common::sessions::fixture;
use crate::common::*;
use crate::fixtures::{scope, test_issuer, TTL};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{issuer::IssueError, issuer::SessionClaims, session::SessionError};

#[test]
fn application_claims_may_not_set_reserved_claims() {
    let issuer = test_issuer();
    for name in [
        "sid",
        "auth_time",
        "jti",
        "iat",
        "nbf",
        "exp",
        "iss",
        "aud",
        "sub",
    ] {
        let mut claims = scope();
        claims[name] = json!("x");
        assert!(
            matches!(issuer.issue("alice", &claims), Err(IssueError::ReservedClaim(n)) if n == name),
            "{name}"
        );
        let session = SessionClaims::default();
        assert!(issuer.issue_for_session("alice", &claims, session).is_err());
    }
    assert!(issuer
        .issue("alice", &json!({ "scope": "read", "tenant": 7 }))
        .is_ok());
}

#[tokio::test]
async fn login_refuses_reserved_claims() {
    let f = fixture(Duration::ZERO);
    let refused = f.sessions.login("alice", &json!({ "sub": "admin" })).await;
    assert!(matches!(
        refused,
        Err(SessionError::Issue(IssueError::ReservedClaim("sub")))
    ));
}

/// RFC 9068 §2.2: the sessions' tokens carry a `client_id` — the issuer's default, or the one a login names —
/// kept by refreshes and sliding, and seen by handlers on `TokenInfo`.
#[tokio::test]
async fn tokens_carry_their_client_id_through_refresh_and_sliding() {
    let f = fixture(Duration::ZERO);
    let default = f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(payload(default.access_token())["client_id"], json!(ISSUER));
    let named = f
        .sessions
        .login("alice", &json!({ "scope": "read", "client_id": "mobile" }))
        .await
        .unwrap();
    let refreshed = f.sessions.refresh(named.refresh_token()).await.unwrap();
    assert_eq!(
        payload(refreshed.access_token())["client_id"],
        json!("mobile")
    );
    f.clock.advance(TTL - 10);
    let (status, renewed) = f.act(refreshed.access_token()).await;
    assert_eq!(status, StatusCode::OK);
    let renewed = renewed.expect("due: renewed");
    assert_eq!(payload(&renewed)["client_id"], json!("mobile"));
    let (_, info) = f.layer.verify_token(&renewed).unwrap();
    assert_eq!(info.client_id(), Some("mobile"));
    // Set on the issuer, and refused when it is not a string.
    let issuer = common::sessions::issuer_builder()
        .client_id("web")
        .build()
        .unwrap();
    assert_eq!(issuer.client_id(), Some("web"));
    let token = issuer.issue("bob", &()).unwrap();
    assert_eq!(payload(token.as_str())["client_id"], json!("web"));
    assert!(matches!(
        issuer.issue("bob", &json!({ "client_id": 7 })),
        Err(IssueError::NotAString("client_id"))
    ));
}
