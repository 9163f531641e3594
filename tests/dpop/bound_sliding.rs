//! Sliding keeps a session's DPoP binding and reissues only to the key holder.

use crate::common;

use std::time::Duration;

use crate::session_fixtures::{bound_login, rules, Secs, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::sessions::fixture;
use common::*;
use http::{Method, Request, StatusCode};
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::dpop::DpopPolicy;
use tower_jwt_auth::{sliding::SlidingPolicy, AuthErrorKind, JwtAuthLayer, TokenInfo};

#[tokio::test]
async fn sliding_keeps_the_binding_and_reissues_only_to_the_key_holder() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let layer = JwtAuthLayer::builder()
        .sessions(&f.sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/posts"))
        .dpop(&dpop, DpopPolicy::Allowed)
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let token = pair.access_token().to_owned();
    // Past the threshold, so the action is due.
    f.clock.advance(400);
    let post = |token: &str, proof: Option<String>| {
        let mut request = Request::post("/posts");
        request = match proof {
            Some(proof) => request
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof),
            None => request.header("authorization", format!("Bearer {token}")),
        };
        request.body(String::new()).unwrap()
    };
    let service = layer.layer(service_fn(|request: Request<String>| async move {
        let info = request.extensions().get::<TokenInfo>().cloned().unwrap();
        Ok::<_, std::convert::Infallible>(http::Response::new(
            info.dpop_thumbprint().unwrap_or("").to_owned(),
        ))
    }));
    // As a bearer token the bound token is refused: no reissue to someone without the key.
    let response = service.clone().oneshot(post(&token, None)).await.unwrap();
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::DpopRequired));
    assert!(response
        .headers()
        .get(tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER)
        .is_none());
    let proof = key.proof_at(
        "POST",
        &format!("{ORIGIN}/posts"),
        Some(&token),
        f.clock.now_secs(),
    );
    let response = service
        .clone()
        .oneshot(post(&token, Some(proof)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let reissued = response.headers()[tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(payload(&reissued)["cnf"]["jkt"], key.thumbprint().as_str());
    assert_eq!(payload(&reissued)["sid"], payload(&token)["sid"]);
    let response = service
        .clone()
        .oneshot(post(&reissued, None))
        .await
        .unwrap();
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::DpopRequired),
        "the reissue is bound too"
    );
    let proof = key.proof_at(
        "POST",
        &format!("{ORIGIN}/posts"),
        Some(&reissued),
        f.clock.now_secs(),
    );
    let response = service.oneshot(post(&reissued, Some(proof))).await.unwrap();
    assert_eq!(response.body(), &key.thumbprint());
}
