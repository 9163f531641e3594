//! JWK Set parsing (RFC 7517): never panics; a document is either refused as a whole (not a set) or its
//! unusable keys are skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::keys::Jwks;
use tower_jwt_auth::JwtAuthLayer;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = JwtAuthLayer::builder().allow_any_audience().allow_any_issuer().jwks(Jwks::document(text)).build();
});
