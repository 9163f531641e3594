//! The issuer's own JWK Set: `JwksEndpoint` publishes the public signing keys with their `kid`s, a rotation
//! needs no restart, and other processes verify the tokens through the published set — before and after a
//! rotation — while retired keys stay published until their tokens have expired.

use crate::common;

use std::time::Duration;

use common::demo::{call, start};
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::{
    clock::ManualClock, issuer::JwksEndpoint, issuer::JWKS_PATH, keys::Jwks,
    store::REVOCATION_MARGIN, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer,
};

fn signing(alg: Algorithm, file: &str, kid: &str) -> SigningKey {
    SigningKey::from_pem(alg, &pem(file))
        .unwrap()
        .with_kid(kid)
        .unwrap()
}

fn issuer(key: SigningKey, clock: &ManualClock) -> TokenIssuer {
    TokenIssuer::builder(key)
        .issuer("demo")
        .audience("demo-api")
        .ttl(Duration::from_secs(600))
        .clock(clock.clone())
        .build()
        .unwrap()
}

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

#[tokio::test]
async fn retiring_a_key_retires_it_in_a_layer_wired_to_the_sessions() {
    use tower_jwt_auth::{keys::TrustedIssuer, ConfigError, VerificationKey};
    let secret = [42u8; 32];
    let hmac = |secret: &[u8], kid: &str| {
        SigningKey::hmac(Algorithm::HS256, secret)
            .unwrap()
            .with_kid(kid)
            .unwrap()
    };
    let clock = ManualClock::new(common::now());
    let issuer = issuer(hmac(&secret, "k1"), &clock);
    let sessions = Sessions::builder(issuer.clone(), MemoryStore::new())
        .build()
        .unwrap();
    // The wiring the README used to show gives the issuer's key a second time, as a static key that no
    // rotation or retirement reaches: refused at build, naming the fix.
    let again = VerificationKey::hmac(Algorithm::HS256, &secret).unwrap();
    let error = JwtAuthLayer::builder()
        .key(again.clone())
        .sessions(&sessions)
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::Conflict(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(".key(..)") && text.contains("retire"),
        "{text}"
    );
    assert!(matches!(
        JwtAuthLayer::builder()
            .trust_issuer("https://elsewhere.test", TrustedIssuer::new().key(again))
            .sessions(&sessions)
            .build(),
        Err(ConfigError::Conflict(_))
    ));
    // Public keys are compared by material, whatever form and algorithm they were given in: a PEM public
    // key, bound to RS256 or PS256, is the RSA issuer's key; the EC PEM is the EC issuer's.
    for (signing, public) in [
        (
            signing(Algorithm::RS256, "rsa_private.pem", "r"),
            VerificationKey::from_pem(Algorithm::RS256, &pem("rsa_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::RS256, "rsa_private.pem", "r"),
            VerificationKey::from_pem(Algorithm::PS256, &pem("rsa_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::ES256, "ec256_private.pem", "e"),
            VerificationKey::from_pem(Algorithm::ES256, &pem("ec256_public.pem")).unwrap(),
        ),
        (
            signing(Algorithm::EdDSA, "ed25519_private.pem", "d"),
            VerificationKey::from_pem(Algorithm::EdDSA, &pem("ed25519_public.pem")).unwrap(),
        ),
    ] {
        let sessions = Sessions::builder(self::issuer(signing, &clock), MemoryStore::new())
            .build()
            .unwrap();
        let built = JwtAuthLayer::builder()
            .key(public.clone())
            .sessions(&sessions)
            .build();
        assert!(matches!(built, Err(ConfigError::Conflict(_))), "{public:?}");
    }
    // An unrelated key beside the sessions is fine.
    assert!(JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
        .sessions(&sessions)
        .build()
        .is_ok());

    // The README's wiring now: the layer trusts the issuer's ring alone.
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
    let app = axum::Router::new()
        .route("/me", axum::routing::get(|| async { "me" }))
        .layer(layer);
    let me = |token: String| {
        let app = app.clone();
        async move {
            let request = Request::get("/me")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            app.oneshot(request).await.unwrap()
        }
    };
    // Whoever stole k1 signs what they like with it.
    let forged = || {
        TokenIssuer::builder(hmac(&secret, "k1"))
            .issuer("demo")
            .audience("demo-api")
            .ttl(issuer.max_ttl())
            .clock(clock.clone())
            .build()
            .unwrap()
            .issue("mallory", &json!({ "scope": "admin" }))
            .unwrap()
            .into_string()
    };
    assert_eq!(me(forged()).await.status(), StatusCode::OK);
    // The compromise is noticed: rotate to a new key, and retire the stolen one at once.
    issuer.rotate(hmac(&[43u8; 32], "k2")).unwrap();
    assert_eq!(
        me(forged()).await.status(),
        StatusCode::OK,
        "k1 is only retiring"
    );
    issuer.retire("k1").unwrap();
    let refused = me(forged()).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="invalid_token""#));
    // The sessions keep working on the new key.
    let pair = sessions.login("alice", &()).await.unwrap();
    assert_eq!(header(pair.access_token())["kid"], "k2");
    assert_eq!(
        me(pair.access_token().to_owned()).await.status(),
        StatusCode::OK
    );
}

/// The issuer's builder and its key ring name the setting that is wrong and say what to give instead: a kid in
/// use is reported as such (not as a malformed kid), a retire of an unknown kid names it.
#[test]
fn issuer_errors_name_their_setting() {
    use tower_jwt_auth::ConfigError;
    let clock = ManualClock::new(common::now());
    let key = || signing(Algorithm::ES256, "ec256_private.pem", "k1");
    let no_issuer = TokenIssuer::builder(key())
        .audience("api")
        .build()
        .unwrap_err();
    assert!(
        no_issuer.to_string().starts_with(
            "missing setting: TokenIssuerBuilder::issuer, the `iss` of every token: call .issuer("
        ),
        "{no_issuer}"
    );
    let ttl = TokenIssuer::builder(key())
        .issuer("https://auth.test")
        .audience("api")
        .ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        ttl,
        ConfigError::InvalidDuration {
            setting: "TokenIssuerBuilder::ttl",
            expected: "at least one second"
        }
    );
    let issuer = issuer(key(), &clock);
    let in_use = issuer
        .rotate(signing(Algorithm::EdDSA, "ed25519_private.pem", "k1"))
        .unwrap_err();
    assert_eq!(
        in_use.to_string(),
        "TokenIssuer::rotate: the kid `k1` already names another key of the issuer; give the new key a kid of \
         its own"
    );
    let unknown = issuer.retire("nope").unwrap_err();
    assert_eq!(unknown, ConfigError::UnknownKeyId("nope".into()));
    assert_eq!(unknown.setting(), Some("TokenIssuer::retire"));
}
