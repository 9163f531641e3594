//! `Authorization` header parsing: never panics; whatever it accepts follows the RFC 6750 b64token grammar.
#![no_main]

use http::{HeaderMap, HeaderValue, Uri};
use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::token::{BearerHeader, TokenSource};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, value);
    if let Ok(Some(token)) = BearerHeader.extract(&headers, &Uri::from_static("/")) {
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty());
        assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)));
        assert!(data.len() > 7 && data[..6].eq_ignore_ascii_case(b"bearer"));
    }
});
