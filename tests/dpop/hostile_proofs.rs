//! Hostile proofs and tokens: a precise 4xx that never reaches the replay cache, RSA proof keys bounded in size
//! and exponent, and the cheap checks before the signature.

use crate::common;

use crate::fixtures::{
    assert_admits_the_holder, assert_invalid_proof, bound_token, call, dpop_request, htu, layer,
    layer_with, ORIGIN,
};
use common::dpop_proofs::ProofKey;
use common::*;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::AuthErrorKind;

/// Counts how often the replay cache is asked.
#[derive(Clone, Default)]
struct CountingCache(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tower_jwt_auth::dpop::ReplayCache for CountingCache {
    fn first_use(&self, _: &[u8; 32], _: i64, _: i64) -> tower_jwt_auth::store::Lookup<bool> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tower_jwt_auth::store::Lookup::Ready(Ok(true))
    }
}

#[tokio::test]
async fn hostile_proofs_and_tokens_get_a_precise_4xx_and_never_reach_the_replay_cache() {
    let cache = CountingCache::default();
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .replay_cache(cache.clone())
        .build()
        .unwrap();
    let layer = layer_with(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let valid_proof = key.proof("POST", &htu(), Some(&token));
    let deep = format!(
        "{}.{}.AA",
        b64(format!(
            "{{\"typ\":\"dpop+jwt\",\"x\":{}}}",
            "[".repeat(5000)
        )),
        b64("{}")
    );
    let huge_n = key.proof_with("POST", &htu(), Some(&token), |h, _| {
        h["jwk"] = json!({ "kty": "RSA", "n": "A".repeat(3000), "e": "AQAB" });
        h["alg"] = "RS256".into();
    });
    let proofs = [
        "".to_owned(),
        "a.b.c".to_owned(),
        "..".to_owned(),
        "x".repeat(5000),
        deep,
        huge_n,
        format!(
            "{}.{}.{}",
            b64("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":[]}"),
            b64("{}"),
            "AA"
        ),
    ];
    for proof in &proofs {
        let mut request = dpop_request(&token, None);
        if let Ok(value) = proof.parse() {
            request.headers_mut().insert("dpop", value);
        }
        let response = call(&layer, request).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            &proof[..proof.len().min(40)]
        );
        assert_eq!(
            rejection_kind(&response),
            Some(AuthErrorKind::InvalidDpopProof)
        );
    }
    // A bad token with a valid proof: refused for the token (in a DPoP challenge), before the proof is used.
    let forged = format!("{}x", &token[..token.len() - 1]);
    let response = call(&layer, dpop_request(&forged, Some(&valid_proof))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&response).contains("DPoP realm=\"api\", error=\"invalid_token\""),
        "{}",
        challenge(&response)
    );
    let malformed = call(
        &layer,
        request_with("/", &[("authorization", "DPoP two tokens")]),
    )
    .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let twice = call(
        &layer,
        request_with(
            "/",
            &[
                ("authorization", &format!("DPoP {token}")),
                ("authorization", "Bearer x"),
            ],
        ),
    )
    .await;
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        cache.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing reached the replay cache"
    );
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&valid_proof)))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(cache.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_rsa_proof_key_with_an_exponent_of_one_is_refused() {
    let layer = layer(DpopPolicy::Allowed);
    // RSA proof keys: an exponent of 1 is no key.
    let rsa = ProofKey::rsa(Algorithm::PS256);
    let token = bound_token(&rsa);
    let weak = rsa.proof_with("POST", &htu(), Some(&token), |h, _| {
        h["jwk"]["e"] = "AQ".into()
    });
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&weak))).await,
        "jwk",
    );
}

/// RSA proof keys are 2048 to 4096 bits with e = 65537: a proof by an RSA-8192 key or a key with e = 3 is refused
/// though its signature is sound (it only costs the server time, or invites lax verifiers' forgeries).
#[tokio::test]
async fn rsa_proof_keys_are_at_most_4096_bits_with_e_65537() {
    let layer = layer(DpopPolicy::Allowed);
    let at_cap = ProofKey::rsa_file(Algorithm::PS256, "rsa4096_private.pem");
    assert_admits_the_holder(&layer, &at_cap, &bound_token(&at_cap)).await;
    for (file, alg) in [
        ("rsa8192_private.pem", Algorithm::PS256),
        ("rsa8192_private.pem", Algorithm::RS256),
        ("rsa_e3_private.pem", Algorithm::RS256),
    ] {
        let key = ProofKey::rsa_file(alg, file);
        let token = bound_token(&key);
        let proof = key.proof("POST", &htu(), Some(&token));
        let response = call(&layer, dpop_request(&token, Some(&proof))).await;
        assert_invalid_proof(&response, "jwk");
    }
}

/// `proof` with its signature broken (its first character changed).
fn with_broken_signature(proof: &str) -> String {
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    format!("{input}.{flipped}{}", &signature[1..])
}

/// The cheap checks come before the signature: a stale proof (an hour old, by an RSA-4096 key), one for another
/// URL or method, one by another key than the token's, and a replay are refused for that — the claim the
/// rejection names — even with a broken signature, which was never checked. A sound signature changes nothing.
#[tokio::test]
async fn stale_misdirected_foreign_and_replayed_proofs_are_refused_before_their_signature() {
    let layer = layer(DpopPolicy::Allowed);
    let big = ProofKey::rsa_file(Algorithm::PS256, "rsa4096_private.pem");
    let token = bound_token(&big);
    let hour_old = big.proof_at("POST", &htu(), Some(&token), now() - 3600);
    let elsewhere = big.proof("POST", &format!("{ORIGIN}/orders/8"), Some(&token));
    let get = big.proof("GET", &htu(), Some(&token));
    let stranger = ProofKey::ed25519().proof("POST", &htu(), Some(&token));
    for (proof, member) in [
        (hour_old, "iat"),
        (elsewhere, "htu"),
        (get, "htm"),
        (stranger, "jkt"),
    ] {
        for proof in [with_broken_signature(&proof), proof] {
            assert_invalid_proof(
                &call(&layer, dpop_request(&token, Some(&proof))).await,
                member,
            );
        }
    }
    let used = big.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&used)))
            .await
            .status(),
        StatusCode::OK
    );
    for proof in [with_broken_signature(&used), used] {
        assert_invalid_proof(
            &call(&layer, dpop_request(&token, Some(&proof))).await,
            "jti",
        );
    }
    // A fresh proof with a broken signature is refused for its signature (the checks above passed).
    let fresh = with_broken_signature(&big.proof("POST", &htu(), Some(&token)));
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&fresh))).await,
        "signature",
    );
}
