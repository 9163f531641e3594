//! What the DPoP-bound session files share: the rules on the fixture's clock and its seconds, a bound login, a
//! refresh through the endpoint with a proof, and the refused-refresh assertion.

use crate::common;

use common::dpop_proofs::ProofKey;
use common::sessions::Fixture;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::dpop::Dpop;
use tower_jwt_auth::{session::RefreshEndpoint, TokenPair};

/// The resource the session tests' proofs name: the same origin as every other DPoP test.
pub(crate) use crate::fixtures::ORIGIN;

pub(crate) fn rules(f: &Fixture) -> Dpop {
    Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .build()
        .unwrap()
}

pub(crate) fn proof_headers(proof: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("dpop", proof.parse().unwrap());
    headers
}

/// A login at `POST /login` with a proof by `key`, bound by `Sessions::login_with`.
pub(crate) async fn bound_login(f: &Fixture, dpop: &Dpop, key: &ProofKey) -> TokenPair {
    let proof = key.proof_at("POST", &format!("{ORIGIN}/login"), None, f.clock.now_secs());
    let checked = dpop
        .check(
            &Method::POST,
            &"/login".parse().unwrap(),
            &proof_headers(&proof),
            None,
        )
        .await
        .unwrap()
        .expect("a proof was sent");
    assert_eq!(checked.thumbprint(), key.thumbprint());
    f.sessions
        .login_with("alice", &json!({ "scope": "read write" }), Some(&checked))
        .await
        .unwrap()
}

/// `POST /refresh` through the endpoint, with a proof when given: status and JSON body.
pub(crate) async fn refresh(
    endpoint: &RefreshEndpoint,
    token: &str,
    proof: Option<&str>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = Request::post("/refresh").header("content-type", "application/json");
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    let request = request
        .body(json!({ "refresh_token": token }).to_string())
        .unwrap();
    let response = endpoint.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        parts.headers,
    )
}

/// The refresh answered `status` with the OAuth error `error`.
pub(crate) fn refused(answer: &(StatusCode, Value, HeaderMap), status: StatusCode, error: &str) {
    assert_eq!((answer.0, &answer.1["error"]), (status, &json!(error)));
}

pub(crate) fn refresh_proof(f: &Fixture, key: &ProofKey) -> String {
    key.proof_at(
        "POST",
        &format!("{ORIGIN}/refresh"),
        None,
        f.clock.now_secs(),
    )
}

pub(crate) trait Secs {
    fn now_secs(&self) -> i64;
}

impl Secs for tower_jwt_auth::clock::ManualClock {
    fn now_secs(&self) -> i64 {
        use tower_jwt_auth::clock::Clock;
        self.now()
    }
}
