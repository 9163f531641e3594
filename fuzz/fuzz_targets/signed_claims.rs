//! Header and claims JSON past the signature check: the input is split into a header and a payload, both are
//! signed with the layer's key, so the fuzzer explores JSON parsing and claims validation. Never panics; an
//! accepted token really has a numeric `exp` in the future and an object as claims set.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::EncodingKey;
use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};

const SECRET: [u8; 32] = [7; 32];

fn layer() -> &'static JwtAuthLayer {
    static LAYER: OnceLock<JwtAuthLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        JwtAuthLayer::builder().allow_any_audience().allow_any_issuer()
            .key(VerificationKey::hmac(Algorithm::HS256, &SECRET).unwrap())
            .disable_token_cache()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len() / 2);
    let (header, payload) = (&data[..split], &data[(split + 1).min(data.len())..]);
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let signer = (DEFAULT_PROVIDER.signer_factory)(&jsonwebtoken::Algorithm::HS256, &EncodingKey::from_secret(&SECRET)).unwrap();
    let signature = signer.try_sign(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
    if let Ok((_, info)) = layer().verify_token(&token) {
        let exp = info.expires_at().expect("exp is required");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(exp > now - 30);
        assert_eq!(payload.iter().find(|b| !b.is_ascii_whitespace()), Some(&b'{'), "claims are an object");
    }
});
