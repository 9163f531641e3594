//! Remote key sets (RFC 7517) against a local JWKS provider on 127.0.0.1: keys selected by `kid`, a rotated key
//! picked up on an unknown `kid`, at most one refetch per interval, one fetch for concurrent first requests, a
//! removed key stops verifying cached tokens.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::Duration;

use crate::fixtures::{key_a, key_b, layer_for, quick, signed};
use common::jwks_server::{self};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use tower_jwt_auth::AuthErrorKind;

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
