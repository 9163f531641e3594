//! Revocation lifetimes: markers outlive every token they revoke, so the layer refuses tokens that would
//! outlive them (longer than the issuer's `max_ttl`, extreme dates) and a revocation store alone needs a
//! lifetime bound; the revocation margin covers the largest leeway.

use std::time::Duration;

use crate::common;
use crate::common::sessions::{fixture, Fixture, T0};
use crate::common::*;
use crate::fixtures::{every_store, info, scope};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, store::REVOCATION_MARGIN, AuthError, AuthErrorKind, JwtAuthLayer,
    MemoryStore, Sessions, VerificationKey,
};

/// Revocation markers are sized by the issuer's `max_ttl`, so the layer refuses the issuer's own tokens that
/// would outlive them (minted with a longer lifetime, or with none stated) instead of accepting them and
/// forgetting their revocation later.
async fn own_tokens_living_longer_than_max_ttl_are_refused(f: Fixture) {
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let max_ttl = f.sessions.issuer().max_ttl().as_secs() as i64;
    for exp in [i64::MAX / 2, t + 100 * 365 * 86_400, t + max_ttl + 1] {
        let token = hs256(&json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": t, "exp": exp, "sid": format!("s-{exp}")
        }));
        let refused = f.harness.send(&token).await;
        assert_refused_for(&refused, "exp");
        let kind = refused.extensions().get::<AuthError>().unwrap().kind();
        assert_eq!(kind, AuthErrorKind::InvalidClaim, "exp {exp}");
    }
    let without_iat =
        hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": t + 60 }));
    assert_eq!(f.status(&without_iat).await, StatusCode::UNAUTHORIZED);
    let at_the_limit = hs256(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": t, "exp": t + max_ttl, "sid": "s-limit", "auth_time": t
    }));
    assert_eq!(f.status(&at_the_limit).await, StatusCode::OK);
    f.sessions.logout(&info(&f, &at_the_limit)).await.unwrap();
    assert_eq!(f.status(&at_the_limit).await, StatusCode::UNAUTHORIZED);
}

/// A 401 `invalid_token` that names `claim` as the reason.
fn assert_refused_for(response: &http::Response<String>, claim: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.extensions().get::<AuthError>().unwrap().claim(),
        Some(claim)
    );
}

/// Sessions over `store` with an issuer of this ttl (and max_ttl), and a layer wired to them: one "process".
fn process(
    clock: &ManualClock,
    store: &MemoryStore,
    ttl: u64,
    max_ttl: Option<u64>,
) -> (Sessions, JwtAuthLayer) {
    let mut issuer = common::sessions::issuer_builder()
        .ttl(Duration::from_secs(ttl))
        .clock(clock.clone());
    if let Some(max_ttl) = max_ttl {
        issuer = issuer.max_ttl(Duration::from_secs(max_ttl));
    }
    let sessions = Sessions::builder(issuer.build().unwrap(), store.clone())
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
    (sessions, layer)
}

/// Markers are sized by the longest lifetime a token of the issuer can have, not by today's ttl: tokens minted
/// with a 3600 s ttl stay logged out after a restart with 60 s (max_ttl kept at 3600), for as long as they live;
/// and a restarted layer that was not told (max_ttl = ttl = 60) refuses them outright instead of letting them
/// outlive the markers.
#[tokio::test]
async fn markers_outlive_tokens_minted_under_a_longer_ttl() {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new();
    let (before, _) = process(&clock, &store, 3600, None);
    let pair = before.login("alice", &scope()).await.unwrap();
    let exp = pair.access().expires_at();

    let (after, layer) = process(&clock, &store, 60, Some(3600));
    assert_eq!(
        send(&layer, bearer(pair.access_token())).await.status(),
        StatusCode::OK
    );
    clock.advance(1);
    after.logout_all("alice").await.unwrap();
    for at in [T0 + 480, exp - 60, exp - 1] {
        clock.set(at);
        assert_eq!(
            send(&layer, bearer(pair.access_token())).await.status(),
            StatusCode::UNAUTHORIZED,
            "at {at} (the token expires at {exp})"
        );
    }

    clock.set(T0 + 10);
    let (_, unaware) = process(&clock, &MemoryStore::new(), 60, None);
    let refused = send(&unaware, bearer(pair.access_token())).await;
    assert_refused_for(&refused, "exp");
}

/// A layer with a revocation store but no sessions must bound token lifetimes (`max_age`, the issuer's
/// `max_ttl`), or say that its store keeps revocations forever: otherwise a token minted with a longer lifetime
/// comes back when its marker lapses.
#[test]
fn a_revocation_store_without_sessions_needs_a_lifetime_bound() {
    let builder = || {
        JwtAuthLayer::builder()
            .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, SECRET).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .revocation(MemoryStore::new())
    };
    let error = builder().build().unwrap_err().to_string();
    assert!(error.contains(".max_age(..)"), "{error}");
    assert!(builder().max_age(Duration::from_secs(600)).build().is_ok());
    assert!(builder().allow_unbounded_token_lifetime().build().is_ok());
}

/// Whichever key verifies it, a token that names the sessions' issuer is held to the issuer's `max_ttl` in a
/// layer wired to the sessions (a second key of the same issuer, say a legacy one, can't mint tokens that
/// outlive the markers).
#[tokio::test]
async fn every_token_naming_the_sessions_issuer_is_held_to_its_max_ttl() {
    let f = fixture(Duration::ZERO);
    let legacy = [5u8; 32];
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, &legacy).unwrap())
        .sessions(&f.sessions)
        .build()
        .unwrap();
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let max_ttl = f.sessions.issuer().max_ttl().as_secs() as i64;
    let sign = |exp: i64| {
        sign_raw(
            r#"{"alg":"HS256"}"#,
            &json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": t, "exp": exp })
                .to_string(),
            jsonwebtoken::Algorithm::HS256,
            &jsonwebtoken::EncodingKey::from_secret(&legacy).unwrap(),
        )
    };
    assert_eq!(
        send(&layer, bearer(&sign(t + max_ttl))).await.status(),
        StatusCode::OK
    );
    let refused = send(&layer, bearer(&sign(t + max_ttl + 1))).await;
    assert_refused_for(&refused, "exp");
}

#[tokio::test]
async fn extreme_dates_never_overflow() {
    let f = fixture(Duration::ZERO);
    // Extreme session starts slide (or not) without overflowing.
    for auth_time in [i64::MAX, i64::MIN, T0 - 3_000_000] {
        let c = json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": T0 - 500, "exp": T0 + 60, "sid": "s", "auth_time": auth_time });
        let (status, _) = f.act(&hs256(&c)).await;
        assert_eq!(status, StatusCode::OK, "auth_time {auth_time}");
    }
    // An extreme `iat` makes the lifetime overflow: refused as longer than max_ttl, never a panic.
    for (iat, auth_time) in [(i64::MIN, Some(i64::MAX)), (i64::MIN + 1, None)] {
        let mut c = json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": iat, "exp": T0 + 60, "sid": "s" });
        if let Some(auth_time) = auth_time {
            c["auth_time"] = json!(auth_time);
        }
        let (status, _) = f.act(&hs256(&c)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "iat {iat}");
    }
}

#[test]
fn the_revocation_margin_covers_the_largest_leeway() {
    assert!(REVOCATION_MARGIN >= Duration::from_secs(300));
    assert!(
        JwtAuthLayer::builder()
            .leeway(Duration::from_secs(301))
            .audience(AUDIENCE)
            .build()
            .is_err(),
        "no layer accepts tokens longer past exp than the margin covers"
    );
}

every_store! {
    own_tokens_living_longer_than_max_ttl_are_refused,
}
