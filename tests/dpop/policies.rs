//! RFC 9449 §7.1: the DPoP policies and their challenges, a missing scope of a DPoP request, and the proof
//! algorithms the metadata advertises.

use crate::common;

use crate::fixtures::{admin_only, bound_token, call, dpop_request, htu, layer, ALGS, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::*;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::dpop::DpopPolicy;
use tower_jwt_auth::AuthErrorKind;

#[tokio::test]
async fn policies_and_their_challenges() {
    let plain = hs256(&claims());
    // Allowed: bearer tokens pass, both schemes are offered.
    let allowed = layer(DpopPolicy::Allowed);
    assert_eq!(call(&allowed, bearer(&plain)).await.body(), "alice bearer");
    let anonymous = call(&allowed, request_with("/", &[])).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&anonymous),
        format!("Bearer realm=\"api\", DPoP realm=\"api\", algs=\"{ALGS}\"")
    );
    let expired = hs256(&with_claim(claims(), "exp", json!(now() - 3600)));
    assert!(challenge(&call(&allowed, bearer(&expired)).await)
        .starts_with("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the access token has expired\", DPoP realm=\"api\", algs="));
    // Required: bearer tokens are refused, only DPoP is offered.
    let required = layer(DpopPolicy::Required);
    let refused = call(&required, bearer(&plain)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&refused), Some(AuthErrorKind::DpopRequired));
    assert!(challenge(&refused).starts_with("DPoP realm=\"api\", error=\"invalid_token\""));
    assert_eq!(
        challenge(&call(&required, request_with("/", &[])).await),
        format!("DPoP realm=\"api\", algs=\"{ALGS}\"")
    );
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&required, dpop_request(&token, Some(&proof)))
            .await
            .status(),
        StatusCode::OK
    );
    // Off: the DPoP scheme is not a credential at all.
    let off = layer(DpopPolicy::Off);
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(&off, dpop_request(&token, Some(&proof))).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, None);
    assert_eq!(challenge(&response), "Bearer realm=\"api\"");
}

#[tokio::test]
async fn a_missing_scope_of_a_dpop_request_is_a_dpop_challenge() {
    let layer = admin_only();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(&layer, dpop_request(&token, Some(&proof))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        challenge(&response).contains("DPoP realm=\"api\", error=\"insufficient_scope\""),
        "{}",
        challenge(&response)
    );
}

#[tokio::test]
async fn the_metadata_advertises_the_proof_algorithms() {
    for (policy, required) in [(DpopPolicy::Allowed, false), (DpopPolicy::Required, true)] {
        let json = serde_json::to_value(layer(policy).resource_metadata(ORIGIN)).unwrap();
        assert_eq!(
            json["dpop_signing_alg_values_supported"],
            json!(ALGS.split(' ').collect::<Vec<_>>())
        );
        assert_eq!(json["dpop_bound_access_tokens_required"], json!(required));
    }
    let json = serde_json::to_value(layer(DpopPolicy::Off).resource_metadata(ORIGIN)).unwrap();
    assert!(json.get("dpop_signing_alg_values_supported").is_none());
}
