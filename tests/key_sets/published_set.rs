//! Other processes verify the issuer's tokens through its published JWK Set, before and after a rotation; the
//! demo publishes its key under the `kid` its tokens carry.

use crate::common;

use std::time::Duration;

use crate::issuer_fixtures::{issuer, signing};
use common::demo::{call, start};
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, issuer::JwksEndpoint, issuer::JWKS_PATH, keys::Jwks, JwtAuthLayer,
    TokenIssuer,
};

/// Serves `issuer`'s keys on a real 127.0.0.1 port; the URL of its JWK Set.
async fn publish(issuer: &TokenIssuer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().route_service(JWKS_PATH, JwksEndpoint::new(issuer.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}{JWKS_PATH}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_verifies_through_the_published_set_before_and_after_a_rotation() {
    // The issuing service: this test, with its JWK Set on a real port. The verifying service: the demo, in a
    // process of its own, trusting that set through JWKS_URL.
    // The recipe: stage the next key (published, not yet signing), let verifiers fetch it, then rotate.
    let clock = ManualClock::new(common::now());
    let issuer = issuer(
        signing(Algorithm::ES256, "ec256_private.pem", "2026-11"),
        &clock,
    );
    let next = || signing(Algorithm::EdDSA, "ed25519_private.pem", "2026-12");
    issuer.stage(next()).unwrap();
    let url = publish(&issuer).await;
    let demo = start(&[("JWKS_URL", url.as_str())]);
    let before = issuer.issue("carol", &json!({ "scope": "read" })).unwrap();
    assert_eq!(
        header(before.as_str())["kid"],
        "2026-11",
        "the staged key signs nothing yet"
    );
    let (status, body, _) = call(&demo, "GET", "/me", Some(before.as_str()), None).await;
    assert_eq!((status, &body["sub"]), (StatusCode::OK, &json!("carol")));
    issuer.rotate(next()).unwrap();
    let after = issuer.issue("carol", &json!({ "scope": "read" })).unwrap();
    let (status, body, headers) = call(&demo, "GET", "/me", Some(after.as_str()), None).await;
    assert_eq!(
        (status, &body["sub"]),
        (StatusCode::OK, &json!("carol")),
        "the new kid is fetched: {headers:?}"
    );
    let (status, _, _) = call(&demo, "GET", "/me", Some(before.as_str()), None).await;
    assert_eq!(status, StatusCode::OK, "the retired key is still published");
    // A key nobody published is refused.
    let forged = TokenIssuer::builder(signing(Algorithm::ES384, "ec384_private.pem", "2026-12"))
        .issuer("demo")
        .audience("demo-api")
        .build()
        .unwrap()
        .issue("carol", &())
        .unwrap();
    let (status, _, _) = call(&demo, "GET", "/me", Some(forged.as_str()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_publishes_its_key_under_the_kid_its_tokens_carry() {
    let keys = format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"));
    let demo = start(&[
        ("JWT_ALG", "ES256".to_owned()),
        ("JWT_PRIVATE_KEY", format!("{keys}/ec256_private.pem")),
        ("JWT_PUBLIC_KEY", format!("{keys}/ec256_public.pem")),
    ]);
    let (status, jwks, headers) = call(&demo, "GET", JWKS_PATH, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let (status, pair, _) = call(
        &demo,
        "POST",
        "/login",
        None,
        Some(r#"{"username":"alice","password":"alice-pass"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = pair["access_token"].as_str().unwrap();
    let kid = header(token)["kid"].as_str().unwrap().to_owned();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    // The kid is the key's RFC 7638 thumbprint, computed here by hand.
    let jwk = &jwks["keys"][0];
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    use sha2::Digest;
    assert_eq!(kid, b64(sha2::Sha256::digest(canonical.as_bytes())));
    // Another process (this test) verifies the demo's tokens through the published set alone.
    let verifier = JwtAuthLayer::builder()
        .jwks(
            Jwks::url(&format!("{}{JWKS_PATH}", demo.base))
                .unwrap()
                .allow_http(),
        )
        .issuer("demo")
        .audience("demo-api")
        // The demo's tokens belong to sessions this process can't check: accepted on purpose.
        .allow_unchecked_sessions()
        .build()
        .unwrap();
    let info = tokio::task::spawn_blocking({
        let (verifier, token) = (verifier.clone(), token.to_owned());
        move || {
            // The first lookup waits for the fetch; verify_token does not, so retry briefly.
            for _ in 0..50 {
                if let Ok((_, info)) = verifier.verify_token(&token) {
                    return Some(info);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            None
        }
    })
    .await
    .unwrap()
    .expect("verified through the demo's JWK Set");
    assert_eq!(info.subject(), Some("alice"));
    // An HMAC demo publishes nothing.
    let hmac = start(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")]);
    let (_, jwks, _) = call(&hmac, "GET", JWKS_PATH, None, None).await;
    assert_eq!(jwks, json!({ "keys": [] }));
}
