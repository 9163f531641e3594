//! A flood of invalid tokens costs one failed parse each: no store lookups, no key-set fetches.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{store::Lookup, store::RevocationCheck, TokenInfo};

#[derive(Clone, Default)]
struct CountingStore(Arc<AtomicUsize>);

impl RevocationCheck for CountingStore {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Lookup::Ready(Ok(false))
    }
}

fn garbage(i: usize) -> String {
    let valid = hs256(&claims());
    match i % 6 {
        0 => {
            let last = if valid.ends_with('x') { "y" } else { "x" };
            format!("{}{last}", &valid[..valid.len() - 1])
        }
        1 => format!("{}.{}.{}", b64("{\"alg\":\"HS256\""), b64("{}"), "AAAA"),
        2 => format!(
            "{}.{}.",
            b64(format!("{{\"alg\":\"HS256\",\"x\":{}}}", "[".repeat(50))),
            b64("{}")
        ),
        3 => "a".repeat(10 * 1024),
        4 => format!(
            "{}.{}.{}",
            b64("{\"alg\":\"none\"}"),
            b64(claims().to_string()),
            ""
        ),
        _ => token_with(
            Algorithm::HS256,
            json!({}),
            &json!({ "exp": now() - 3600, "iss": ISSUER, "aud": AUDIENCE }),
        ),
    }
}

#[tokio::test]
async fn invalid_tokens_never_reach_the_store() {
    let store = CountingStore::default();
    let layer = builder_for(Algorithm::HS256)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    for i in 0..600 {
        let status = send(&layer, bearer(&garbage(i))).await.status();
        assert!(status.is_client_error(), "{status}");
    }
    assert_eq!(
        store.0.load(Ordering::SeqCst),
        0,
        "no store call for an invalid token"
    );
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.status(),
        StatusCode::OK
    );
    assert_eq!(store.0.load(Ordering::SeqCst), 1);
}

#[cfg(feature = "jwks")]
#[tokio::test]
async fn malformed_tokens_never_cause_key_fetches() {
    use std::time::Duration;
    let key = common::jwks_server::jwk(Algorithm::RS256, &key_pair(Algorithm::RS256).0, "a", true);
    let provider = common::jwks_server::start(vec![key]).await;
    let jwks = tower_jwt_auth::keys::Jwks::url(&provider.jwks_url())
        .unwrap()
        .allow_http()
        .unknown_kid_interval(Duration::ZERO)
        .timeout(Duration::from_millis(500));
    let layer = tower_jwt_auth::JwtAuthLayer::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks(jwks)
        .build()
        .unwrap();
    let token = token_with(Algorithm::RS256, json!({ "kid": "a" }), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    let hits = provider.hits();
    for i in 0..5 {
        send(&layer, bearer(&garbage(i))).await;
    }
    assert_eq!(
        provider.hits(),
        hits,
        "structurally invalid tokens stop before any key lookup"
    );
}
