//! Tokens of a trusted partner issuer: handlers see whose token it is, and a partner's `sid` never ends a local
//! session.

use std::time::Duration;

use crate::common::sessions::fixture;
use crate::common::*;
use crate::fixtures::{partner_keys, partner_token, scope, PARTNER};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{Claims, JwtAuthLayer, RegisteredClaims, TokenInfo};

#[tokio::test]
async fn handlers_see_the_issuer_of_the_token() {
    let layer = builder_for(jsonwebtoken::Algorithm::HS256)
        .trust_issuer(PARTNER, partner_keys())
        .build()
        .unwrap();
    let local = hs256(&claims());
    let (_, info) = layer.verify_token(&local).unwrap();
    assert_eq!(info.issuer(), Some(ISSUER));
    let foreign = partner_token(&with_claim(claims(), "iss", json!(PARTNER)));
    let (claims, info): (Claims<RegisteredClaims>, TokenInfo) =
        layer.verify_token(&foreign).unwrap();
    assert_eq!(info.issuer(), Some(PARTNER));
    assert_eq!(
        (claims.sub.as_deref(), info.subject()),
        (Some("alice"), Some("alice"))
    );
}

/// Only the sessions' own tokens end a local session: a partner's token whose `sid` equals a local session id
/// has only its own `jti` revoked, and the local session goes on.
#[tokio::test]
async fn a_partner_token_naming_a_local_session_does_not_end_it() {
    let f = fixture(Duration::ZERO);
    let layer = JwtAuthLayer::builder()
        .trust_issuer(PARTNER, partner_keys())
        .sessions(&f.sessions)
        .build()
        .unwrap();
    let local = f.sessions.login("alice", &scope()).await.unwrap();
    let sid = payload(local.access_token())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let partner = partner_token(&json!({
        "iss": PARTNER, "aud": AUDIENCE, "sub": "alice", "iat": t, "exp": t + 60, "sid": sid, "jti": "partner-1"
    }));
    let (_, info) = layer.verify_token(&partner).unwrap();
    assert!(!info.is_own_token());
    f.sessions.logout(&info).await.unwrap();
    assert_eq!(
        send(&layer, bearer(&partner)).await.status(),
        StatusCode::UNAUTHORIZED,
        "the partner token's own jti is revoked"
    );
    assert_eq!(
        send(&layer, bearer(local.access_token())).await.status(),
        StatusCode::OK
    );
    assert!(f.sessions.refresh(local.refresh_token()).await.is_ok());
    let (_, own) = layer.verify_token(local.access_token()).unwrap();
    assert!(own.is_own_token());
}
