//! The refresh endpoint's body parsing (JSON and RFC 6749 form): never panics, never a 5xx other than 503.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use tower_jwt_auth::session::RefreshEndpoint;
use tower_jwt_auth::{Algorithm, MemoryStore, Sessions, SigningKey, TokenIssuer};

fn endpoint() -> &'static RefreshEndpoint {
    static ENDPOINT: OnceLock<RefreshEndpoint> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
            .issuer("fuzz")
            .audience("fuzz")
            .build()
            .unwrap();
        RefreshEndpoint::new(Sessions::builder(issuer, MemoryStore::new()).build().unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((kind, body)) = data.split_first() else { return };
    let content_type = if kind % 2 == 0 { "application/json" } else { "application/x-www-form-urlencoded" };
    let request = Request::post("/refresh")
        .header("content-type", content_type)
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = futures::executor::block_on(endpoint().clone().oneshot(request)).unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
});
