//! The peer's signature check alone: jsonwebtoken 9 (ring) verifying a token's signature with the bench keys,
//! and ring's P-256 verification by itself, in nanoseconds per check (median of 7 batches).
//! Environment: KEYS (PEM folder), JWT_SECRET. Run: `cargo run --release --bin verify_alone`.

use std::hint::black_box;
use std::time::Instant;

use jsonwebtoken::{crypto, Algorithm, DecodingKey, EncodingKey, Header};

fn median_ns(mut check: impl FnMut()) -> f64 {
    let mut batches: Vec<f64> = (0..7)
        .map(|_| {
            let n = 2_000;
            let start = Instant::now();
            for _ in 0..n {
                check();
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[3]
}

fn main() {
    let keys = std::env::var("KEYS").unwrap_or_else(|_| "tests/keys".into());
    let read = |name: &str| std::fs::read(format!("{keys}/{name}")).unwrap();
    let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| "x".repeat(64));
    let cases: Vec<(&str, Algorithm, EncodingKey, DecodingKey)> = vec![
        ("HS256", Algorithm::HS256, EncodingKey::from_secret(secret.as_bytes()), DecodingKey::from_secret(secret.as_bytes())),
        ("ES256", Algorithm::ES256, EncodingKey::from_ec_pem(&read("ec256_private.pem")).unwrap(), DecodingKey::from_ec_pem(&read("ec256_public.pem")).unwrap()),
        ("RS256", Algorithm::RS256, EncodingKey::from_rsa_pem(&read("rsa_private.pem")).unwrap(), DecodingKey::from_rsa_pem(&read("rsa_public.pem")).unwrap()),
        ("EdDSA", Algorithm::EdDSA, EncodingKey::from_ed_pem(&read("ed25519_private.pem")).unwrap(), DecodingKey::from_ed_pem(&read("ed25519_public.pem")).unwrap()),
    ];
    let claims = serde_json::json!({ "iss": "bench", "aud": "bench-api", "sub": "alice", "exp": 4_000_000_000u64 });
    for (name, alg, encoding, decoding) in &cases {
        let token = jsonwebtoken::encode(&Header::new(*alg), &claims, encoding).unwrap();
        let (message, signature) = token.rsplit_once('.').unwrap();
        let ns = median_ns(|| {
            assert!(crypto::verify(black_box(signature), message.as_bytes(), decoding, *alg).unwrap());
        });
        println!("jsonwebtoken 9 (ring) {name} signature check: {ns:.0} ns");
    }
    // ring's P-256 alone: the public point from the SPKI's last 65 bytes, a fixed-size signature.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let message = b"header.payload of a typical access token, about this long or a little longer";
    let signature = pair.sign(&rng, message).unwrap();
    use ring::signature::KeyPair as _;
    let public = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref().to_vec());
    let ns = median_ns(|| public.verify(black_box(message), signature.as_ref()).unwrap());
    println!("ring P-256 verification alone: {ns:.0} ns");
}
