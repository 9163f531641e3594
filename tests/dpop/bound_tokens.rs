//! RFC 9449 §6, §7: a DPoP-bound token works only for the holder of its key and is never a bearer token; an
//! unbound token can't use the DPoP scheme; the binding is judged before the scopes.

use crate::common;

use crate::fixtures::{
    admin_only, assert_admits_the_holder, assert_invalid_proof, bound_token, call, dpop_request,
    htu, layer,
};
use common::dpop_proofs::ProofKey;
use common::*;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::dpop::DpopPolicy;
use tower_jwt_auth::{AuthError, AuthErrorKind};

/// RFC 9700 §2.2.1: a sender-constrained token works only for the holder of its key.
#[tokio::test]
async fn item_57_rfc9700_2_2_1_sender_constrained_tokens() {
    let layer = layer(DpopPolicy::Allowed);
    let holder = ProofKey::es256();
    let token = bound_token(&holder);
    assert_eq!(
        call(&layer, bearer(&token)).await.status(),
        StatusCode::UNAUTHORIZED,
        "stolen, as bearer"
    );
    let thief = ProofKey::ed25519();
    let stolen = thief.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&stolen)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "stolen, another key"
    );
    assert_admits_the_holder(&layer, &holder, &token).await;
}

#[tokio::test]
async fn a_bound_token_is_never_a_bearer_token() {
    let key = ProofKey::es256();
    let token = bound_token(&key);
    for policy in [DpopPolicy::Off, DpopPolicy::Allowed] {
        let response = call(&layer(policy), bearer(&token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{policy:?}");
        assert_eq!(rejection_kind(&response), Some(AuthErrorKind::DpopRequired));
        assert!(
            challenge(&response).contains("error=\"invalid_token\""),
            "{}",
            challenge(&response)
        );
    }
    // Nor through verify_token, which no proof accompanies.
    let error = layer(DpopPolicy::Allowed).verify_token(&token).unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::DpopRequired);
}

#[tokio::test]
async fn an_unbound_token_with_the_dpop_scheme_is_refused() {
    let key = ProofKey::es256();
    let token = hs256(&claims());
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(
        &layer(DpopPolicy::Allowed),
        dpop_request(&token, Some(&proof)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::NotDpopBound));
    assert!(challenge(&response).contains("DPoP realm=\"api\", error=\"invalid_token\""));
}

#[tokio::test]
async fn the_binding_is_judged_before_the_scopes() {
    // The binding is judged before the scopes: a stolen bound token learns nothing about them.
    let scoped = admin_only();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let response = call(&scoped, bearer(&token)).await;
    assert_eq!(
        (response.status(), rejection_kind(&response)),
        (StatusCode::UNAUTHORIZED, Some(AuthErrorKind::DpopRequired))
    );
    let stranger = ProofKey::ed25519().proof("POST", &htu(), Some(&token));
    assert_invalid_proof(
        &call(&scoped, dpop_request(&token, Some(&stranger))).await,
        "jkt",
    );
}

#[tokio::test]
async fn a_token_bound_by_another_method_is_refused_not_taken_as_a_bearer_token() {
    let layer = layer(DpopPolicy::Allowed);
    // A token bound by a method no layer checks (mTLS) is refused, never taken as a bearer token.
    let mtls = hs256(&with_claim(
        claims(),
        "cnf",
        json!({ "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" }),
    ));
    let response = call(&layer, bearer(&mtls)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidClaim, Some("cnf"))
    );
}
