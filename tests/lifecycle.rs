//! Lifecycle guarantees, each through the public API and against every store (memory, and a real Redis):
//! nothing revoked comes back inside the leeway, nothing foreign is renewed, nothing grows with rotations.

mod common;

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "redis")]
use common::sessions::redis_fixture;
use common::sessions::{fixture, fixture_with, Fixture, T0};
use common::*;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, issuer::IssueError, issuer::SessionClaims, keys::TrustedIssuer,
    session::SessionError, sliding::SlidingPolicy, store::REVOCATION_MARGIN, AuthError,
    AuthErrorKind, Claims, ConfigError, JwtAuthLayer, MemoryStore, RegisteredClaims, SessionStore,
    Sessions, TokenInfo, TokenIssuer, TokenPair, VerificationKey,
};

/// The access TTL and the layer's leeway in the fixtures.
const TTL: i64 = 600;
const LEEWAY: i64 = 30;

fn scope() -> serde_json::Value {
    json!({ "scope": "read write" })
}

fn payload(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap(),
    )
    .unwrap()
}

const PARTNER: &str = "https://partner.test";
const PARTNER_SECRET: [u8; 32] = [9; 32];

/// The partner issuer's keys, for `trust_issuer(PARTNER, ..)`.
fn partner_keys() -> TrustedIssuer {
    TrustedIssuer::new()
        .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, &PARTNER_SECRET).unwrap())
}

/// A token the partner issuer signed.
fn partner_token(claims: &serde_json::Value) -> String {
    sign_raw(
        r#"{"alg":"HS256"}"#,
        &claims.to_string(),
        jsonwebtoken::Algorithm::HS256,
        &jsonwebtoken::EncodingKey::from_secret(&PARTNER_SECRET).unwrap(),
    )
}

/// The tests' issuer with the default lifetime (the clock does not matter to these cases).
fn test_issuer() -> TokenIssuer {
    common::sessions::test_issuer(
        &ManualClock::new(now()),
        tower_jwt_auth::issuer::DEFAULT_ACCESS_TTL,
    )
}

/// The facts of a token this fixture accepts.
fn info(f: &Fixture, token: &str) -> TokenInfo {
    f.layer.verify_token(token).unwrap().1
}

async fn a_logged_out_token_stays_refused_inside_the_leeway(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let exp = pair.access().expires_at();
    f.sessions
        .logout(&info(&f, pair.access_token()))
        .await
        .unwrap();
    // Past exp, inside the leeway: the layer would still accept the token, so the revocation must hold.
    f.clock.set(exp + 1);
    if f.server.is_none() {
        // Make the memory store sweep what it considers expired: fill it so the next login sweeps.
        for _ in 0..5000 {
            let _ = f.sessions.login("filler", &()).await;
        }
    }
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, renewed) = f.act(pair.access_token()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(renewed, None, "a revoked token is never renewed");
    f.clock.set(exp + LEEWAY - 1);
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    if let Some(server) = &f.server {
        // Redis prunes markers on its own clock: each must last until exp + the largest leeway, at least.
        let markers = common::redis_server::markers(&server.url(), "tja").await;
        // The session's marker covers the token's `jti` too: logout writes no second marker.
        assert_eq!(
            markers.iter().map(|m| m.kind).collect::<Vec<_>>(),
            ["s"],
            "the session marker alone: {markers:?}"
        );
        for marker in markers {
            assert!(
                marker.until >= exp + 300,
                "{marker:?} lapses before exp {exp} + the largest leeway"
            );
        }
    }
}

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

async fn logout_all_covers_the_same_second_and_a_login_right_after_works(f: Fixture) {
    let before = f.sessions.login("alice", &scope()).await.unwrap();
    let loose = f.sessions.issuer().issue("alice", &scope()).unwrap();
    let bob = f.sessions.login("bob", &scope()).await.unwrap();
    // Same second: iat == the logout-all time.
    f.sessions.logout_all("alice").await.unwrap();
    let after = f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        payload(before.access_token())["iat"],
        payload(after.access_token())["iat"]
    );
    assert_eq!(
        f.status(before.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.status(loose.as_str()).await,
        StatusCode::UNAUTHORIZED,
        "a session-less token of that second"
    );
    assert!(f.sessions.refresh(before.refresh_token()).await.is_err());
    assert_eq!(
        f.status(after.access_token()).await,
        StatusCode::OK,
        "a login right after works"
    );
    assert!(f.sessions.refresh(after.refresh_token()).await.is_ok());
    assert_eq!(
        f.status(bob.access_token()).await,
        StatusCode::OK,
        "other subjects are untouched"
    );
}

async fn logout_all_racing_logins_leaves_no_session_behind(f: Fixture) {
    let sessions = f.sessions.clone();
    let done_before: Vec<TokenPair> = {
        let mut pairs = Vec::new();
        for _ in 0..5 {
            pairs.push(sessions.login("alice", &scope()).await.unwrap());
        }
        pairs
    };
    let racing: Vec<_> = (0..40)
        .map(|_| {
            let sessions = sessions.clone();
            tokio::spawn(async move { sessions.login("alice", &json!({})).await.unwrap() })
        })
        .collect();
    let logout = {
        let sessions = sessions.clone();
        tokio::spawn(async move { sessions.logout_all("alice").await.unwrap() })
    };
    let mut raced = Vec::new();
    for task in racing {
        raced.push(task.await.unwrap());
    }
    logout.await.unwrap();
    for pair in &done_before {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Whatever the order, a later logout-all ends every one of them: none escaped the index.
    f.clock.advance(1);
    sessions.logout_all("alice").await.unwrap();
    for pair in done_before.iter().chain(&raced) {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            sessions.refresh(pair.refresh_token()).await.is_err(),
            "a session escaped logout-all"
        );
    }
}

async fn storage_stays_constant_over_a_thousand_rotations(f: Fixture) {
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let before = f.store_size().await;
    let mut current = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let mut tokens = vec![
        first.refresh_token().to_owned(),
        current.refresh_token().to_owned(),
    ];
    for _ in 1..1000 {
        current = f.sessions.refresh(current.refresh_token()).await.unwrap();
        tokens.push(current.refresh_token().to_owned());
    }
    let after = f.store_size().await;
    eprintln!("store size before / after 1000 rotations: {before} / {after}");
    assert_eq!(before, after, "storage independent of the rotations");
    assert!(
        before <= 2,
        "one session (and, on Redis, its subject index): {before}"
    );
    // Reuse of the very first generation, 1000 rotations back, is still recognised and revokes the family.
    assert!(matches!(
        f.sessions.refresh(&tokens[0]).await,
        Err(SessionError::InvalidGrant)
    ));
    assert!(f.sessions.refresh(current.refresh_token()).await.is_err());
    assert_eq!(
        f.status(current.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn reuse_of_any_older_generation_revokes_the_family(f: Fixture) {
    for older in 0..4usize {
        let mut chain = vec![f.sessions.login("alice", &scope()).await.unwrap()];
        for _ in 0..5 {
            let next = f
                .sessions
                .refresh(chain.last().unwrap().refresh_token())
                .await
                .unwrap();
            chain.push(next);
        }
        let current = chain.last().unwrap();
        assert!(f
            .sessions
            .refresh(chain[older].refresh_token())
            .await
            .is_err());
        assert!(
            f.sessions.refresh(current.refresh_token()).await.is_err(),
            "generation {older} reused: the family is revoked"
        );
        assert_eq!(
            f.status(current.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // A forged token of an old generation (right session, wrong secret) changes nothing.
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    let next = f.sessions.refresh(next.refresh_token()).await.unwrap();
    let sid = pair.refresh_token().split('.').next().unwrap();
    let forged = format!("{sid}.0.{}", "A".repeat(43));
    assert!(f.sessions.refresh(&forged).await.is_err());
    assert!(
        f.sessions.refresh(next.refresh_token()).await.is_ok(),
        "the family survives a forgery"
    );
}

async fn logout_all_is_per_issuer(f: Fixture) {
    let layer = JwtAuthLayer::builder()
        .trust_issuer(PARTNER, partner_keys())
        .sessions(&f.sessions)
        .build()
        .unwrap();
    let t = tower_jwt_auth::clock::Clock::now(&f.clock);
    let partner_token = partner_token(
        &json!({ "iss": PARTNER, "aud": AUDIENCE, "sub": "alice", "iat": t - 10, "exp": t + 3600, "sid": "idp-session" }),
    );
    let local = f.sessions.login("alice", &scope()).await.unwrap();
    f.clock.advance(1);
    f.sessions.logout_all("alice").await.unwrap();
    assert_eq!(
        send(&layer, bearer(local.access_token())).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&layer, bearer(&partner_token)).await.status(),
        StatusCode::OK,
        "the partner's alice is not the sessions' alice: its lifetime is not theirs to bound"
    );
}

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

async fn revoking_an_older_refresh_token_ends_its_family(f: Fixture) {
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let second = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let third = f.sessions.refresh(second.refresh_token()).await.unwrap();
    assert!(f.sessions.revoke(first.refresh_token()).await.unwrap());
    assert!(f.sessions.refresh(third.refresh_token()).await.is_err());
    assert_eq!(
        f.status(third.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

/// Runs a case against the memory store, and against Redis with the `redis` feature.
macro_rules! every_store {
    ($($case:ident),* $(,)?) => {
        mod memory_store {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(fixture(Duration::ZERO)).await
                }
            )*
        }

        #[cfg(feature = "redis")]
        mod redis_store {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    if let Some(f) = redis_fixture(Duration::ZERO).await {
                        super::$case(f).await
                    }
                }
            )*
        }
    };
}

every_store! {
    a_logged_out_token_stays_refused_inside_the_leeway,
    sliding_never_renews_an_expired_token_inside_the_leeway,
    revoking_a_token_stops_every_token_sliding_derived_from_it,
    tokens_without_a_session_never_slide,
    logout_all_covers_the_same_second_and_a_login_right_after_works,
    logout_all_racing_logins_leaves_no_session_behind,
    storage_stays_constant_over_a_thousand_rotations,
    reuse_of_any_older_generation_revokes_the_family,
    logout_all_is_per_issuer,
    own_tokens_living_longer_than_max_ttl_are_refused,
    revoking_an_older_refresh_token_ends_its_family,
}

#[tokio::test]
async fn a_sub_second_grace_period_rounds_up() {
    let f = fixture_with(Arc::new(MemoryStore::new()), Duration::from_millis(500));
    let first = f.sessions.login("alice", &scope()).await.unwrap();
    let second = f.sessions.refresh(first.refresh_token()).await.unwrap();
    let retry = f.sessions.refresh(first.refresh_token()).await.unwrap();
    assert_eq!(retry.refresh_token(), second.refresh_token());
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_session_index_forgets_ended_sessions() {
    let Some(f) = redis_fixture(Duration::ZERO).await else {
        return;
    };
    for _ in 0..3 {
        f.sessions.login("alice", &scope()).await.unwrap();
    }
    let index = || async {
        let keys = f.redis_keys().await;
        let key = keys.iter().find(|k| k.ends_with(":ss")).unwrap().clone();
        let server = f.server.as_ref().unwrap();
        let client = redis::Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("ZCARD")
            .arg(key)
            .query_async::<usize>(&mut connection)
            .await
            .unwrap()
    };
    assert_eq!(index().await, 3);
    f.clock.advance(4 * 3600 + 1);
    f.sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        index().await,
        1,
        "ended sessions are pruned on the next login"
    );
}

#[tokio::test]
async fn a_full_memory_store_never_refuses_a_revocation_or_a_logout() {
    let store = MemoryStore::with_capacity(3);
    let f = fixture_with(Arc::new(store.clone()), Duration::ZERO);
    let a = f.sessions.login("alice", &scope()).await.unwrap();
    let b = f.sessions.login("bob", &scope()).await.unwrap();
    let c = f.sessions.login("carol", &scope()).await.unwrap();
    assert!(
        matches!(
            f.sessions.login("dave", &scope()).await,
            Err(SessionError::Unavailable(_))
        ),
        "a full store refuses new sessions"
    );
    // Rotation needs no room, and revocations are always taken.
    let c2 = f.sessions.refresh(c.refresh_token()).await.unwrap();
    f.sessions
        .logout(&info(&f, a.access_token()))
        .await
        .unwrap();
    f.sessions.logout_all("bob").await.unwrap();
    f.store.revoke_token("some-jti", T0 + 600).await.unwrap();
    assert!(f.sessions.revoke(c2.refresh_token()).await.unwrap());
    for pair in [&a, &b, &c2] {
        assert_eq!(
            f.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(store.len() > 3, "revocations went past the session bound");
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
async fn a_layer_wired_to_sessions_accepts_their_tokens_on_their_clock() {
    // No .issuer(..), .audience(..), .revocation(..) or .clock(..): the sessions bring them.
    let clock = ManualClock::new(T0);
    let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(600));
    let sessions = Sessions::builder(issuer, MemoryStore::new())
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
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

#[tokio::test]
async fn real_provider_tokens_with_hundreds_of_members_pass_and_limits_are_configurable() {
    let audiences: Vec<String> = (0..30)
        .map(|i| format!("api-{i}"))
        .chain([AUDIENCE.to_owned()])
        .collect();
    // 200 short group names fit the default 8 KiB; Entra's 200 GUID groups need a larger token size.
    let short: Vec<String> = (0..200).map(|i| format!("g{i}")).collect();
    let guids: Vec<String> = (0..200)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    for (groups, max_size) in [(short, 8 * 1024), (guids, 16 * 1024)] {
        let entra = with_claim(
            with_claim(claims(), "groups", json!(groups)),
            "aud",
            json!(audiences),
        );
        let token = hs256(&entra);
        assert!(token.len() < max_size);
        let layer = builder_for(jsonwebtoken::Algorithm::HS256)
            .max_token_size(max_size)
            .build()
            .unwrap();
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
        let strict = builder_for(jsonwebtoken::Algorithm::HS256)
            .max_token_size(max_size)
            .json_limits(64, 4)
            .build()
            .unwrap();
        assert_eq!(
            rejection_kind(&send(&strict, bearer(&token)).await),
            Some(AuthErrorKind::InvalidClaim)
        );
    }
}

/// One account can't make the memory store grow: a login, N refreshes and an RFC 7009 revocation of every access
/// token leave as many entries for N = 50 as for N = 5 (one session marker; no `jti` marker per token, nothing
/// written for a token already refused), and revocations never fill the room logins need.
#[tokio::test]
async fn revocations_per_account_stay_bounded_in_the_memory_store() {
    let mut sizes = Vec::new();
    for n in [5, 50] {
        let store = MemoryStore::with_capacity(2);
        let h = tower_jwt_auth::testing::Harness::new(
            tower_jwt_auth::testing::StoreUnderTest::new(Arc::new(store.clone())),
            Duration::ZERO,
        );
        common::sessions::login_refresh_and_revoke_each(&h, n).await;
        sizes.push(store.len());
        // The revocations count against nothing logins need: two sessions still fit in a store of two.
        for _ in 0..2 {
            h.sessions.login("alice", &json!({})).await.unwrap();
        }
    }
    assert_eq!(sizes[0], sizes[1], "entries after N = 5 and N = 50");
    assert_eq!(sizes[0], 1, "the session's marker alone");
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

/// A memory store that can misbehave the way a networked store can: `partial` — the first session revocation
/// writes its marker (answered by `is_revoked`) and then fails before the session's row is deleted, like a
/// Redis connection dropped between the two; `race` — a logout everywhere of the user completes between a
/// login's `auth_time` and the storing of its session.
#[derive(Clone)]
struct Flaky {
    inner: MemoryStore,
    clock: ManualClock,
    partial: Arc<std::sync::Mutex<Option<std::collections::HashSet<String>>>>,
    race: Arc<std::sync::atomic::AtomicBool>,
}

impl Flaky {
    /// A well-behaved store (until told otherwise), sessions over it on a manual clock, and a layer wired to them.
    fn sessions() -> (Self, Sessions, JwtAuthLayer) {
        let clock = ManualClock::new(T0);
        let store = Self {
            inner: MemoryStore::new(),
            clock: clock.clone(),
            partial: Arc::default(),
            race: Arc::default(),
        };
        let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(600));
        let sessions = Sessions::builder(issuer, store.clone()).build().unwrap();
        let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
        (store, sessions, layer)
    }
}

impl tower_jwt_auth::store::RevocationCheck for Flaky {
    fn is_revoked(&self, token: &TokenInfo) -> tower_jwt_auth::store::Lookup<bool> {
        let marked = self
            .partial
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|sids| token.session_id().is_some_and(|sid| sids.contains(sid)));
        match marked {
            true => tower_jwt_auth::store::Lookup::Ready(Ok(true)),
            false => self.inner.is_revoked(token),
        }
    }
}

impl SessionStore for Flaky {
    fn create_session(
        &self,
        session: tower_jwt_auth::store::NewSession,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        if self.race.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.clock.advance(1);
            let now = tower_jwt_auth::clock::Clock::now(&self.clock);
            let subject = session.session.subject.clone();
            drop(self.inner.revoke_subject(ISSUER, &subject, now, now + 3600));
        }
        self.inner.create_session(session)
    }
    fn rotate(
        &self,
        request: tower_jwt_auth::store::RotateRequest,
    ) -> tower_jwt_auth::store::StoreFuture<tower_jwt_auth::store::RotateOutcome> {
        self.inner.rotate(request)
    }
    fn revoke_session(
        &self,
        session_id: &str,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        let mut partial = self.partial.lock().unwrap();
        if let Some(sids) = partial.as_mut() {
            if sids.is_empty() {
                sids.insert(session_id.to_owned());
                return Box::pin(std::future::ready(Err(
                    tower_jwt_auth::store::StoreError::new(
                        "the connection dropped after the marker was written",
                    ),
                )));
            }
        }
        self.inner.revoke_session(session_id, until)
    }
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<bool> {
        self.inner
            .revoke_refresh_token(session_id, generation, secret_hash, until)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.inner.revoke_token(jti, until)
    }
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.inner
            .revoke_subject(issuer, subject, not_before, until)
    }
    fn is_shared_or_persistent(&self) -> bool {
        false
    }
}

/// A logout whose store wrote the session's marker but failed before deleting the session (503) is finished
/// by the next logout of a token of it, although the token is refused already: the refresh token stops
/// working too, and the session can't come back when the marker lapses.
#[tokio::test]
async fn a_logout_that_failed_halfway_is_finished_by_the_next_one() {
    let (store, sessions, layer) = Flaky::sessions();
    *store.partial.lock().unwrap() = Some(Default::default());
    let pair = sessions.login("alice", &scope()).await.unwrap();
    let (_, info) = layer.verify_token(pair.access_token()).unwrap();
    assert!(matches!(
        sessions.logout(&info).await,
        Err(SessionError::Unavailable(_))
    ));
    assert_eq!(
        send(&layer, bearer(pair.access_token())).await.status(),
        StatusCode::UNAUTHORIZED,
        "the marker was written"
    );
    sessions.logout(&info).await.unwrap();
    assert!(
        sessions.refresh(pair.refresh_token()).await.is_err(),
        "the session's row is gone: its refresh token can't outlive the marker"
    );
}

/// A login that races a logout everywhere of its user — its `auth_time` before the logout-all, its session
/// stored after the logout-all ended the user's sessions — is ended at once and answered as unavailable, so no
/// session of it survives the logout-all's marker; the next login works.
#[tokio::test]
async fn a_login_that_races_a_logout_everywhere_is_ended_at_once() {
    let (store, sessions, layer) = Flaky::sessions();
    store.race.store(true, std::sync::atomic::Ordering::SeqCst);
    let raced = sessions.login("alice", &scope()).await;
    assert!(
        matches!(raced, Err(SessionError::Unavailable(_))),
        "{raced:?}"
    );
    // Nothing of it is left to refresh once the logout-all's marker lapses: the session was ended.
    assert_eq!(
        store.inner.len(),
        2,
        "the subject's and the session's markers, no live session"
    );
    let again = sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        send(&layer, bearer(again.access_token())).await.status(),
        StatusCode::OK
    );
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

/// A store kept outside this process (the default answer of `SessionStore::is_shared_or_persistent`).
#[derive(Clone, Default)]
struct OutOfProcess(MemoryStore);

impl tower_jwt_auth::store::RevocationCheck for OutOfProcess {
    fn is_revoked(&self, token: &TokenInfo) -> tower_jwt_auth::store::Lookup<bool> {
        self.0.is_revoked(token)
    }
}

impl tower_jwt_auth::SessionStore for OutOfProcess {
    fn create_session(
        &self,
        s: tower_jwt_auth::store::NewSession,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.create_session(s)
    }
    fn rotate(
        &self,
        r: tower_jwt_auth::store::RotateRequest,
    ) -> tower_jwt_auth::store::StoreFuture<tower_jwt_auth::store::RotateOutcome> {
        self.0.rotate(r)
    }
    fn revoke_session(&self, sid: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_session(sid, until)
    }
    fn revoke_refresh_token(
        &self,
        sid: &str,
        generation: u64,
        hash: [u8; 32],
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<bool> {
        self.0.revoke_refresh_token(sid, generation, hash, until)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_token(jti, until)
    }
    fn revoke_subject(
        &self,
        iss: &str,
        sub: &str,
        not_before: i64,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.0.revoke_subject(iss, sub, not_before, until)
    }
}

/// `Sessions` over `store` without a successor key: refused, naming `.successor_key(..)`.
fn refused_without_successor_key(store: impl tower_jwt_auth::SessionStore + Clone) {
    let builder = || Sessions::builder(test_issuer(), Arc::new(store.clone()));
    let error = builder().build().unwrap_err();
    assert!(matches!(error, ConfigError::Missing(_)), "{error:?}");
    assert!(error.to_string().contains(".successor_key(..)"), "{error}");
    assert!(builder().successor_key([3; 32]).build().is_ok());
}

/// The sessions' builder names the duration that is out of range and the range it must be in; a shared store
/// behind an `Arc` is still a store (it keeps saying it is process-local).
#[test]
fn sessions_builder_errors_name_their_setting() {
    let grace = Sessions::builder(test_issuer(), MemoryStore::new())
        .grace_period(Duration::from_secs(61))
        .build()
        .unwrap_err();
    assert_eq!(grace.setting(), Some("SessionsBuilder::grace_period"));
    assert_eq!(
        grace.to_string(),
        "SessionsBuilder::grace_period: invalid duration; it must be at most 60 seconds (MAX_GRACE_PERIOD)"
    );
    let idle = Sessions::builder(test_issuer(), Arc::new(MemoryStore::new()))
        .refresh_ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        idle,
        ConfigError::InvalidDuration {
            setting: "SessionsBuilder::refresh_ttl",
            expected: "between one second and 100 years"
        }
    );
    let policy = SlidingPolicy::new().cookie("bad name", tower_jwt_auth::sliding::SameSite::Strict);
    let sessions = Sessions::builder(test_issuer(), Arc::new(MemoryStore::new()))
        .build()
        .expect("an Arc'd memory store is process-local: no successor key needed");
    let cookie = JwtAuthLayer::builder()
        .sessions(&sessions)
        .sliding(policy)
        .build()
        .unwrap_err();
    assert!(
        cookie
            .to_string()
            .starts_with("SlidingPolicy::cookie: invalid name `bad name`; use a non-empty name"),
        "{cookie}"
    );
}

#[tokio::test]
async fn shared_and_persistent_stores_need_a_stable_successor_key() {
    // The memory store lives and dies with its process, and so does a random key.
    assert!(Sessions::builder(test_issuer(), MemoryStore::new())
        .build()
        .is_ok());
    // A store that does not say it is process-local is treated as shared (fail closed).
    refused_without_successor_key(OutOfProcess::default());
    #[cfg(feature = "sqlite")]
    refused_without_successor_key(
        tower_jwt_auth::SqlStore::connect("sqlite::memory:")
            .await
            .unwrap()
            .build()
            .await
            .unwrap(),
    );
    #[cfg(feature = "redis")]
    if let Some(server) = common::redis_server::RedisServer::start(&[]) {
        refused_without_successor_key(
            tower_jwt_auth::RedisStore::builder(server.url())
                .build()
                .await
                .unwrap(),
        );
    }
}
