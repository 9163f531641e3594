//! Step 3b: a certificate-bound token (`cnf["x5t#S256"]`, RFC 8705 §3) only on a request that came with that
//! certificate. Checked on every request, cache hits included: the cache keeps the token's binding, never the
//! certificate it was first seen with.

use crate::certificate::ClientCertificate;
use crate::error::{AuthError, AuthErrorKind};
use crate::token::info::TokenInfo;

/// Refuses a certificate-bound token unless `certificate` — the request's, from the layer's configured source —
/// is the one it names. A layer that reads no certificates (`reads` false) can't check the binding at all: such
/// a token is refused for its `cnf`, as any confirmation method the layer does not check.
#[inline]
pub(crate) fn check_certificate(
    reads: bool,
    certificate: Option<&ClientCertificate>,
    info: &TokenInfo,
) -> Result<(), AuthError> {
    let Some(bound) = info.certificate_thumbprint() else {
        return Ok(());
    };
    match certificate {
        _ if !reads => Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "cnf")),
        Some(certificate) if certificate.matches(bound) => Ok(()),
        _ => Err(AuthErrorKind::CertificateMismatch.into()),
    }
}
