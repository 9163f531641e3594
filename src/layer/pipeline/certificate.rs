//! Step 3b: a certificate-bound token (`cnf["x5t#S256"]`, RFC 8705 §3) only on a request that came with that
//! certificate. Checked on every request, cache hits included: the cache keeps the token's binding, never the
//! certificate it was first seen with.

use crate::certificate::ClientCertificate;
use crate::error::{AuthError, AuthErrorKind};
use crate::token::info::TokenInfo;

/// Refuses a certificate-bound token unless `certificate` — the request's, from the layer's configured source,
/// `None` when the layer reads none — is the one it names.
pub(crate) fn check_certificate(
    certificate: Option<&ClientCertificate>,
    info: &TokenInfo,
) -> Result<(), AuthError> {
    let Some(bound) = info.certificate_thumbprint() else {
        return Ok(());
    };
    match certificate {
        Some(certificate) if certificate.matches(bound) => Ok(()),
        _ => Err(AuthErrorKind::CertificateMismatch.into()),
    }
}
