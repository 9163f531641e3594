//! A whole token through verification (split, base64url, header JSON, key selection, signature): never panics,
//! and nothing random verifies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};

fn layer() -> &'static JwtAuthLayer {
    static LAYER: OnceLock<JwtAuthLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        JwtAuthLayer::builder().allow_any_audience().allow_any_issuer()
            .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
            .disable_token_cache()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    assert!(layer().verify_token(token).is_err(), "a random token verified");
});
