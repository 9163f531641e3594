//! The verified-token cache: repeat tokens skip the signature check, and nothing else.

use crate::common;

use std::time::Duration;

use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{clock::ManualClock, AuthErrorKind, MemoryStore, SessionStore};

#[tokio::test]
async fn repeat_tokens_are_served_from_the_cache() {
    let layer = builder_for(Algorithm::ES256).build().unwrap();
    let token = token_with(Algorithm::ES256, json!({}), &claims());
    for _ in 0..3 {
        let response = send(&layer, bearer(&token)).await;
        assert_eq!(
            (response.status(), response.body().as_str()),
            (StatusCode::OK, "alice")
        );
    }
    assert_eq!(layer.cached_tokens(), 1);
    let off = builder_for(Algorithm::ES256)
        .disable_token_cache()
        .build()
        .unwrap();
    assert_eq!(send(&off, bearer(&token)).await.status(), StatusCode::OK);
    assert_eq!(off.cached_tokens(), 0);
}

#[tokio::test]
async fn a_hit_compares_the_whole_token() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let token = hs256(&claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    // Same header and payload, another signature: not the cached token, and invalid.
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut forged: Vec<u8> = signature.bytes().collect();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = format!("{input}.{}", String::from_utf8(forged).unwrap());
    let response = send(&layer, bearer(&forged)).await;
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::InvalidSignature)
    );
    assert_eq!(layer.cached_tokens(), 1, "failed tokens are never cached");
}

#[tokio::test]
async fn expiry_is_checked_again_on_every_hit() {
    let clock = ManualClock::new(1_000_000);
    let layer = builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let token = hs256(
        &json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": 1_000_000, "exp": 1_000_060 }),
    );
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    clock.advance(59);
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    clock.advance(1);
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::Expired)
    );
    assert_eq!(layer.cached_tokens(), 0, "expired entries are dropped");

    // nbf, too: a token not yet valid is never cached, so it can't pass early later.
    let early =
        hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 1_000_500, "nbf": 1_000_200 }));
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&early)).await),
        Some(AuthErrorKind::NotYetValid)
    );
    clock.set(1_000_200);
    assert_eq!(send(&layer, bearer(&early)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn revocation_is_consulted_on_every_hit() {
    let store = MemoryStore::new();
    let layer = builder_for(Algorithm::HS256)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let token = hs256(&claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    assert_eq!(layer.cached_tokens(), 1);
    store.revoke_token("j1", now() + 600).await.unwrap();
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::Revoked)
    );
}

#[tokio::test]
async fn scopes_are_checked_on_every_use_of_a_cached_token() {
    let layer = builder_for(Algorithm::HS256)
        .require_scopes(["admin"])
        .build()
        .unwrap();
    let token = hs256(&claims());
    for _ in 0..2 {
        assert_eq!(
            send(&layer, bearer(&token)).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    // Verified once (a flood of it costs no signature check), refused on every use.
    assert_eq!(layer.cached_tokens(), 1);
}

#[tokio::test]
async fn oversized_tokens_are_never_cached() {
    let layer = builder_for(Algorithm::HS256)
        .max_token_size(300)
        .build()
        .unwrap();
    let mut big = claims();
    big["pad"] = json!("x".repeat(300));
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&hs256(&big))).await),
        Some(AuthErrorKind::TooLarge)
    );
    assert_eq!(layer.cached_tokens(), 0);
}

#[tokio::test]
async fn memory_stays_bounded_under_a_flood_of_distinct_valid_tokens() {
    let budget = 64 * 1024;
    let layer = builder_for(Algorithm::HS256)
        .token_cache_size(budget)
        .build()
        .unwrap();
    let hot = hs256(&claims());
    for i in 0..3000 {
        let mut c = claims();
        c["jti"] = json!(format!("flood-{i}"));
        assert_eq!(
            send(&layer, bearer(&hs256(&c))).await.status(),
            StatusCode::OK
        );
        if i % 10 == 0 {
            assert_eq!(send(&layer, bearer(&hot)).await.status(), StatusCode::OK);
        }
    }
    assert!(
        layer.token_cache_weight() <= budget,
        "weight {} over {budget}",
        layer.token_cache_weight()
    );
    assert!(
        layer.cached_tokens() < 3000 && layer.cached_tokens() > 10,
        "{}",
        layer.cached_tokens()
    );
}

/// A hit skips the `b64token` grammar check (the cached token passed it); any other token still gets it, from
/// the default bearer source and from an explicitly configured one alike.
#[tokio::test]
async fn the_bearer_grammar_is_checked_for_every_token_not_cached() {
    let token = hs256(&claims());
    for layer in [
        builder_for(Algorithm::HS256).build().unwrap(),
        builder_for(Algorithm::HS256)
            .token_source(tower_jwt_auth::token::BearerHeader)
            .build()
            .unwrap(),
    ] {
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
        for bad in [
            format!("{token},"),
            format!("{token}é"),
            format!("\"{token}\""),
        ] {
            let response = send(&layer, bearer(&bad)).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(rejection_kind(&response), Some(AuthErrorKind::Malformed));
        }
        assert_eq!(layer.cached_tokens(), 1);
    }
}
