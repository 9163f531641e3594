//! Key sets (RFC 7517): remote keys against a local JWKS / OpenID Connect provider on 127.0.0.1, static
//! documents, and keys bound to their issuer (RFC 8725 §3.8).
#![cfg(feature = "jwks")]

use crate::common;

use std::time::{Duration, Instant};

use common::jwks_server::{self, jwk, ProviderServer};
use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use tower_jwt_auth::{
    keys::Jwks, keys::TrustedIssuer, AuthErrorKind, JwtAuthLayer, VerificationKey,
};

/// The RS256 test key as a JWK (with `alg`) named `kid`.
fn rsa_key(kid: &str) -> Value {
    jwk(Algorithm::RS256, &key_pair(Algorithm::RS256).0, kid, true)
}

fn key_a() -> Value {
    rsa_key("a")
}

fn key_b() -> Value {
    jwk(Algorithm::ES256, &key_pair(Algorithm::ES256).0, "b", true)
}

/// A token signed with the test key of `alg`, naming `kid`.
fn signed(alg: Algorithm, kid: &str) -> String {
    token_with(alg, json!({ "kid": kid }), &claims())
}

fn layer_for(jwks: Jwks) -> JwtAuthLayer {
    JwtAuthLayer::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks(jwks)
        .build()
        .unwrap()
}

/// A layer over a static JWK Set document of these keys.
fn document_layer(keys: Vec<Value>) -> JwtAuthLayer {
    layer_for(Jwks::document(json!({ "keys": keys }).to_string()))
}

/// Fast intervals for tests.
fn quick(provider: &ProviderServer) -> Jwks {
    Jwks::url(&provider.jwks_url())
        .unwrap()
        .allow_http()
        .timeout(Duration::from_millis(500))
        .refresh_bounds(Duration::from_millis(100), Duration::from_secs(3600))
        .unknown_kid_interval(Duration::from_millis(200))
}

#[tokio::test]
async fn keys_are_selected_by_kid() {
    let provider = jwks_server::start(vec![key_a(), key_b()]).await;
    let layer = layer_for(quick(&provider));
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::ES256, "b")))
            .await
            .status(),
        StatusCode::OK
    );
    // Key b's token naming kid a: a's key is RS256-only.
    let response = send(&layer, bearer(&signed(Algorithm::ES256, "a"))).await;
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
    // An HMAC token can never be verified by a key set.
    let response = send(&layer, bearer(&signed(Algorithm::HS256, "a"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_an_unknown_kid() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let layer = layer_for(quick(&provider));
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    provider.set_keys(vec![key_a(), key_b()]);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let hits = provider.hits();
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::ES256, "b")))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(provider.hits(), hits + 1, "exactly one refetch");
}

#[tokio::test]
async fn random_kids_cause_at_most_one_refetch_per_interval() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let layer = layer_for(quick(&provider).unknown_kid_interval(Duration::from_secs(60)));
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    let before = provider.hits();
    let requests = (0..1000).map(|i| {
        let layer = layer.clone();
        async move {
            send(
                &layer,
                bearer(&signed(Algorithm::RS256, &format!("random-{i}"))),
            )
            .await
            .status()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    assert!(
        provider.hits() - before <= 1,
        "{} fetches for 1000 random kids",
        provider.hits() - before
    );
}

#[tokio::test]
async fn concurrent_first_requests_share_one_fetch() {
    let provider = jwks_server::start(vec![key_a()]).await;
    provider.delay(Duration::from_millis(200));
    let layer = layer_for(quick(&provider));
    let token = signed(Algorithm::RS256, "a");
    let requests = (0..50).map(|_| {
        let (layer, token) = (layer.clone(), token.clone());
        async move { send(&layer, bearer(&token)).await.status() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(provider.hits(), 1);
}

#[tokio::test]
async fn provider_down_at_startup_is_503_then_recovers() {
    let provider = jwks_server::start(vec![key_a()]).await;
    provider.fail(true);
    let started = Instant::now();
    let layer = layer_for(quick(&provider));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "building never waits for the provider"
    );
    let token = signed(Algorithm::RS256, "a");
    let response = send(&layer, bearer(&token)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::Unavailable));
    provider.fail(false);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn last_known_good_keys_serve_until_the_maximum_staleness() {
    let provider = jwks_server::start(vec![key_a()]).await;
    provider.cache_control(Some("max-age=0"));
    let layer = layer_for(quick(&provider).max_staleness(Duration::from_millis(1200)));
    let token = signed(Algorithm::RS256, "a");
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    provider.fail(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(provider.hits() >= 2, "the background refresh kept trying");
    assert_eq!(
        send(&layer, bearer(&token)).await.status(),
        StatusCode::OK,
        "last-known-good"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let response = send(&layer, bearer(&token)).await;
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "too stale, even from the token cache"
    );
    provider.fail(false);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_slow_provider_times_out() {
    let provider = jwks_server::start(vec![key_a()]).await;
    provider.delay(Duration::from_secs(3));
    let layer = layer_for(quick(&provider).timeout(Duration::from_millis(200)));
    let started = Instant::now();
    let response = send(&layer, bearer(&signed(Algorithm::RS256, "a"))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cache_control_max_age_sets_the_refresh_interval() {
    let short = jwks_server::start(vec![key_a()]).await;
    short.cache_control(Some("public, max-age=1"));
    let long = jwks_server::start(vec![key_a()]).await;
    long.cache_control(Some("max-age=3600"));
    let _layers = (layer_for(quick(&short)), layer_for(quick(&long)));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        (2..=5).contains(&short.hits()),
        "max-age=1 over 2.5 s: {} fetches",
        short.hits()
    );
    assert_eq!(long.hits(), 1, "max-age=3600: no refetch");
}

#[tokio::test]
async fn item_30_rfc7517_5_unknown_key_types_are_skipped() {
    let mut encryption = rsa_key("enc");
    encryption["use"] = json!("enc");
    let mut sign_only = jwk(
        Algorithm::ES256,
        &key_pair(Algorithm::ES256).0,
        "sign-only",
        true,
    );
    sign_only["key_ops"] = json!(["sign"]);
    let keys = vec![
        json!({ "kty": "XYZ", "kid": "unknown-type", "foo": "bar" }),
        json!({ "kty": "oct", "kid": "hmac", "k": b64(SECRET), "alg": "HS256" }),
        json!({ "kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB" }),
        encryption,
        sign_only,
        serde_json::from_slice(&pem("rsa1024_public.jwk.json")).unwrap(),
        key_a(),
    ];
    let provider = jwks_server::start(keys).await;
    let layer = layer_for(quick(&provider).unknown_kid_interval(Duration::from_secs(60)));
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    for kid in ["unknown-type", "hmac", "broken", "enc", "weak"] {
        let response = send(&layer, bearer(&signed(Algorithm::RS256, kid))).await;
        assert_eq!(
            rejection_kind(&response),
            Some(AuthErrorKind::UnknownKey),
            "{kid}"
        );
    }
    let response = send(&layer, bearer(&signed(Algorithm::ES256, "sign-only"))).await;
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::UnknownKey));
    let response = send(&layer, bearer(&signed(Algorithm::HS256, "hmac"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // In a static document too.
    let layer = document_layer(vec![json!({ "kty": "XYZ", "kid": "x" }), rsa_key("good")]);
    let token = token_with(Algorithm::RS256, json!({ "kid": "good" }), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn item_31_rfc7517_4_duplicate_jwk_members_are_refused() {
    let good = rsa_key("dup").to_string();
    let duplicated = good.replacen("{", r#"{"kid":"other","#, 1);
    let layer = layer_for(Jwks::document(format!(r#"{{"keys":[{duplicated}]}}"#)));
    for kid in ["dup", "other"] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(
            status_of(&layer, &token).await,
            StatusCode::UNAUTHORIZED,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn item_32_rfc7517_4_2_use_and_key_ops() {
    let mut encryption = rsa_key("enc");
    encryption["use"] = json!("enc");
    let mut sign_only = rsa_key("ops");
    sign_only["key_ops"] = json!(["sign"]);
    let mut verify = rsa_key("verify");
    verify["key_ops"] = json!(["verify"]);
    let layer = document_layer(vec![encryption, sign_only, verify]);
    for (kid, expected) in [
        ("enc", StatusCode::UNAUTHORIZED),
        ("ops", StatusCode::UNAUTHORIZED),
        ("verify", StatusCode::OK),
    ] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(status_of(&layer, &token).await, expected, "{kid}");
    }
}

#[tokio::test]
async fn item_33_rfc7517_4_4_jwk_alg_binds_the_key() {
    let layer = document_layer(vec![key_a()]);
    let token = token_with(Algorithm::PS256, json!({ "kid": "a" }), &claims());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn keys_without_alg_take_the_allowed_algorithms_of_their_type() {
    let keys = vec![
        jwk(
            Algorithm::RS256,
            &key_pair(Algorithm::RS256).0,
            "rsa",
            false,
        ),
        jwk(Algorithm::ES256, &key_pair(Algorithm::ES256).0, "ec", false),
        jwk(Algorithm::EdDSA, &key_pair(Algorithm::EdDSA).0, "ed", false),
    ];
    let provider = jwks_server::start(keys).await;
    let jwks = quick(&provider).algorithms([
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]);
    let layer = layer_for(jwks);
    for (alg, kid) in [
        (Algorithm::RS256, "rsa"),
        (Algorithm::PS256, "rsa"),
        (Algorithm::ES256, "ec"),
        (Algorithm::EdDSA, "ed"),
    ] {
        assert_eq!(
            send(&layer, bearer(&signed(alg, kid))).await.status(),
            StatusCode::OK,
            "{alg:?}"
        );
    }
    let response = send(&layer, bearer(&signed(Algorithm::RS512, "rsa"))).await;
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::UnsupportedAlgorithm),
        "RS512 is not allowed"
    );
    // HMAC is never allowed for a key set.
    let hmac = Jwks::url(&provider.jwks_url())
        .unwrap()
        .algorithms([Algorithm::HS256]);
    assert_eq!(
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .jwks(hmac)
            .build()
            .unwrap_err(),
        tower_jwt_auth::ConfigError::HmacAlgorithm {
            setting: "Jwks::algorithms"
        }
    );
}

#[tokio::test]
async fn item_42_rfc8725_3_8_keys_belong_to_the_issuer() {
    let provider_a = jwks_server::start(vec![key_a()]).await;
    let provider_b = jwks_server::start(vec![key_b()]).await;
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            "https://a.test",
            TrustedIssuer::new().jwks(quick(&provider_a)),
        )
        .trust_issuer(
            "https://b.test",
            TrustedIssuer::new().jwks(quick(&provider_b)),
        )
        .build()
        .unwrap();
    let token = |iss: &str, alg: Algorithm, kid: &str| {
        let mut c = claims();
        c["iss"] = json!(iss);
        token_with(alg, json!({ "kid": kid }), &c)
    };
    assert_eq!(
        send(
            &layer,
            bearer(&token("https://a.test", Algorithm::RS256, "a"))
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        send(
            &layer,
            bearer(&token("https://b.test", Algorithm::ES256, "b"))
        )
        .await
        .status(),
        StatusCode::OK
    );
    // B's name, A's key (and kid): routed to B's keys before any signature check, where kid "a" does not exist.
    let confused = send(
        &layer,
        bearer(&token("https://b.test", Algorithm::RS256, "a")),
    )
    .await;
    assert_eq!(confused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&confused), Some(AuthErrorKind::UnknownKey));
    // An issuer nobody trusts.
    let stranger = send(
        &layer,
        bearer(&token("https://c.test", Algorithm::RS256, "a")),
    )
    .await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    // The same with static keys: B's name, A's secret (no kid to route by).
    let other_secret = [5u8; 32];
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            "https://a.test",
            TrustedIssuer::new().key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap()),
        )
        .trust_issuer(
            "https://b.test",
            TrustedIssuer::new()
                .key(VerificationKey::hmac(Algorithm::HS256, &other_secret).unwrap()),
        )
        .build()
        .unwrap();
    let for_issuer = |iss: &str, secret: &[u8]| {
        sign_raw(
            r#"{"alg":"HS256"}"#,
            &with_claim(claims(), "iss", json!(iss)).to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(secret).unwrap(),
        )
    };
    assert_eq!(
        status_of(&layer, &for_issuer("https://a.test", SECRET)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", &other_secret)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", SECRET)).await,
        StatusCode::UNAUTHORIZED,
        "B's name, A's key"
    );
}

/// A layer trusting `issuer` through OpenID Connect discovery, and an RS256 token of that issuer (kid `a`).
fn discovered(issuer: &str) -> (JwtAuthLayer, String) {
    // The test provider is on 127.0.0.1: plain http, allowed for loopback hosts only.
    let jwks = Jwks::oidc(issuer)
        .unwrap()
        .allow_http()
        .timeout(Duration::from_millis(500));
    let layer = JwtAuthLayer::builder()
        .trust_issuer(issuer, TrustedIssuer::new().jwks(jwks))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(
        Algorithm::RS256,
        json!({ "kid": "a" }),
        &with_claim(claims(), "iss", json!(issuer)),
    );
    (layer, token)
}

fn discovery_hits(provider: &jwks_server::ProviderServer) -> usize {
    provider
        .state
        .discovery_hits
        .load(std::sync::atomic::Ordering::SeqCst)
}

/// A fetcher that never reaches the network: every fetch fails.
fn offline(jwks: Jwks) -> Jwks {
    jwks.fetcher(|_: &http::Uri| -> tower_jwt_auth::keys::FetchFuture {
        Box::pin(async { Err(tower_jwt_auth::keys::FetchError("offline".into())) })
    })
}

#[tokio::test]
async fn plain_http_key_urls_are_build_errors_unless_allowed_on_a_loopback_host() {
    use tower_jwt_auth::ConfigError;
    let provider = jwks_server::start(vec![key_a()]).await;
    let build = |jwks: Jwks| {
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .jwks(jwks)
            .build()
    };
    let insecure = |built: Result<JwtAuthLayer, ConfigError>| {
        matches!(built, Err(ConfigError::InsecureKeyUrl(_)))
    };
    // Without allow_http(): a key set URL or a discovery over http is refused, even on loopback.
    assert!(insecure(build(Jwks::url(&provider.jwks_url()).unwrap())));
    assert!(insecure(build(Jwks::oidc(&provider.base).unwrap())));
    // allow_http() is for loopback hosts only.
    for url in [
        "http://keys.example.com/jwks.json",
        "http://10.0.0.7/jwks.json",
    ] {
        assert!(
            insecure(build(offline(Jwks::url(url).unwrap().allow_http()))),
            "{url}"
        );
    }
    assert!(insecure(build(offline(
        Jwks::oidc("http://idp.example.com").unwrap().allow_http()
    ))));
    // The error names the URL and both fixes.
    let error = build(Jwks::url(&provider.jwks_url()).unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains(&provider.jwks_url()), "{error}");
    assert!(
        error.contains("https") && error.contains("allow_http()"),
        "{error}"
    );
    // https anywhere, and http on a loopback host with allow_http().
    assert!(build(offline(
        Jwks::url("https://keys.example.com/jwks.json").unwrap()
    ))
    .is_ok());
    for url in ["http://localhost:1/jwks.json", "http://[::1]:1/jwks.json"] {
        assert!(
            build(offline(Jwks::url(url).unwrap().allow_http())).is_ok(),
            "{url}"
        );
    }
    assert!(build(Jwks::url(&provider.jwks_url()).unwrap().allow_http()).is_ok());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(discovery_hits(&provider), 0, "no discovery over plain HTTP");
}

#[tokio::test]
async fn a_discovery_naming_a_plain_http_jwks_uri_is_refused_with_an_error() {
    use std::sync::{Arc, Mutex};
    // An https provider (through a fetcher: no network) whose discovery names an http key set elsewhere.
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let fetcher = {
        let asked = Arc::clone(&asked);
        move |uri: &http::Uri| -> tower_jwt_auth::keys::FetchFuture {
            asked.lock().unwrap().push(uri.to_string());
            let body = match uri.path() {
                "/.well-known/openid-configuration" => json!({
                    "issuer": "https://idp.test",
                    "jwks_uri": "http://idp.test/jwks.json",
                }),
                _ => json!({ "keys": [key_a()] }),
            };
            Box::pin(async move {
                Ok(tower_jwt_auth::keys::FetchedDocument {
                    status: StatusCode::OK,
                    headers: http::HeaderMap::new(),
                    body: body.to_string().into(),
                })
            })
        }
    };
    // Even allow_http() does not let keys come over http from another host.
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .jwks(
            Jwks::oidc("https://idp.test")
                .unwrap()
                .allow_http()
                .fetcher(fetcher),
        )
        .build()
        .unwrap();
    let token = token_with(
        Algorithm::RS256,
        json!({ "kid": "a" }),
        &with_claim(claims(), "iss", json!("https://idp.test")),
    );
    #[cfg(feature = "tracing")]
    let recorder = common::trace_recorder::Recorder::default();
    #[cfg(feature = "tracing")]
    let _guard = tracing::subscriber::set_default(recorder.clone());
    assert_eq!(
        send(&layer, bearer(&token)).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .any(|uri| uri.ends_with("/openid-configuration")),
        "{asked:?}"
    );
    assert!(
        !asked.iter().any(|uri| uri.starts_with("http://")),
        "no key set fetched over plain HTTP: {asked:?}"
    );
    // Not a silent 503: an error event names the refused jwks_uri.
    #[cfg(feature = "tracing")]
    {
        let events = recorder.events.lock().unwrap();
        assert!(
            events.iter().any(|e| e.contains("level=ERROR")
                && e.contains("jwks_uri")
                && e.contains("http://idp.test/jwks.json")),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn an_oidc_key_set_implies_its_issuer_and_verifies_only_its_tokens() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let jwks = || {
        Jwks::oidc(&provider.base)
            .unwrap()
            .allow_http()
            .timeout(Duration::from_millis(500))
    };
    // No .issuer(..): the discovered issuer is the accepted one.
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .jwks(jwks())
        .build()
        .unwrap();
    let of = |iss: &str| {
        token_with(
            Algorithm::RS256,
            json!({ "kid": "a" }),
            &with_claim(claims(), "iss", json!(iss)),
        )
    };
    assert_eq!(status_of(&layer, &of(&provider.base)).await, StatusCode::OK);
    assert_eq!(
        status_of(&layer, &of("https://other.test")).await,
        StatusCode::UNAUTHORIZED,
        "another issuer's token, though signed with the provider's key"
    );
    // Beside a static key of another issuer, the provider's keys still verify only the provider's tokens.
    let layer = JwtAuthLayer::builder()
        .key(key_pair(Algorithm::HS256).1)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks(jwks())
        .build()
        .unwrap();
    assert_eq!(status_of(&layer, &of(&provider.base)).await, StatusCode::OK);
    assert_eq!(status_of(&layer, &hs256(&claims())).await, StatusCode::OK);
    assert_eq!(
        status_of(&layer, &of(ISSUER)).await,
        StatusCode::UNAUTHORIZED,
        "the provider's key signing a token of another issuer"
    );
    // Trusted under another issuer's name, its keys would belong to two issuers: a build error.
    assert!(matches!(
        JwtAuthLayer::builder()
            .audience(AUDIENCE)
            .trust_issuer("https://other.test", TrustedIssuer::new().jwks(jwks()))
            .build(),
        Err(tower_jwt_auth::ConfigError::Conflict(_))
    ));
}

#[tokio::test]
async fn oidc_discovery_finds_the_key_set_and_checks_the_issuer() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let (layer, token) = discovered(&provider.base);
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    assert!(discovery_hits(&provider) >= 1);

    // A discovery document naming another issuer is never trusted.
    let evil = jwks_server::start(vec![key_a()]).await;
    evil.discovery_issuer("https://evil.test");
    let (layer, token) = discovered(&evil.base);
    assert_eq!(
        send(&layer, bearer(&token)).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        evil.hits(),
        0,
        "the key set of a mismatched issuer is never fetched"
    );
}

#[tokio::test]
async fn a_key_removed_from_the_set_stops_verifying_cached_tokens() {
    let provider = jwks_server::start(vec![key_a(), key_b()]).await;
    provider.cache_control(Some("max-age=0"));
    let layer = layer_for(quick(&provider).unknown_kid_interval(Duration::from_secs(60)));
    let token = signed(Algorithm::ES256, "b");
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    assert_eq!(layer.cached_tokens(), 1);
    provider.set_keys(vec![key_a()]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = send(&layer, bearer(&token)).await;
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::UnknownKey),
        "the key set changed: the cached token is checked again"
    );
}

#[tokio::test]
async fn static_documents_need_no_fetching() {
    let layer = document_layer(vec![key_a()]);
    assert_eq!(
        send(&layer, bearer(&signed(Algorithm::RS256, "a")))
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        matches!(
            JwtAuthLayer::builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .jwks(Jwks::document("[]"))
                .build(),
            Err(tower_jwt_auth::ConfigError::InvalidKey(_))
        ),
        "not a JWK Set"
    );
}

#[tokio::test]
async fn the_demo_also_accepts_tokens_of_its_jwks_url() {
    let provider = jwks_server::start(vec![key_a()]).await;
    let demo = common::demo::start(&[("JWKS_URL", provider.jwks_url())]);
    let mut c = claims();
    c["iss"] = json!("demo");
    c["aud"] = json!("demo-api");
    let token = token_with(Algorithm::RS256, json!({ "kid": "a" }), &c);
    let (status, body, _) = common::demo::call(&demo, "GET", "/me", Some(&token), None).await;
    assert_eq!(
        (status, body["sub"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    // Signed by the provider's key but for another issuer: refused.
    let foreign = token_with(Algorithm::RS256, json!({ "kid": "a" }), &claims());
    assert_eq!(
        common::demo::call(&demo, "GET", "/me", Some(&foreign), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}
