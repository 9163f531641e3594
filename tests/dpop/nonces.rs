//! RFC 9449 §8: server nonces are handed out, then required.

use crate::common;

use std::time::Duration;

use crate::fixtures::{bound_token, call, dpop_request, htu, layer_with, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::*;
use http::StatusCode;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::AuthErrorKind;

#[tokio::test]
async fn server_nonces_are_handed_out_and_then_required() {
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .require_nonce(Duration::from_secs(300))
        .build()
        .unwrap();
    let layer = layer_with(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    let first = call(&layer, dpop_request(&token, Some(&proof))).await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&first), Some(AuthErrorKind::UseDpopNonce));
    assert!(
        challenge(&first).contains("DPoP realm=\"api\", error=\"use_dpop_nonce\""),
        "{}",
        challenge(&first)
    );
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(Some(nonce.clone()), dpop.current_nonce());
    let wrong = key.proof_with("POST", &htu(), Some(&token), |_, c| {
        c.insert("nonce".into(), "made-up".into());
    });
    assert_eq!(
        rejection_kind(&call(&layer, dpop_request(&token, Some(&wrong))).await),
        Some(AuthErrorKind::UseDpopNonce)
    );
    let with_nonce = key.proof_with("POST", &htu(), Some(&token), |_, c| {
        c.insert("nonce".into(), nonce.clone().into());
    });
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&with_nonce)))
            .await
            .status(),
        StatusCode::OK
    );
}
