//! A verification key made ready once for the crypto backend (feature `aws-lc-rs`): parsed into aws-lc-rs's own
//! form when the key is made, so each verification skips what jsonwebtoken's provider redoes on every call
//! (its verifiers keep the key's bytes and parse them per signature: decode the EC point and check it is on the
//! curve, read the RSA modulus and set up its arithmetic, key the HMAC). The answer is the same; only the work
//! moves to the key's construction. Keys verified with another provider (RustCrypto, or one the application
//! passes) go through that provider as before.

#[cfg(feature = "aws-lc-rs")]
use std::sync::Arc;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey};

/// A key parsed for aws-lc-rs, or nothing (another backend, or a key aws-lc-rs would not take: the provider then
/// verifies, and refuses, as before). Cloning is cheap.
#[derive(Clone, Default)]
pub(crate) struct PreparedKey {
    #[cfg(feature = "aws-lc-rs")]
    parsed: Option<Arc<Parsed>>,
}

/// aws-lc-rs's own forms of a verification key (behind one `Arc` per key, so the HMAC context's size is paid
/// once, never per clone).
#[cfg(feature = "aws-lc-rs")]
#[allow(clippy::large_enum_variant)]
enum Parsed {
    Public(aws_lc_rs::signature::ParsedPublicKey),
    Hmac(aws_lc_rs::hmac::Key),
}

impl PreparedKey {
    /// `key`, bound to `algorithm`, parsed once for aws-lc-rs (when the feature is on).
    pub(crate) fn new(algorithm: Algorithm, key: &DecodingKey) -> Self {
        #[cfg(feature = "aws-lc-rs")]
        {
            Self {
                parsed: parse(algorithm, key).map(Arc::new),
            }
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            let _ = (algorithm, key);
            Self::default()
        }
    }

    /// Whether `signature` signs `message`, told by the prepared key when `provider` is aws-lc-rs's default one
    /// (the backend it was parsed for); `None` when the provider must be asked instead.
    pub(crate) fn verify(
        &self,
        provider: &CryptoProvider,
        message: &[u8],
        signature: &[u8],
    ) -> Option<bool> {
        #[cfg(feature = "aws-lc-rs")]
        {
            let aws_lc = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
            if !std::ptr::eq(provider, aws_lc) {
                return None;
            }
            Some(match self.parsed.as_deref()? {
                Parsed::Public(key) => key.verify_sig(message, signature).is_ok(),
                Parsed::Hmac(key) => aws_lc_rs::hmac::verify(key, message, signature).is_ok(),
            })
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            let _ = (provider, message, signature);
            None
        }
    }
}

/// The key in aws-lc-rs's form for `algorithm`, with the verification algorithm jsonwebtoken's aws-lc provider
/// uses for it (the same padding, curve, hash and RSA size range), or `None` when aws-lc-rs refuses it.
#[cfg(feature = "aws-lc-rs")]
fn parse(algorithm: Algorithm, key: &DecodingKey) -> Option<Parsed> {
    use aws_lc_rs::{hmac, signature as sig};
    use jsonwebtoken::DecodingKeyKind;

    let hmac = |alg| {
        Some(Parsed::Hmac(hmac::Key::new(
            alg,
            key.try_get_as_bytes().ok()?,
        )))
    };
    let public = |alg: &'static dyn sig::VerificationAlgorithm| {
        sig::ParsedPublicKey::new(alg, key.try_get_as_bytes().ok()?)
            .ok()
            .map(Parsed::Public)
    };
    let rsa = |params: &'static sig::RsaParameters| {
        let parsed = match key.kind() {
            DecodingKeyKind::SecretOrDer(der) => sig::ParsedPublicKey::new(params, der),
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                sig::RsaPublicKeyComponents { n, e }.to_parsed_public_key(params)
            }
        };
        parsed.ok().map(Parsed::Public)
    };
    match algorithm {
        Algorithm::HS256 => hmac(hmac::HMAC_SHA256),
        Algorithm::HS384 => hmac(hmac::HMAC_SHA384),
        Algorithm::HS512 => hmac(hmac::HMAC_SHA512),
        Algorithm::ES256 => public(&sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => public(&sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => public(&sig::ED25519),
        Algorithm::RS256 => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => rsa(&sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => rsa(&sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => rsa(&sig::RSA_PSS_2048_8192_SHA512),
        // An algorithm a later jsonwebtoken adds: its provider verifies it.
        _ => None,
    }
}

#[cfg(all(test, feature = "aws-lc-rs"))]
mod tests {
    use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER as AWS_LC;
    use jsonwebtoken::crypto::CryptoProvider;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

    use super::PreparedKey;

    const SECRET: &[u8] = b"a test secret of at least sixty-four bytes for every HMAC size ..";

    /// Another provider: aws-lc-rs's functions under another address, as an application's own would be.
    fn other_provider() -> &'static CryptoProvider {
        Box::leak(Box::new(AWS_LC.clone()))
    }

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// Each algorithm's signing key and its verification keys, in every form jsonwebtoken keeps them.
    fn keys(alg: Algorithm) -> (EncodingKey, Vec<DecodingKey>) {
        use Algorithm::*;
        match alg {
            HS256 | HS384 | HS512 => (
                EncodingKey::from_secret(SECRET).unwrap(),
                vec![DecodingKey::from_secret(SECRET).unwrap()],
            ),
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => {
                let private = EncodingKey::from_rsa_pem(&pem("rsa_private.pem")).unwrap();
                let (n, e) =
                    (AWS_LC.key_utils.rsa_pub_components_from_private_key)(private.as_bytes())
                        .unwrap();
                let components = DecodingKey::from_rsa_raw_components(&n, &e);
                let der = DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap();
                (private, vec![der, components])
            }
            ES256 | ES384 => {
                let size = if alg == ES256 { "256" } else { "384" };
                (
                    EncodingKey::from_ec_pem(&pem(&format!("ec{size}_private.pem"))).unwrap(),
                    vec![DecodingKey::from_ec_pem(&pem(&format!("ec{size}_public.pem"))).unwrap()],
                )
            }
            _ => (
                EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap(),
                vec![DecodingKey::from_ed_pem(&pem("ed25519_public.pem")).unwrap()],
            ),
        }
    }

    #[test]
    fn every_algorithm_is_prepared_and_verifies_as_the_provider_does() {
        use Algorithm::*;
        let message = b"header.payload";
        for alg in [
            HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
        ] {
            let (signing, verifying) = keys(alg);
            let signature = (AWS_LC.signer_factory)(&alg, &signing)
                .unwrap()
                .try_sign(message)
                .unwrap();
            let mut altered = signature.clone();
            altered[0] ^= 1;
            for key in &verifying {
                let prepared = PreparedKey::new(alg, key);
                let provider = |sig: &Vec<u8>| {
                    (AWS_LC.verifier_factory)(&alg, key)
                        .unwrap()
                        .verify(message, sig)
                        .is_ok()
                };
                // Parsed once (never `None` with aws-lc-rs's provider), and the same answers as the provider.
                assert_eq!(
                    prepared.verify(&AWS_LC, message, &signature),
                    Some(true),
                    "{alg:?}"
                );
                assert!(provider(&signature), "{alg:?}");
                assert_eq!(
                    prepared.verify(&AWS_LC, message, &altered),
                    Some(false),
                    "{alg:?}"
                );
                assert!(!provider(&altered), "{alg:?}");
                assert_eq!(
                    prepared.verify(&AWS_LC, b"header.other", &signature),
                    Some(false),
                    "{alg:?}"
                );
                // Another provider is asked instead.
                let other = other_provider();
                assert_eq!(prepared.verify(other, message, &signature), None, "{alg:?}");
            }
        }
    }
}
