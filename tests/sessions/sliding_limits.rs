//! What sliding never renews, and how far it goes: no expired token inside the leeway, no token derived from a
//! revoked one, no token without a session, no token another issuer minted; never past the session's cap; and
//! the settings sliding needs.

use std::time::Duration;

use crate::common;
use crate::common::sessions::{fixture, Fixture, T0};
use crate::common::*;
use crate::fixtures::{
    every_store, info, partner_keys, partner_token, scope, test_issuer, PARTNER, TTL,
};
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, sliding::SlidingPolicy, ConfigError, JwtAuthLayer, MemoryStore, Sessions,
    VerificationKey,
};

async fn sliding_never_renews_an_expired_token_inside_the_leeway(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let exp = pair.access().expires_at();
    f.clock.set(exp - 10);
    let (status, renewed) = f.act(pair.access_token()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(renewed.is_some(), "due and alive: renewed");
    f.clock.set(exp + 1);
    let (status, renewed) = f.act(pair.access_token()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "inside the leeway the token is accepted"
    );
    assert_eq!(renewed, None, "but never renewed");
}

async fn revoking_a_token_stops_every_token_sliding_derived_from_it(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    f.clock.advance(TTL / 2 + 1);
    let (_, first) = f.act(pair.access_token()).await;
    let first = first.expect("reissued");
    f.clock.advance(TTL / 2 + 1);
    let (_, second) = f.act(&first).await;
    let second = second.expect("reissued again");
    assert_eq!(payload(&second)["sid"], payload(pair.access_token())["sid"]);
    assert_ne!(payload(&second)["jti"], payload(pair.access_token())["jti"]);
    // Log out with the original token (a client that kept it): the whole chain stops.
    f.sessions.logout(&info(&f, &first)).await.unwrap();
    for token in [first.as_str(), second.as_str()] {
        assert_eq!(f.status(token).await, StatusCode::UNAUTHORIZED);
        assert_eq!(f.act(token).await, (StatusCode::UNAUTHORIZED, None));
    }
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
}

async fn tokens_without_a_session_never_slide(f: Fixture) {
    let issuer = f.sessions.issuer().clone();
    let token = issuer.issue("alice", &scope()).unwrap();
    f.clock.advance(TTL - 10);
    let (status, renewed) = f.act(token.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        renewed, None,
        "no sid: a revocation of its jti could not cover a reissue, so it is not renewed"
    );
}

#[tokio::test]
async fn sliding_renews_only_tokens_its_issuer_minted_and_stamps_its_own_iss_and_aud() {
    install_provider();
    let clock = ManualClock::new(now());
    let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(TTL as u64));
    let sessions = Sessions::builder(issuer, MemoryStore::new())
        .build()
        .unwrap();
    // A remote (identity provider) key set with an RS256 key, and a partner issuer with its own secret.
    let (rsa_private, _) = key_pair(jsonwebtoken::Algorithm::RS256);
    let jwks = json!({ "keys": [jwks_server::jwk(jsonwebtoken::Algorithm::RS256, &rsa_private, "idp", true)] });
    let layer = JwtAuthLayer::builder()
        .jwks(tower_jwt_auth::keys::Jwks::document(jwks.to_string()))
        .trust_issuer(PARTNER, partner_keys())
        .sessions(&sessions)
        .sliding(SlidingPolicy::new().action(http::Method::POST, "/posts"))
        .build()
        .unwrap();
    let act = |token: String| {
        let layer = layer.clone();
        async move {
            let request = http::Request::post("/posts")
                .header("authorization", format!("Bearer {token}"))
                .body(String::new())
                .unwrap();
            let response = send(&layer, request).await;
            (
                response.status(),
                response
                    .headers()
                    .get("x-access-token")
                    .map(|v| v.to_str().unwrap().to_owned()),
            )
        }
    };
    let t = tower_jwt_auth::clock::Clock::now(&clock);
    let session_claims = |iss: &str| {
        json!({ "iss": iss, "aud": [AUDIENCE, "other-api"], "sub": "alice", "iat": t - 500, "exp": t + 60,
                "sid": "s1", "auth_time": t - 500, "jti": "j" })
    };
    // The identity provider's token: accepted, never re-signed with the local key.
    let idp = token_with(
        jsonwebtoken::Algorithm::RS256,
        json!({ "kid": "idp" }),
        &session_claims(ISSUER),
    );
    assert_eq!(act(idp).await, (StatusCode::OK, None));
    // The partner's token: accepted, left alone.
    assert_eq!(
        act(partner_token(&session_claims(PARTNER))).await,
        (StatusCode::OK, None)
    );
    // A token the local key signed: renewed, with the issuer's own iss and aud.
    let local = hs256(&session_claims(ISSUER));
    let (status, renewed) = act(local).await;
    assert_eq!(status, StatusCode::OK);
    let renewed = payload(&renewed.expect("the issuer's own token slides"));
    assert_eq!(renewed["iss"], ISSUER);
    assert_eq!(
        renewed["aud"], AUDIENCE,
        "aud stamped by the issuer, not copied"
    );
    assert_eq!(renewed["sid"], "s1");
}

#[test]
fn sliding_needs_the_sessions_and_the_issuers_key_and_each_setting_is_given_once() {
    let issuer = test_issuer();
    let store = MemoryStore::new();
    let sessions = Sessions::builder(issuer, store.clone()).build().unwrap();
    let base = || builder_for(jsonwebtoken::Algorithm::HS256);
    // Wired to the sessions, which bring their issuer's keys (the static test key would be a second copy).
    let wired = || JwtAuthLayer::builder().sessions(&sessions);
    let policy = || SlidingPolicy::new().action(http::Method::POST, "/posts");
    // Sliding without the sessions it renews (and whose store stops revoked sessions from sliding).
    assert_eq!(
        base().sliding(policy()).build().unwrap_err(),
        ConfigError::SlidingWithoutSessions
    );
    assert_eq!(
        base()
            .revocation(store.clone())
            .max_age(std::time::Duration::from_secs(86_400))
            .sliding(policy())
            .build()
            .unwrap_err(),
        ConfigError::SlidingWithoutSessions,
        "a revocation store alone does not say whose tokens to renew"
    );
    assert!(wired().sliding(policy()).build().is_ok());
    // The sessions' issuer's own keys are trusted without being given: a layer with only an unrelated key
    // accepts the sessions' tokens, and refuses that key's.
    let other = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, &[5u8; 32]).unwrap())
        .sessions(&sessions)
        .sliding(policy())
        .build()
        .unwrap();
    let minted = sessions.issuer().issue("alice", &()).unwrap();
    assert!(other.verify_token(minted.as_str()).is_ok());
    let stranger = tower_jwt_auth::TokenIssuer::builder(
        tower_jwt_auth::SigningKey::hmac(jsonwebtoken::Algorithm::HS256, &[5u8; 32]).unwrap(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .build()
    .unwrap()
    .issue("alice", &())
    .unwrap();
    assert!(
        other.verify_token(stranger.as_str()).is_ok(),
        "the key given with .key()"
    );
    assert_eq!(
        base()
            .allow_missing_exp()
            .revocation(store.clone())
            .max_age(std::time::Duration::from_secs(86_400))
            .build()
            .unwrap_err(),
        ConfigError::MissingExpWithRevocation
    );
    assert_eq!(
        wired().allow_missing_exp().build().unwrap_err(),
        ConfigError::MissingExpWithRevocation
    );
    // The sessions bring their store and clock: a second one of either is a conflict, not a silent choice.
    assert!(matches!(
        wired().revocation(store).build(),
        Err(ConfigError::Conflict(_))
    ));
    assert!(matches!(
        wired().clock(ManualClock::new(0)).build(),
        Err(ConfigError::Conflict(_))
    ));
    // An invalid sliding cookie name is reported by build(), like every other setting.
    assert!(matches!(
        wired()
            .sliding(policy().cookie("bad name", tower_jwt_auth::sliding::SameSite::Strict))
            .build(),
        Err(ConfigError::InvalidName {
            setting: "SlidingPolicy::cookie",
            ..
        })
    ));
}

#[tokio::test]
async fn the_session_cap_is_the_sessions_max_session() {
    let f = fixture(Duration::ZERO);
    assert_eq!(f.sessions.max_session(), Duration::from_secs(4 * 3600));
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let mut token = pair.access_token().to_owned();
    let end = T0 + 4 * 3600;
    loop {
        f.clock.advance(TTL / 2 + 1);
        match f.act(&token).await {
            (StatusCode::OK, Some(next)) => {
                assert!(
                    payload(&next)["exp"].as_i64().unwrap() <= end,
                    "never past the session end"
                );
                token = next;
            }
            (_, None) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        payload(&token)["exp"].as_i64().unwrap(),
        end,
        "slid up to the sessions' cap"
    );
}

every_store! {
    sliding_never_renews_an_expired_token_inside_the_leeway,
    revoking_a_token_stops_every_token_sliding_derived_from_it,
    tokens_without_a_session_never_slide,
}
