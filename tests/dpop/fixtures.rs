//! What the DPoP behaviour files at the layer share: the origin and path, the proof algorithms, the rules and
//! layers, bound tokens, requests with a proof, the handler and a call through the layer, and the assertions on
//! proofs.

use crate::common;

use std::convert::Infallible;

use common::dpop_proofs::ProofKey;
use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::{AuthError, AuthErrorKind, JwtAuthLayer, TokenInfo};

pub(crate) const ORIGIN: &str = "https://api.example.com";

pub(crate) const PATH: &str = "/orders/7";

pub(crate) const ALGS: &str = "ES256 EdDSA ES384 PS256 RS256";

pub(crate) fn rules() -> Dpop {
    Dpop::builder().public_url(ORIGIN).build().unwrap()
}

pub(crate) fn layer_with(dpop: &Dpop, policy: DpopPolicy) -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .dpop(dpop, policy)
        .build()
        .unwrap()
}

pub(crate) fn layer(policy: DpopPolicy) -> JwtAuthLayer {
    layer_with(&rules(), policy)
}

/// A token bound to `key` (`cnf.jkt`), signed by the test issuer.
pub(crate) fn bound_token(key: &ProofKey) -> String {
    hs256(&with_claim(
        claims(),
        "cnf",
        json!({ "jkt": key.thumbprint() }),
    ))
}

/// A DPoP-allowing layer that requires the scope `admin`.
pub(crate) fn admin_only() -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .dpop(&rules(), DpopPolicy::Allowed)
        .require_scopes(["admin"])
        .build()
        .unwrap()
}

pub(crate) fn htu() -> String {
    format!("{ORIGIN}{PATH}")
}

/// `POST /orders/7?page=2` with `Authorization: DPoP <token>` and the proof.
pub(crate) fn dpop_request(token: &str, proof: Option<&str>) -> Request<String> {
    let mut request =
        Request::post(format!("{PATH}?page=2")).header("authorization", format!("DPoP {token}"));
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.body(String::new()).unwrap()
}

/// The handler's view: the subject and the thumbprint the request was constrained by.
pub(crate) async fn who(request: Request<String>) -> Result<Response<String>, Infallible> {
    let info = request
        .extensions()
        .get::<TokenInfo>()
        .cloned()
        .unwrap_or_default();
    let text = format!(
        "{} {}",
        info.subject().unwrap_or("anonymous"),
        info.dpop_thumbprint().unwrap_or("bearer")
    );
    Ok(Response::new(text))
}

pub(crate) async fn call(layer: &JwtAuthLayer, request: Request<String>) -> Response<String> {
    layer.layer(service_fn(who)).oneshot(request).await.unwrap()
}

/// The status of a DPoP request for `token` with `proof` through `layer`.
pub(crate) async fn status_of(layer: &JwtAuthLayer, token: &str, proof: &str) -> StatusCode {
    call(layer, dpop_request(token, Some(proof))).await.status()
}

/// A 401 `invalid_dpop_proof` in a `DPoP` challenge, naming `member` as the failing check.
pub(crate) fn assert_invalid_proof(response: &Response<String>, member: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{member}");
    let error = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidDpopProof, Some(member)),
        "{member}"
    );
    let challenge = challenge(response);
    assert!(
        challenge.contains(&format!(
            "DPoP realm=\"api\", error=\"invalid_dpop_proof\", error_description=\"the DPoP proof is invalid\", algs=\"{ALGS}\""
        )),
        "{member}: {challenge}"
    );
}

/// A fresh proof by `key` admits `token`, and the handler sees the request constrained by that key.
pub(crate) async fn assert_admits_the_holder(layer: &JwtAuthLayer, key: &ProofKey, token: &str) {
    let proof = key.proof("POST", &htu(), Some(token));
    let response = call(layer, dpop_request(token, Some(&proof))).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", key.alg);
    assert_eq!(response.body(), &format!("alice {}", key.thumbprint()));
}
