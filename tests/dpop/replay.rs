//! A proof is accepted once (RFC 9449 §11.1), and the token it came with stays cached.

use crate::common;

use crate::fixtures::{
    assert_invalid_proof, bound_token, call, dpop_request, htu, layer, status_of,
};
use common::dpop_proofs::ProofKey;
use http::StatusCode;
use tower_jwt_auth::dpop::DpopPolicy;

#[tokio::test]
async fn a_proof_is_accepted_once_and_the_token_stays_cached() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::ed25519();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    assert_eq!(status_of(&layer, &token, &proof).await, StatusCode::OK);
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&proof))).await,
        "jti",
    );
    // The token itself is a cache hit from now on; every request still needs a fresh proof.
    assert_eq!(layer.cached_tokens(), 1);
    for _ in 0..3 {
        let fresh = key.proof("POST", &htu(), Some(&token));
        assert_eq!(status_of(&layer, &token, &fresh).await, StatusCode::OK);
    }
    assert_eq!(layer.cached_tokens(), 1);
}

/// A flood of one bound token with a bad proof (stolen token, no key) costs one signature check of the token:
/// it is cached once verified, and its proof is refused on every use.
#[tokio::test]
async fn a_bound_token_refused_for_its_proof_is_verified_once() {
    use common::counting_provider::{checks, COUNTING};
    // The token's signature is checked by the layer's provider, counted here (the proofs' by the rules' own).
    let layer = common::builder_for(jsonwebtoken::Algorithm::HS256)
        .crypto_provider(&COUNTING)
        .dpop(&crate::fixtures::rules(), DpopPolicy::Allowed)
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let stale = key.proof_at("POST", &htu(), Some(&token), common::now() - 3600);
    let before = checks();
    for _ in 0..3 {
        assert_invalid_proof(
            &call(&layer, dpop_request(&token, Some(&stale))).await,
            "iat",
        );
    }
    assert_eq!(
        checks() - before,
        1,
        "one check of the token for three refusals"
    );
    assert_eq!(layer.cached_tokens(), 1, "verified once, refused each time");
    let fresh = key.proof("POST", &htu(), Some(&token));
    assert_eq!(status_of(&layer, &token, &fresh).await, StatusCode::OK);
}

/// A proof refused for good (here a forged signature) is remembered by its text: a flood of it costs one
/// signature check. A refusal time may change (`iat` ahead of the clock) is not remembered.
#[tokio::test]
async fn a_proof_refused_for_good_is_remembered_and_one_that_may_change_is_not() {
    use common::counting_provider::{checks, COUNTING};
    use tower_jwt_auth::clock::ManualClock;
    use tower_jwt_auth::dpop::Dpop;

    let clock = ManualClock::new(common::now());
    let dpop = Dpop::builder()
        .public_url(crate::fixtures::ORIGIN)
        .clock(clock.clone())
        .crypto_provider(&COUNTING)
        .build()
        .unwrap();
    let layer = common::builder_for(jsonwebtoken::Algorithm::HS256)
        .clock(clock.clone())
        .dpop(&dpop, DpopPolicy::Allowed)
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let other = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{input}.{other}{}", &signature[1..]);
    let before = checks();
    for _ in 0..3 {
        assert_invalid_proof(
            &call(&layer, dpop_request(&token, Some(&forged))).await,
            "signature",
        );
    }
    assert_eq!(
        checks() - before,
        1,
        "one signature check for three refusals"
    );

    let early = key.proof_at("POST", &htu(), Some(&token), common::now() + 300);
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&early))).await,
        "iat",
    );
    clock.advance(300);
    assert_eq!(status_of(&layer, &token, &early).await, StatusCode::OK);
}

/// A stale proof first refused for another member (here `htm`: a `GET` proof on a `POST`) is remembered as
/// stale: sent again with the request it names, it is refused for its `iat`, as a parse would refuse it.
#[tokio::test]
async fn a_stale_proof_refused_for_another_member_is_remembered_as_stale() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let stale = key.proof_at("GET", &htu(), Some(&token), common::now() - 3600);
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&stale))).await,
        "htm",
    );
    let mut get = dpop_request(&token, Some(&stale));
    *get.method_mut() = http::Method::GET;
    assert_invalid_proof(&call(&layer, get).await, "iat");
}
