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
