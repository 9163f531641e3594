//! A key set's provider down, slow or stale: 503 at startup then recovery, last known good keys until the
//! maximum staleness, timeouts, and `Cache-Control: max-age` as the refresh interval.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::{Duration, Instant};

use crate::fixtures::{key_a, layer_for, quick, signed};
use common::jwks_server::{self};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use tower_jwt_auth::AuthErrorKind;

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
