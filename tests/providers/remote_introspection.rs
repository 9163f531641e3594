//! The layer accepting tokens through a provider's RFC 7662 endpoint (a real HTTP server counting its calls):
//! active answers become claims held to the layer's rules, one call per token in flight, answers reused within
//! the TTL and the token's `exp` in a bounded cache, and a provider that can't answer is 503, never an acceptance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, StatusCode};
use serde_json::{json, Value};
use tower_jwt_auth::clock::ManualClock;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::introspection::Introspection;
use tower_jwt_auth::{
    Algorithm, AuthErrorKind, JwtAuthLayer, MemoryStore, SessionStore, VerificationKey,
};

use crate::common::introspection_server::{self, IntrospectionServer, CLIENT_ID, CLIENT_SECRET};
use crate::common::{self, dpop_proofs::ProofKey};
use crate::fixtures::*;

const ORIGIN: &str = "https://api.example.com";

/// A layer for the tests' issuer that introspects through `server` (as the provider [`PROVIDER`]), configured
/// further by `configure`.
fn layer_with(
    server: &IntrospectionServer,
    configure: impl FnOnce(Introspection) -> Introspection,
    build: impl FnOnce(tower_jwt_auth::JwtAuthBuilder) -> tower_jwt_auth::JwtAuthBuilder,
) -> JwtAuthLayer {
    let introspection = Introspection::new(&server.url(), CLIENT_ID, CLIENT_SECRET)
        .unwrap()
        .allow_http()
        .issuer(PROVIDER);
    let builder = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, common::SECRET).unwrap())
        .issuer(common::ISSUER)
        .audience(common::AUDIENCE)
        .introspection(configure(introspection));
    build(builder).build().unwrap()
}

fn layer(server: &IntrospectionServer) -> JwtAuthLayer {
    layer_with(server, |i| i, |b| b)
}

/// An active answer for `sub`, expiring at `exp`.
fn active(sub: &str, exp: i64) -> Value {
    json!({ "sub": sub, "scope": "read", "aud": common::AUDIENCE, "exp": exp, "iat": common::now() - 60,
            "client_id": "web-app", "token_type": "Bearer" })
}

async fn body_of(layer: &JwtAuthLayer, token: &str) -> (StatusCode, String) {
    let response = common::send(layer, common::bearer(token)).await;
    (response.status(), response.into_body())
}

#[tokio::test]
async fn an_opaque_token_the_provider_calls_active_is_accepted_with_its_claims() {
    let server = introspection_server::start().await;
    let now = common::now();
    server.activate("opaque-alice", active("alice", now + 300));
    let layer = layer(&server);
    assert_eq!(
        body_of(&layer, "opaque-alice").await,
        (StatusCode::OK, "alice".to_owned())
    );
    let response = common::send(&layer, common::bearer("opaque-unknown")).await;
    common::assert_invalid_token(&response, AuthErrorKind::InvalidToken);
    // The layer's rules hold for answers: another audience, another issuer, an expired token.
    let mut other_audience = active("bob", now + 300);
    other_audience["aud"] = json!("another-api");
    server.activate("opaque-other-aud", other_audience);
    let mut other_issuer = active("bob", now + 300);
    other_issuer["iss"] = json!("https://elsewhere.example");
    server.activate("opaque-other-iss", other_issuer);
    server.activate("opaque-expired", active("bob", now - 100));
    // Providers answer `active` for their refresh tokens too: one never passes as an access token.
    let mut refresh = active("bob", now + 300);
    refresh["token_type"] = json!("refresh_token");
    server.activate("opaque-refresh", refresh);
    let mut dpop = active("alice", now + 300);
    dpop["token_type"] = json!("access_token");
    server.activate("opaque-access-type", dpop);
    assert_eq!(
        body_of(&layer, "opaque-access-type").await,
        (StatusCode::OK, "alice".to_owned())
    );
    for (token, kind) in [
        ("opaque-other-aud", AuthErrorKind::InvalidAudience),
        ("opaque-other-iss", AuthErrorKind::InvalidIssuer),
        ("opaque-expired", AuthErrorKind::Expired),
        ("opaque-refresh", AuthErrorKind::InvalidClaim),
    ] {
        let response = common::send(&layer, common::bearer(token)).await;
        common::assert_invalid_token(&response, kind);
    }
    // The client authenticated every time.
    assert_eq!(
        server
            .state
            .unauthenticated
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // The layer's own JWTs are still verified locally, without a call.
    let calls = server.calls();
    assert_eq!(
        common::status_of(&layer, &common::hs256(&common::claims())).await,
        StatusCode::OK
    );
    assert_eq!(server.calls(), calls);
}

/// However many requests wait for the same token, the provider is called once; then the cache answers.
#[tokio::test]
async fn one_call_is_in_flight_per_token_however_many_requests_wait() {
    let server = introspection_server::start().await;
    server.activate("opaque-busy", active("alice", common::now() + 300));
    server.delay(Duration::from_millis(300));
    let layer = layer(&server);
    let waiting: Vec<_> = (0..64)
        .map(|_| {
            let layer = layer.clone();
            tokio::spawn(async move { common::status_of(&layer, "opaque-busy").await })
        })
        .collect();
    for request in waiting {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(server.calls(), 1, "one call for 64 concurrent requests");
    for _ in 0..16 {
        assert_eq!(
            common::status_of(&layer, "opaque-busy").await,
            StatusCode::OK
        );
    }
    assert_eq!(server.calls(), 1, "then the cache answers");
    assert_eq!(
        common::status_of(&layer, "opaque-another").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.calls(), 2, "another token is another call");
}

/// An answer is reused up to the TTL, never past the token's `exp`; a deactivated token is refused once the
/// cached answer lapses.
#[tokio::test]
async fn answers_are_reused_within_the_ttl_and_never_past_exp() {
    let server = introspection_server::start().await;
    let t0 = common::now();
    let clock = ManualClock::new(t0);
    server.activate("opaque-long", active("alice", t0 + 3600));
    server.activate("opaque-short", active("bob", t0 + 30));
    let layer = layer_with(
        &server,
        |i| i.cache_ttl(Duration::from_secs(60)),
        |b| b.clock(clock.clone()),
    );
    for token in ["opaque-long", "opaque-short"] {
        assert_eq!(common::status_of(&layer, token).await, StatusCode::OK);
    }
    assert_eq!(server.calls(), 2);
    server.deactivate("opaque-long");
    clock.set(t0 + 29);
    for token in ["opaque-long", "opaque-short"] {
        assert_eq!(
            common::status_of(&layer, token).await,
            StatusCode::OK,
            "{token} cached"
        );
    }
    assert_eq!(server.calls(), 2);
    // Past `exp` (and the leeway): the short token's answer is not reused, and the token is refused.
    clock.set(t0 + 31 + 60);
    assert_eq!(
        common::status_of(&layer, "opaque-short").await,
        StatusCode::UNAUTHORIZED
    );
    // Past the TTL: asked again, and the provider now says inactive.
    assert_eq!(
        common::status_of(&layer, "opaque-long").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.calls(), 4);
}

#[tokio::test]
async fn the_answer_cache_is_bounded() {
    let server = introspection_server::start().await;
    let exp = common::now() + 300;
    let layer = layer_with(&server, |i| i.cache_capacity(8), |b| b);
    for n in 0..100 {
        let token = format!("opaque-{n}");
        server.activate(&token, active("alice", exp));
        assert_eq!(common::status_of(&layer, &token).await, StatusCode::OK);
        assert!(
            layer.cached_introspections() <= 8,
            "{}",
            layer.cached_introspections()
        );
    }
    assert_eq!(server.calls(), 100);
}

/// Unreachable, failing, or slower than the timeout: 503 for a token not in the cache, never an acceptance;
/// a cached answer keeps serving.
#[tokio::test]
async fn a_provider_that_cannot_answer_is_503_never_an_acceptance() {
    let server = introspection_server::start().await;
    let exp = common::now() + 300;
    server.activate("opaque-cached", active("alice", exp));
    server.activate("opaque-new", active("bob", exp));
    let layer = layer_with(&server, |i| i.timeout(Duration::from_millis(200)), |b| b);
    assert_eq!(
        common::status_of(&layer, "opaque-cached").await,
        StatusCode::OK
    );

    server.fail(true);
    assert_eq!(
        common::status_of(&layer, "opaque-new").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    server.fail(false);
    server.delay(Duration::from_secs(5));
    let started = Instant::now();
    assert_eq!(
        common::status_of(&layer, "opaque-new").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout ends the wait"
    );
    assert_eq!(
        common::status_of(&layer, "opaque-cached").await,
        StatusCode::OK
    );

    // Nobody listening at all.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/introspect", listener.local_addr().unwrap())
    };
    let unreachable = JwtAuthLayer::builder()
        .issuer(PROVIDER)
        .audience(common::AUDIENCE)
        .introspection(
            Introspection::new(&closed, "rs", "rs-secret")
                .unwrap()
                .allow_http()
                .issuer(PROVIDER),
        )
        .build()
        .unwrap();
    assert_eq!(
        common::status_of(&unreachable, "opaque-new").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

/// With `introspect_jwts`, a JWT of the provider's issuer is asked about, not verified locally.
#[tokio::test]
async fn jwts_of_an_issuer_that_requires_introspection_are_asked_about() {
    let server = introspection_server::start().await;
    let idp = idp().await;
    let now = common::now();
    let live = idp.access_token("alice", Some("idp-s1"), now);
    let logged_out = idp.access_token("alice", Some("idp-s2"), now);
    server.activate(&live, active("alice", now + 300));
    let layer = layer_with(&server, Introspection::introspect_jwts, |b| b);
    assert_eq!(
        body_of(&layer, &live).await,
        (StatusCode::OK, "alice".to_owned())
    );
    assert_eq!(
        common::status_of(&layer, &logged_out).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.calls(), 2);
}

/// An introspected token is revoked like a verified one: a provider's session ended by back-channel logout
/// (an issuer-scoped revocation in the store) refuses it.
#[tokio::test]
async fn introspected_tokens_meet_the_revocation_store() {
    let server = introspection_server::start().await;
    let now = common::now();
    let mut answer = active("alice", now + 300);
    answer["sid"] = json!("idp-s1");
    server.activate("opaque-in-session", answer);
    let store = MemoryStore::new();
    let layer = layer_with(
        &server,
        |i| i,
        |b| {
            b.revocation(store.clone())
                .max_age(Duration::from_secs(3600))
        },
    );
    assert_eq!(
        common::status_of(&layer, "opaque-in-session").await,
        StatusCode::OK
    );
    store
        .revoke_issuer_session(PROVIDER, "idp-s1", now + 3600)
        .await
        .unwrap();
    let response = common::send(&layer, common::bearer("opaque-in-session")).await;
    common::assert_invalid_token(&response, AuthErrorKind::Revoked);
}

/// A bound answer (`cnf.jkt`) needs a DPoP proof of that key, as a bound JWT does.
#[tokio::test]
async fn a_bound_answer_needs_a_proof_of_its_key() {
    let server = introspection_server::start().await;
    let key = ProofKey::es256();
    let mut answer = active("alice", common::now() + 300);
    answer["cnf"] = json!({ "jkt": key.thumbprint() });
    server.activate("opaque-bound", answer);
    let dpop = Dpop::builder().public_url(ORIGIN).build().unwrap();
    let layer = layer_with(&server, |i| i, |b| b.dpop(&dpop, DpopPolicy::Allowed));
    let response = common::send(&layer, common::bearer("opaque-bound")).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "not as a bearer token"
    );
    let with_proof = |key: &ProofKey| {
        Request::get("/")
            .header("authorization", "DPoP opaque-bound")
            .header(
                "dpop",
                key.proof("GET", &format!("{ORIGIN}/"), Some("opaque-bound")),
            )
            .body(String::new())
            .unwrap()
    };
    let response = common::send(&layer, with_proof(&ProofKey::es384())).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "not with another key"
    );
    let response = common::send(&layer, with_proof(&key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.into_body(), "alice");
}

#[tokio::test]
async fn misconfigurations_are_build_errors() {
    let server = introspection_server::start().await;
    assert!(Introspection::new("ftp://idp.example.com/introspect", "rs", "s").is_err());
    assert!(Introspection::new("not a url", "rs", "s").is_err());
    let build = |introspection: Introspection| {
        JwtAuthLayer::builder()
            .issuer(PROVIDER)
            .audience(common::AUDIENCE)
            .introspection(introspection)
            .build()
    };
    let plain_remote = Introspection::new("http://idp.example.com/introspect", "rs", "s").unwrap();
    assert!(build(plain_remote.clone()).is_err(), "plain http");
    assert!(
        build(plain_remote.allow_http()).is_err(),
        "plain http off loopback"
    );
    let local = Introspection::new(&server.url(), "rs", "s")
        .unwrap()
        .allow_http();
    assert!(
        build(local.clone().introspect_jwts()).is_err(),
        "introspect_jwts without an issuer"
    );
    assert!(build(local.clone().timeout(Duration::ZERO)).is_err());
    assert!(build(local.clone()).is_ok());
    let sessions = tower_jwt_auth::Sessions::builder(
        common::sessions::system_issuer(),
        Arc::new(MemoryStore::new()) as Arc<dyn SessionStore>,
    )
    .build()
    .unwrap();
    let own = JwtAuthLayer::builder()
        .sessions(&sessions)
        .introspection(local.issuer(common::ISSUER))
        .build();
    assert!(matches!(
        own,
        Err(tower_jwt_auth::ConfigError::ProviderIsOwnIssuer(_))
    ));
}
