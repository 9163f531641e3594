//! The demo's DPoP contract, driven over HTTP as its clients do: bound pairs from `/login` and `/refresh`, proofs
//! on every protected route, replays refused everywhere, the `DPOP` and `PUBLIC_URL` settings, and the metadata.

use crate::common;

use common::demo::{call, call_with, start, Demo};
use common::dpop_proofs::ProofKey;
use common::*;
use http::StatusCode;
use serde_json::{json, Value};

const ALICE: &str = r#"{"username":"alice","password":"alice-pass"}"#;

/// `method path` with `Authorization: DPoP <token>` (when given) and a `DPoP` proof (when given).
async fn dpop(
    demo: &Demo,
    method: &str,
    path: &str,
    token: Option<&str>,
    proof: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value, http::HeaderMap) {
    let authorization = token.map(|t| format!("DPoP {t}"));
    let mut headers = Vec::new();
    if let Some(value) = authorization.as_deref() {
        headers.push(("authorization", value));
    }
    if let Some(proof) = proof {
        headers.push(("dpop", proof));
    }
    call_with(demo, method, path, &headers, body).await
}

/// `POST /login` as alice, with a proof.
async fn login(demo: &Demo, proof: &str) -> (StatusCode, Value, http::HeaderMap) {
    dpop(demo, "POST", "/login", None, Some(proof), Some(ALICE)).await
}

/// `POST /refresh` with `body` and a proof.
async fn refresh(demo: &Demo, body: &str, proof: &str) -> (StatusCode, Value, http::HeaderMap) {
    dpop(demo, "POST", "/refresh", None, Some(proof), Some(body)).await
}

fn www_authenticate(headers: &http::HeaderMap) -> String {
    headers["www-authenticate"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn bound_pairs_proofs_and_replays() {
    let demo = start::<&str, &str>(&[]);
    let base = demo.base.clone();
    let key = ProofKey::es256();
    let url = |path: &str| format!("{base}{path}");

    let login_proof = key.proof("POST", &url("/login"), None);
    let (status, pair, headers) = login(&demo, &login_proof).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    assert_eq!(pair["token_type"], "DPoP");
    assert_eq!(headers["cache-control"], "no-store");
    let access = pair["access_token"].as_str().unwrap().to_owned();
    assert_eq!(payload(&access)["cnf"]["jkt"], key.thumbprint().as_str());
    // The same proof again binds nothing: a token endpoint's 400, no challenge (RFC 9449 §5).
    let (status, body, headers) = login(&demo, &login_proof).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof"))
    );
    assert!(!headers.contains_key("www-authenticate"));
    // A proof for another URI.
    let elsewhere = key.proof("POST", "https://elsewhere.example/login", None);
    let (status, body, _) = login(&demo, &elsewhere).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof"))
    );

    let me_proof = key.proof("GET", &url("/me"), Some(&access));
    let (status, me, _) = dpop(&demo, "GET", "/me", Some(&access), Some(&me_proof), None).await;
    assert_eq!((status, &me["sub"]), (StatusCode::OK, &json!("alice")));
    let (status, body, headers) =
        dpop(&demo, "GET", "/me", Some(&access), Some(&me_proof), None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_dpop_proof")),
        "replayed"
    );
    assert!(
        www_authenticate(&headers).contains("DPoP realm=\"demo\", error=\"invalid_dpop_proof\"")
    );
    let (status, _, headers) = call(&demo, "GET", "/me", Some(&access), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a bound token is no bearer token"
    );
    assert!(www_authenticate(&headers).contains("error=\"invalid_token\""));
    let (status, _, _) = dpop(&demo, "GET", "/me", Some(&access), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no proof");
    let thief = ProofKey::ed25519();
    let stolen = thief.proof("GET", &url("/me"), Some(&access));
    let (status, body, _) = dpop(&demo, "GET", "/me", Some(&access), Some(&stolen), None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_dpop_proof"))
    );

    let post_proof = key.proof("POST", &url("/posts"), Some(&access));
    let (status, _, _) = dpop(
        &demo,
        "POST",
        "/posts",
        Some(&access),
        Some(&post_proof),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let refresh_body = json!({ "refresh_token": pair["refresh_token"] }).to_string();
    let (status, body, _) = dpop(&demo, "POST", "/refresh", None, None, Some(&refresh_body)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant")),
        "stolen, no key"
    );
    let refresh_proof = key.proof("POST", &url("/refresh"), None);
    let (status, rotated, _) = refresh(&demo, &refresh_body, &refresh_proof).await;
    assert_eq!(
        (status, &rotated["token_type"]),
        (StatusCode::OK, &json!("DPoP")),
        "{rotated}"
    );
    let next_body = json!({ "refresh_token": rotated["refresh_token"] }).to_string();
    let (status, body, _) = refresh(&demo, &next_body, &refresh_proof).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof")),
        "replayed"
    );

    let access = rotated["access_token"].as_str().unwrap();
    let logout = key.proof("POST", &url("/logout"), Some(access));
    let (status, _, _) = dpop(&demo, "POST", "/logout", Some(access), Some(&logout), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let me = key.proof("GET", &url("/me"), Some(access));
    let (status, body, _) = dpop(&demo, "GET", "/me", Some(access), Some(&me), None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_token")),
        "revoked"
    );

    // EdDSA proofs too, and /logout-all.
    let ed = ProofKey::ed25519();
    let (status, pair, _) = dpop(
        &demo,
        "POST",
        "/login",
        None,
        Some(&ed.proof("POST", &url("/login"), None)),
        Some(ALICE),
    )
    .await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("DPoP"))
    );
    let access = pair["access_token"].as_str().unwrap();
    let all = ed.proof("POST", &url("/logout-all"), Some(access));
    let (status, _, _) = dpop(&demo, "POST", "/logout-all", Some(access), Some(&all), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Bearer clients are unaffected.
    let (status, pair, _) = call(&demo, "POST", "/login", None, Some(ALICE)).await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("Bearer"))
    );
    let (status, _, _) = call(&demo, "GET", "/me", pair["access_token"].as_str(), None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, metadata, _) = call(
        &demo,
        "GET",
        "/.well-known/oauth-protected-resource",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let algs = metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(
        algs.contains(&json!("ES256")) && algs.contains(&json!("EdDSA")),
        "{metadata}"
    );
    assert_eq!(metadata["dpop_bound_access_tokens_required"], false);
    let (_, _, headers) = call(&demo, "GET", "/me", None, None).await;
    let challenge = www_authenticate(&headers);
    assert!(
        challenge.contains("DPoP realm=\"demo\", algs=\"") && challenge.contains("EdDSA"),
        "{challenge}"
    );
    assert!(challenge.contains("resource_metadata=\""), "{challenge}");
}

#[tokio::test]
async fn dpop_required_and_off() {
    let secret = "0123456789abcdef0123456789abcdef";
    let bearer_token = |demo_iss: &str| {
        let now = now();
        let claims = json!({ "iss": demo_iss, "aud": "demo-api", "sub": "bob", "iat": now, "exp": now + 300, "scope": "read" });
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap();
        sign_raw(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &claims.to_string(),
            jsonwebtoken::Algorithm::HS256,
            &key,
        )
    };
    let required = start(&[("DPOP", "required"), ("JWT_SECRET", secret)]);
    let (status, _, _) = call(&required, "POST", "/login", None, Some(ALICE)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no proof, no pair");
    let (status, _, headers) =
        call(&required, "GET", "/me", Some(&bearer_token("demo")), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&headers).starts_with("DPoP realm=\"demo\", error=\"invalid_token\""));
    let (_, metadata, _) = call(
        &required,
        "GET",
        "/.well-known/oauth-protected-resource",
        None,
        None,
    )
    .await;
    assert_eq!(metadata["dpop_bound_access_tokens_required"], true);
    let key = ProofKey::es256();
    let proof = key.proof("POST", &format!("{}/login", required.base), None);
    let (status, pair, _) = login(&required, &proof).await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("DPoP"))
    );

    let off = start(&[("DPOP", "off"), ("JWT_SECRET", secret)]);
    let proof = key.proof("POST", &format!("{}/login", off.base), None);
    let (status, pair, _) = login(&off, &proof).await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("Bearer")),
        "the proof is ignored"
    );
    let (status, _, headers) = call(&off, "GET", "/me", None, None).await;
    assert_eq!(
        (status, www_authenticate(&headers).contains("DPoP")),
        (StatusCode::UNAUTHORIZED, false)
    );
    let (status, _, _) = call(&off, "GET", "/me", Some(&bearer_token("demo")), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn proofs_name_public_url_not_the_bound_address() {
    let demo = start(&[("PUBLIC_URL", "https://api.example.test")]);
    let key = ProofKey::es256();
    let local = key.proof("POST", &format!("{}/login", demo.base), None);
    let (status, _, _) = login(&demo, &local).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let public = key.proof("POST", "https://api.example.test/login", None);
    let (status, pair, _) = login(&demo, &public).await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("DPoP"))
    );
}

/// RFC 9449 §5 / RFC 6749 §5.2 at the demo's token endpoints: a bound refresh with a proof for another URL, or
/// a stale one, is 400 `{"error":"invalid_dpop_proof"}` without a challenge, and rotates nothing. And a login
/// proof is used up only once the password checked out: the same proof after a wrong password still logs in.
#[tokio::test]
async fn token_endpoint_proof_errors_are_400_and_wrong_passwords_use_up_no_proof() {
    let demo = start::<&str, &str>(&[]);
    let key = ProofKey::es256();
    let url = |path: &str| format!("{}{path}", demo.base);
    let proof = key.proof("POST", &url("/login"), None);
    let wrong = r#"{"username":"alice","password":"wrong"}"#;
    let (status, body, _) = dpop(&demo, "POST", "/login", None, Some(&proof), Some(wrong)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_credentials"))
    );
    let (status, pair, _) = login(&demo, &proof).await;
    assert_eq!(
        (status, &pair["token_type"]),
        (StatusCode::OK, &json!("DPoP")),
        "{pair}"
    );
    let refresh_body = json!({ "refresh_token": pair["refresh_token"] }).to_string();
    let elsewhere = key.proof("POST", &url("/login"), None);
    let stale = key.proof_with("POST", &url("/refresh"), None, |_, claims| {
        claims.insert("iat".into(), (now() - 3600).into());
    });
    for proof in [elsewhere, stale] {
        let (status, body, headers) = refresh(&demo, &refresh_body, &proof).await;
        assert_eq!(
            (status, &body),
            (
                StatusCode::BAD_REQUEST,
                &json!({ "error": "invalid_dpop_proof" })
            )
        );
        assert_eq!(headers["cache-control"], "no-store");
        assert!(!headers.contains_key("www-authenticate"), "{headers:?}");
    }
    let (status, rotated, _) = refresh(
        &demo,
        &refresh_body,
        &key.proof("POST", &url("/refresh"), None),
    )
    .await;
    assert_eq!(
        (status, &rotated["token_type"]),
        (StatusCode::OK, &json!("DPoP")),
        "nothing rotated before: {rotated}"
    );
}
