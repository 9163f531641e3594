//! The issuer's own JWK Set: `JwksEndpoint` publishes the public signing keys with their `kid`s, and a rotation
//! keeps the old key published until its tokens have expired, with no restart.

use crate::common;

use crate::issuer_fixtures::{issuer, signing};
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::{
    clock::ManualClock, issuer::JwksEndpoint, issuer::JWKS_PATH, store::REVOCATION_MARGIN,
    JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer,
};

async fn served(endpoint: &JwksEndpoint) -> (StatusCode, http::HeaderMap, Value) {
    let response = endpoint
        .clone()
        .oneshot(Request::get(JWKS_PATH).body(()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        serde_json::from_slice(&body).unwrap(),
    )
}

#[tokio::test]
async fn the_endpoint_publishes_public_keys_only_with_their_kids() {
    let clock = ManualClock::new(common::now());
    for (alg, file, kty) in [
        (Algorithm::ES256, "ec256_private.pem", "EC"),
        (Algorithm::EdDSA, "ed25519_private.pem", "OKP"),
        (Algorithm::RS256, "rsa_private.pem", "RSA"),
    ] {
        let issuer = issuer(signing(alg, file, "k1"), &clock);
        let (status, headers, body) = served(&JwksEndpoint::new(issuer.clone())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/jwk-set+json");
        assert_eq!(headers["cache-control"], "public, max-age=300");
        let keys = body["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{body}");
        assert_eq!(
            (keys[0]["kty"].as_str(), keys[0]["kid"].as_str()),
            (Some(kty), Some("k1"))
        );
        assert_eq!(keys[0]["use"], "sig");
        assert_eq!(keys[0]["alg"], alg_name(alg).as_str());
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(keys[0].get(private).is_none(), "{private} in {body}");
        }
        // The published key verifies what the issuer signs (checked with jsonwebtoken, not the crate).
        let token = issuer.issue("alice", &()).unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys[0].clone()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let (input, signature) = token.as_str().rsplit_once('.').unwrap();
        let signature =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
                .unwrap();
        let verifier = (provider().verifier_factory)(&alg, &key).unwrap();
        assert!(
            verifier.verify(input.as_bytes(), &signature).is_ok(),
            "{alg:?}"
        );
        assert_eq!(header(token.as_str())["kid"], "k1");
    }
    let hmac = issuer(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(), &clock);
    let (_, _, body) = served(&JwksEndpoint::new(hmac)).await;
    assert_eq!(body, json!({ "keys": [] }), "a secret is never published");
    let post = JwksEndpoint::new(issuer(
        signing(Algorithm::ES256, "ec256_private.pem", "k"),
        &clock,
    ))
    .oneshot(Request::post(JWKS_PATH).body(()).unwrap())
    .await
    .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn rotation_keeps_the_old_key_published_until_its_tokens_expire() {
    let clock = ManualClock::new(common::now());
    let issuer = issuer(signing(Algorithm::ES256, "ec256_private.pem", "k1"), &clock);
    let sessions = Sessions::builder(issuer.clone(), MemoryStore::new())
        .build()
        .unwrap();
    // A layer wired to the sessions trusts the issuer's keys, rotations included, without being given them.
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
    let old = issuer.issue("alice", &()).unwrap();
    assert!(
        issuer
            .rotate(signing(Algorithm::EdDSA, "ed25519_private.pem", "k1"))
            .is_err(),
        "kid in use"
    );
    assert!(
        issuer
            .rotate(SigningKey::from_pem(Algorithm::EdDSA, &pem("ed25519_private.pem")).unwrap())
            .is_err(),
        "no kid"
    );
    issuer
        .rotate(signing(Algorithm::EdDSA, "ed25519_private.pem", "k2"))
        .unwrap();
    let new = issuer.issue("alice", &()).unwrap();
    assert_eq!(
        (
            header(new.as_str())["kid"].as_str(),
            header(new.as_str())["alg"].as_str()
        ),
        (Some("k2"), Some("EdDSA"))
    );
    assert!(
        layer.verify_token(old.as_str()).is_ok(),
        "tokens of the retired key still verify"
    );
    assert!(
        layer.verify_token(new.as_str()).is_ok(),
        "tokens of the new key verify, no restart"
    );
    let kids = |jwks: jsonwebtoken::jwk::JwkSet| {
        jwks.keys
            .iter()
            .map(|k| k.common.key_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(kids(issuer.jwks()), ["k2", "k1"]);
    // Past the lifetime of every token the old key signed (plus the margin that covers any leeway), it is gone.
    clock.advance(600 + REVOCATION_MARGIN.as_secs() as i64 + 1);
    assert_eq!(kids(issuer.jwks()), ["k2"]);
    // Staging publishes (and trusts) a key before it signs; staging another withdraws it.
    issuer
        .stage(signing(Algorithm::ES256, "ec256_private.pem", "k3"))
        .unwrap();
    assert_eq!(kids(issuer.jwks()), ["k2", "k3"]);
    assert!(
        issuer
            .stage(signing(Algorithm::ES256, "ec256_private.pem", "k2"))
            .is_err(),
        "kid in use"
    );
    issuer
        .stage(signing(Algorithm::ES384, "ec384_private.pem", "k4"))
        .unwrap();
    assert_eq!(kids(issuer.jwks()), ["k2", "k4"]);
    assert_eq!(
        header(issuer.issue("alice", &()).unwrap().as_str())["kid"],
        "k2"
    );
    // Only the staged key may take its kid, and nobody's token signed with it is trusted before it signs.
    let staged_elsewhere =
        TokenIssuer::builder(signing(Algorithm::ES384, "ec384_private.pem", "k4"))
            .issuer(header_issuer(&issuer))
            .audience("demo-api")
            // Within the lifetime the layer allows the issuer's tokens (its max_ttl).
            .ttl(issuer.max_ttl())
            .clock(clock.clone())
            .build()
            .unwrap()
            .issue("alice", &())
            .unwrap();
    assert_eq!(
        layer
            .verify_token(staged_elsewhere.as_str())
            .unwrap_err()
            .kind(),
        tower_jwt_auth::AuthErrorKind::UnknownKey,
        "a staged key signs nothing yet"
    );
    assert!(
        issuer
            .rotate(signing(Algorithm::ES256, "ec256_private.pem", "k4"))
            .is_err(),
        "not the staged key"
    );
    issuer
        .rotate(signing(Algorithm::ES384, "ec384_private.pem", "k4"))
        .unwrap();
    assert_eq!(kids(issuer.jwks()), ["k4", "k2"]);
    assert!(layer
        .verify_token(issuer.issue("alice", &()).unwrap().as_str())
        .is_ok());
    assert!(
        layer.verify_token(staged_elsewhere.as_str()).is_ok(),
        "now it signs"
    );

    // A key that may be compromised is retired at once: its tokens are refused before they expire.
    let from_k2 = TokenIssuer::builder(signing(Algorithm::EdDSA, "ed25519_private.pem", "k2"))
        .issuer(header_issuer(&issuer))
        .audience("demo-api")
        .ttl(issuer.max_ttl())
        .clock(clock.clone())
        .build()
        .unwrap()
        .issue("mallory", &())
        .unwrap();
    assert!(
        layer.verify_token(from_k2.as_str()).is_ok(),
        "k2 is still published"
    );
    assert!(issuer.retire("k4").is_err(), "the active key");
    assert!(issuer.retire("nope").is_err(), "an unknown key");
    issuer.retire("k2").unwrap();
    assert_eq!(kids(issuer.jwks()), ["k4"]);
    assert_eq!(
        layer.verify_token(from_k2.as_str()).unwrap_err().kind(),
        tower_jwt_auth::AuthErrorKind::UnknownKey
    );
}

/// The `iss` an issuer writes (read from a token it signs).
fn header_issuer(issuer: &TokenIssuer) -> String {
    payload(issuer.issue("probe", &()).unwrap().as_str())["iss"]
        .as_str()
        .unwrap()
        .to_owned()
}
