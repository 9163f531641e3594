//! OpenID Connect discovery: it finds the key set and checks the issuer; plain-HTTP key URLs are build errors
//! unless allowed on a loopback host, and a discovery naming a plain-HTTP `jwks_uri` is refused.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::Duration;

use crate::fixtures::{discovered, key_a};
use common::jwks_server::{self};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{keys::Jwks, JwtAuthLayer};

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
