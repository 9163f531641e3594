//! A layer and the sessions: wired to them, it takes their issuer, store and clock; not wired, it refuses their
//! tokens, whose sessions it could not check.

use std::time::Duration;

use crate::common;
use crate::common::sessions::{fixture, T0};
use crate::common::*;
use crate::fixtures::{info, partner_keys, partner_token, scope, PARTNER};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, AuthErrorKind, JwtAuthLayer, MemoryStore, Sessions, VerificationKey,
};

#[tokio::test]
async fn a_layer_wired_to_sessions_accepts_their_tokens_on_their_clock() {
    // No .issuer(..), .audience(..), .revocation(..) or .clock(..): the sessions bring them (`for_sessions` is
    // `builder().sessions(..)`).
    let clock = ManualClock::new(T0);
    let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(600));
    let sessions = Sessions::builder(issuer, MemoryStore::new())
        .build()
        .unwrap();
    let layer = JwtAuthLayer::for_sessions(&sessions).build().unwrap();
    let pair = sessions.login("alice", &json!({})).await.unwrap();
    assert_eq!(status_of(&layer, pair.access_token()).await, StatusCode::OK);
    // The layer verifies on the issuer's clock: at T0 + 601 the token has expired for it (30 s leeway).
    clock.advance(601 + 30);
    assert_eq!(
        status_of(&layer, pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    clock.set(T0 + 10);
    sessions
        .logout(&layer.verify_token(pair.access_token()).unwrap().1)
        .await
        .unwrap();
    assert_eq!(
        status_of(&layer, pair.access_token()).await,
        StatusCode::UNAUTHORIZED,
        "checked against the sessions' store"
    );
    // Tokens of another issuer or audience are still refused.
    let foreign = hs256(&with_claim(
        claims(),
        "iss",
        json!("https://elsewhere.test"),
    ));
    assert_eq!(status_of(&layer, &foreign).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn session_tokens_are_refused_where_their_session_cannot_be_checked() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    // The quick start's layer on the sessions' issuer key, but neither wired to the sessions nor to a store:
    // it could never see the session's logout.
    let unwired = || {
        JwtAuthLayer::builder()
            .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, SECRET).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .clock(f.clock.clone())
    };
    let layer = unwired().build().unwrap();
    let response = send(&layer, bearer(pair.access_token())).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = response
        .extensions()
        .get::<tower_jwt_auth::AuthError>()
        .unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidClaim, Some("sid"))
    );
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="invalid_token""#));
    // A token without a session is the layer's to judge alone.
    let sessionless = f.sessions.issuer().issue("alice", &scope()).unwrap();
    assert_eq!(
        status_of(&layer, sessionless.as_str()).await,
        StatusCode::OK
    );
    // The opt-out says what it gives up: the logged-out session's token keeps working.
    let opted_out = unwired().allow_unchecked_sessions().build().unwrap();
    assert_eq!(
        status_of(&opted_out, pair.access_token()).await,
        StatusCode::OK
    );
    // With the revocation store, the layer checks the session: accepted, then refused after the logout. A
    // partner's token with a `sid` of its own is checked against the same markers, and accepted.
    let checked = unwired()
        .trust_issuer(PARTNER, partner_keys())
        .revocation(f.memory.clone().unwrap())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    assert_eq!(
        status_of(&checked, pair.access_token()).await,
        StatusCode::OK
    );
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let partner = partner_token(
        &json!({ "iss": PARTNER, "aud": AUDIENCE, "sub": "bob", "iat": t, "exp": t + 600, "sid": "p1" }),
    );
    assert_eq!(status_of(&checked, &partner).await, StatusCode::OK);
    f.sessions
        .logout(&info(&f, pair.access_token()))
        .await
        .unwrap();
    assert_eq!(
        status_of(&checked, pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&opted_out, pair.access_token()).await,
        StatusCode::OK,
        "what allow_unchecked_sessions() gives up"
    );
}
