//! A DPoP proof header through `Dpop::check` (split, base64url, header and claims JSON, jwk, signature, htu
//! normalisation): never panics, and nothing random is accepted.
#![no_main]

use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::dpop::Dpop;

fn dpop() -> &'static Dpop {
    static DPOP: OnceLock<Dpop> = OnceLock::new();
    DPOP.get_or_init(|| Dpop::builder().public_url("https://api.example.com").build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert("dpop", value);
    let uri = Uri::from_static("/orders/7");
    let checked = futures::executor::block_on(dpop().check(&Method::GET, &uri, &headers, Some("token")));
    assert!(!matches!(checked, Ok(Some(_))), "a random proof was accepted");
});
