//! DPoP-bound sessions (RFC 9449 §5): a login bound to the client's key, refresh tokens only its holder can
//! use, an unbound session bound by a refresh with a proof, the endpoint's policies and nonces, and a bad proof
//! at the refresh endpoint as a token error.

use crate::common;

use std::time::Duration;

use crate::session_fixtures::{bound_login, refresh, refresh_proof, refused, rules, Secs, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::sessions::fixture;
use common::*;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::session::RefreshEndpoint;

#[tokio::test]
async fn a_bound_pair_carries_the_key_and_only_its_holder_refreshes() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    assert_eq!(pair.token_type(), "DPoP");
    assert_eq!(serde_json::to_value(&pair).unwrap()["token_type"], "DPoP");
    assert_eq!(
        payload(pair.access_token())["cnf"],
        json!({ "jkt": key.thumbprint() })
    );
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);

    // Stolen: without the key, or with a proof by another key, nothing happens.
    refused(
        &refresh(&endpoint, pair.refresh_token(), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let thief = ProofKey::ed25519();
    refused(
        &refresh(
            &endpoint,
            pair.refresh_token(),
            Some(&refresh_proof(&f, &thief)),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    // Tampering with the binding part matches nothing either.
    let (rest, _) = pair.refresh_token().rsplit_once('.').unwrap();
    let rebound = format!("{rest}.{}", thief.thumbprint());
    let (status, _, _) = refresh(&endpoint, &rebound, Some(&refresh_proof(&f, &thief))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = refresh(&endpoint, rest, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "stripped of its binding");

    // The holder: the token was never rotated by the attempts above, so it still works.
    let (status, body, headers) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        payload(body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.thumbprint().as_str()
    );
    // The old token again, even with the key: reuse, which ends the session.
    let (status, _, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let newest = body["refresh_token"].as_str().unwrap();
    let (status, _, _) = refresh(&endpoint, newest, Some(&refresh_proof(&f, &key))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the family was revoked");
}

#[tokio::test]
async fn a_replayed_proof_rotates_nothing() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let proof = refresh_proof(&f, &key);
    let (status, body, _) = refresh(&endpoint, pair.refresh_token(), Some(&proof)).await;
    assert_eq!(status, StatusCode::OK);
    let next = body["refresh_token"].as_str().unwrap().to_owned();
    let answer = refresh(&endpoint, &next, Some(&proof)).await;
    refused(&answer, StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    assert!(!answer.2.contains_key("www-authenticate"), "a token error");
    let (status, _, _) = refresh(&endpoint, &next, Some(&refresh_proof(&f, &key))).await;
    assert_eq!(status, StatusCode::OK, "the replay rotated nothing");
}

#[tokio::test]
async fn an_unbound_session_is_bound_by_a_refresh_with_a_proof() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::ed25519();
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    assert_eq!(serde_json::to_value(&pair).unwrap()["token_type"], "Bearer");
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let (status, body, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(
        (status, &body["token_type"]),
        (StatusCode::OK, &json!("DPoP"))
    );
    let bound = body["refresh_token"].as_str().unwrap();
    let (status, _, _) = refresh(&endpoint, bound, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "bound from now on");
}

#[tokio::test]
async fn the_endpoint_policies_and_nonces() {
    let f = fixture(Duration::ZERO);
    let key = ProofKey::es256();
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    let required = RefreshEndpoint::new(f.sessions.clone()).dpop(&rules(&f), DpopPolicy::Required);
    refused(
        &refresh(&required, pair.refresh_token(), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
    );
    let off = RefreshEndpoint::new(f.sessions.clone()).dpop(&rules(&f), DpopPolicy::Off);
    let (status, body, _) =
        refresh(&off, pair.refresh_token(), Some(&refresh_proof(&f, &key))).await;
    assert_eq!(
        (status, &body["token_type"]),
        (StatusCode::OK, &json!("Bearer")),
        "the proof is ignored"
    );

    let with_nonce = Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .require_nonce(Duration::from_secs(60))
        .build()
        .unwrap();
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&with_nonce, DpopPolicy::Allowed);
    let current = body["refresh_token"].as_str().unwrap();
    let answer = refresh(&endpoint, current, Some(&refresh_proof(&f, &key))).await;
    refused(&answer, StatusCode::BAD_REQUEST, "use_dpop_nonce");
    let nonce = answer.2["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = key.proof_with("POST", &format!("{ORIGIN}/refresh"), None, |_, c| {
        c.insert("iat".into(), f.clock.now_secs().into());
        c.insert("nonce".into(), nonce.into());
    });
    let (status, _, _) = refresh(&endpoint, current, Some(&proof)).await;
    assert_eq!(status, StatusCode::OK);
}

/// RFC 9449 §5 with RFC 6749 §5.2: a bad proof at the refresh endpoint is a token error, 400
/// `{"error":"invalid_dpop_proof"}`, not a resource server's 401 challenge (OAuth clients read one as the
/// other); nothing rotates. A missing nonce stays 400 `use_dpop_nonce` with its `DPoP-Nonce`.
#[tokio::test]
async fn a_bad_proof_at_the_refresh_endpoint_is_a_400_token_error() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let elsewhere = key.proof_at(
        "POST",
        &format!("{ORIGIN}/elsewhere"),
        None,
        f.clock.now_secs(),
    );
    let stale = key.proof_at(
        "POST",
        &format!("{ORIGIN}/refresh"),
        None,
        f.clock.now_secs() - 3600,
    );
    for proof in [elsewhere, stale, "not-a-proof".to_owned()] {
        let (status, body, headers) = refresh(&endpoint, pair.refresh_token(), Some(&proof)).await;
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
    let (status, _, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "nothing rotated before");
}
