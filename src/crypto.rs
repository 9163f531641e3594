//! Selection of the `jsonwebtoken` crypto provider.
//!
//! jsonwebtoken (11 and 12) panics at first use when it cannot tell which provider to use. This crate never relies on
//! that process-wide default: every key holds the provider it was built with, chosen here at build time.

use jsonwebtoken::crypto::CryptoProvider;

use crate::error::ConfigError;

/// The provider the crate features select: aws-lc-rs when enabled (it wins when both are enabled, because it
/// is several times faster for RSA and ECDSA), otherwise RustCrypto, otherwise none.
pub(crate) fn feature_provider() -> Result<&'static CryptoProvider, ConfigError> {
    #[cfg(feature = "aws-lc-rs")]
    {
        Ok(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER)
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        Ok(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER)
    }
    #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
    {
        Err(ConfigError::NoCryptoProvider)
    }
}
