//! `Cookie` header parsing for the cookie token source: never panics; accepted tokens are b64tokens.
#![no_main]

use http::{HeaderMap, HeaderValue, Uri};
use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::token::{CookieSource, TokenSource};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(http::header::COOKIE, value);
    let source = CookieSource::new("at").unwrap();
    if let Ok(Some(token)) = source.extract(&headers, &Uri::from_static("/")) {
        assert!(!token.is_empty());
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)));
    }
});
