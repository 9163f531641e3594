//! Step 2b: the DPoP proof of a request sent with the DPoP scheme, and whether the token's binding fits how it
//! was sent (RFC 9449 §7).

use http::{HeaderMap, Method, Uri};

use crate::dpop::{Dpop, DpopProof, ProofTarget};
use crate::error::{AuthError, AuthErrorKind};
use crate::extension::TokenInfo;

/// A layer's DPoP settings: the proof rules, and whether bearer tokens are refused.
#[derive(Debug, Clone)]
pub(crate) struct LayerDpop {
    pub(crate) rules: Dpop,
    pub(crate) required: bool,
}

/// The verified (not yet recorded) proof of a request sent as `Authorization: DPoP <token>`.
pub(crate) fn proof_of(
    layer: &LayerDpop,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    token: &str,
    now: i64,
) -> Result<DpopProof, AuthError> {
    let proof = Dpop::proof_header(headers)?.ok_or_else(|| {
        AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop()
    })?;
    let target = ProofTarget {
        method,
        uri,
        access_token: Some(token),
    };
    layer.rules.verify_at(proof, &target, now)
}

/// A bound token only with a proof of its key; a proof only with a bound token.
pub(crate) fn check_binding(proof: Option<&DpopProof>, info: &TokenInfo) -> Result<(), AuthError> {
    match (proof, info.dpop_thumbprint()) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(AuthErrorKind::DpopRequired.into()),
        (Some(_), None) => Err(AuthError::new(AuthErrorKind::NotDpopBound).with_dpop()),
        (Some(proof), Some(jkt)) if proof.thumbprint() == jkt => Ok(()),
        (Some(_), Some(_)) => {
            Err(AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "jkt").with_dpop())
        }
    }
}
