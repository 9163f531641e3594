//! A proof is accepted once (RFC 9449 §11.1), and the token it came with stays cached.

use crate::common;

use crate::fixtures::{assert_invalid_proof, bound_token, call, dpop_request, htu, layer};
use common::dpop_proofs::ProofKey;
use http::StatusCode;
use tower_jwt_auth::dpop::DpopPolicy;

#[tokio::test]
async fn a_proof_is_accepted_once_and_the_token_stays_cached() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::ed25519();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&proof)))
            .await
            .status(),
        StatusCode::OK
    );
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&proof))).await,
        "jti",
    );
    // The token itself is a cache hit from now on; every request still needs a fresh proof.
    assert_eq!(layer.cached_tokens(), 1);
    for _ in 0..3 {
        let fresh = key.proof("POST", &htu(), Some(&token));
        assert_eq!(
            call(&layer, dpop_request(&token, Some(&fresh)))
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(layer.cached_tokens(), 1);
}

/// A flood of one bound token with a bad proof (stolen token, no key) costs one signature check of the token:
/// it is cached once verified, and its proof is refused on every use.
#[tokio::test]
async fn a_bound_token_refused_for_its_proof_is_verified_once() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let stale = key.proof_at("POST", &htu(), Some(&token), common::now() - 3600);
    for _ in 0..3 {
        assert_invalid_proof(
            &call(&layer, dpop_request(&token, Some(&stale))).await,
            "iat",
        );
    }
    assert_eq!(layer.cached_tokens(), 1, "verified once, refused each time");
    let fresh = key.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&fresh)))
            .await
            .status(),
        StatusCode::OK
    );
}
