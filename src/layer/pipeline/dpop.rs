//! Step 3a: whether the token's binding fits how it was sent (RFC 9449 §7): a bound token only with a valid
//! proof of its key, a proof only with a bound token. The proof is checked after the token, so an invalid token
//! costs no proof verification, and its key is compared with the token's before its signature is checked.

use http::{HeaderMap, Method, Uri};

use crate::audit::{AuditEvent, AuditEventKind, Auditor};
use crate::dpop::{Dpop, DpopProof, Partition, ProofTarget};
use crate::error::{AuthError, AuthErrorKind};
use crate::token::info::TokenInfo;

/// A layer's DPoP settings: the proof rules, and whether bearer tokens are refused.
#[derive(Debug, Clone)]
pub(crate) struct LayerDpop {
    pub(crate) rules: Dpop,
    pub(crate) required: bool,
    /// Where refused replays are reported: the audit hook of the layer's sessions (set by `build`).
    pub(crate) audit: Auditor,
}

impl LayerDpop {
    /// `error` as it is; a refused replay of a proof sent with the verified token `info` is reported first
    /// (audit event `dpop_replay`).
    pub(crate) fn report(&self, error: AuthError, info: &TokenInfo, now: i64) -> AuthError {
        if error.is_dpop_replay() {
            self.audit.emit(
                AuditEvent::new(AuditEventKind::DpopReplay, now)
                    .issuer(info.issuer())
                    .subject(info.subject())
                    .session_id(info.session_id()),
            );
        }
        error
    }
}

/// The one `DPoP` header of a request sent as `Authorization: DPoP <token>` (none is a refusal).
pub(crate) fn proof_header(headers: &HeaderMap) -> Result<&str, AuthError> {
    Dpop::proof_header(headers)?
        .ok_or_else(|| AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop())
}

/// Refuses a bound token that came without a proof (as a bearer token, or to `verify_token`).
pub(crate) fn refuse_bound(info: &TokenInfo) -> Result<(), AuthError> {
    match info.dpop_thumbprint() {
        None => Ok(()),
        Some(_) => Err(AuthErrorKind::DpopRequired.into()),
    }
}

/// The verified (not yet recorded) proof of a request whose verified token `info` came with the DPoP scheme
/// and `proof` — `None` for a bearer request, whose token must then be unbound.
#[inline]
pub(crate) fn bound_proof(
    layer: Option<&LayerDpop>,
    proof: Option<&str>,
    info: &TokenInfo,
    target: &ProofTarget<'_>,
    now: i64,
) -> Result<Option<DpopProof>, AuthError> {
    let (Some(layer), Some(proof)) = (layer, proof) else {
        return refuse_bound(info).map(|()| None);
    };
    let jkt = info
        .dpop_thumbprint()
        .ok_or_else(|| AuthError::new(AuthErrorKind::NotDpopBound).with_dpop())?;
    let target = ProofTarget {
        key: Some(jkt),
        ..*target
    };
    layer
        .rules
        .verify_at(proof, &target, now)
        .map(Some)
        .map_err(|error| layer.report(error, info, now))
}

/// The target of a request's proof: its method and the path the client asked for, with its access token.
pub(crate) fn target<'a>(method: &'a Method, uri: &'a Uri, token: &'a str) -> ProofTarget<'a> {
    ProofTarget {
        method,
        uri,
        access_token: Some(token),
        key: None,
        partition: Partition::Resource,
    }
}
