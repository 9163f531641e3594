//! A crypto provider that counts signature checks: aws-lc-rs, with every verifier it makes counted on the
//! calling thread (a `#[tokio::test]` runs its layer on its own thread), so a test can tell a check from a
//! lookup through the public API.
#![allow(dead_code, unreachable_pub)]

use std::cell::Cell;

use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, KeyUtils};
use jsonwebtoken::{Algorithm, DecodingKey};

thread_local! {
    /// Signature checks made on this thread (a `#[tokio::test]` runs its layer on its own thread).
    static SIGNATURE_CHECKS: Cell<usize> = const { Cell::new(0) };
}

fn counting_verifier(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    SIGNATURE_CHECKS.with(|checks| checks.set(checks.get() + 1));
    (DEFAULT_PROVIDER.verifier_factory)(alg, key)
}

/// aws-lc-rs, counting every signature check.
pub static COUNTING: CryptoProvider = CryptoProvider {
    signer_factory: DEFAULT_PROVIDER.signer_factory,
    verifier_factory: counting_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: DEFAULT_PROVIDER
            .key_utils
            .rsa_pub_components_from_private_key,
        rsa_pub_components_from_public_key: DEFAULT_PROVIDER
            .key_utils
            .rsa_pub_components_from_public_key,
        ec_pub_components_from_private_key: DEFAULT_PROVIDER
            .key_utils
            .ec_pub_components_from_private_key,
        ed_pub_components_from_private_key: DEFAULT_PROVIDER
            .key_utils
            .ed_pub_components_from_private_key,
        compute_digest: DEFAULT_PROVIDER.key_utils.compute_digest,
    },
};

pub fn checks() -> usize {
    SIGNATURE_CHECKS.with(Cell::get)
}
