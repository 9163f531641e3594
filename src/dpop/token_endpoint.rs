//! Proofs at a token endpoint (a login, a refresh): verified first, recorded only once the credentials are
//! checked, kept apart from resource proofs, and refused with OAuth error bodies.

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::Full;

use super::replay::NotRecorded;
use super::{Dpop, DpopProof, Partition, ProofTarget, DPOP_NONCE_HEADER};
use crate::error::{AuthError, AuthErrorKind};
use crate::well_known::document::oauth_error;

/// Live token-endpoint proofs one refresh session may have recorded at once: a client refreshes once per
/// access-token lifetime, so one stolen or self-held refresh token can't fill the token-endpoint cache alone.
const PROOFS_PER_SESSION: usize = 8;

/// A proof of a token-endpoint request whose signature and claims verified, not yet recorded as used: what
/// [`Dpop::verify`] returns. Check the request's credentials (a password, a refresh token), then
/// [`Dpop::record`] it: only then does it take room in the replay cache, and only then can it bind a pair.
#[derive(Debug, PartialEq, Eq)]
pub struct VerifiedProof(DpopProof);

impl VerifiedProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key.
    pub fn thumbprint(&self) -> &str {
        self.0.thumbprint()
    }
}

impl Dpop {
    /// Verifies the `DPoP` proof of a token-endpoint request — `method`, the path of `uri` under the public
    /// URL, and, when `access_token` is given, its `ath` — without recording it: `Ok(None)` when the request has
    /// no `DPoP` header. The cheap checks (`htm`, `htu`, `iat`, `jti`, `ath`, nonce, key size, an earlier use
    /// known to this process) come before the signature.
    ///
    /// A login handler calls it first, checks the credentials, then [`record`](Self::record)s the proof and
    /// passes it to [`Sessions::login_with`](crate::Sessions::login_with): a proof with wrong credentials takes
    /// no room in the replay cache, so nobody fills it with self-signed proofs. Errors are
    /// [`AuthErrorKind::InvalidDpopProof`] (a replay included) or [`AuthErrorKind::UseDpopNonce`] (with
    /// [`AuthError::dpop_nonce`]); answer them with [`token_endpoint_refusal`](Self::token_endpoint_refusal).
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        access_token: Option<&str>,
    ) -> Result<Option<VerifiedProof>, AuthError> {
        let Some(proof) = Self::proof_header(headers)? else {
            return Ok(None);
        };
        let target = ProofTarget {
            method,
            uri,
            access_token,
            key: None,
            partition: Partition::TokenEndpoint,
        };
        self.verify_at(proof, &target, self.now())
            .map(|proof| Some(VerifiedProof(proof)))
    }

    /// Records the use of a proof [`verify`](Self::verify) accepted, after the request's credentials were
    /// checked: the proof is accepted once. Token-endpoint proofs are kept apart from resource proofs, in
    /// [`DpopBuilder::token_endpoint_capacity`](super::DpopBuilder::token_endpoint_capacity) live entries per
    /// process (then in the shared cache, when one is configured), so they never crowd out the proofs of requests
    /// with a valid access token.
    ///
    /// Errors are [`AuthErrorKind::InvalidDpopProof`] for a replay, and [`AuthErrorKind::Unavailable`] when
    /// the token-endpoint capacity is full of live proofs or a shared replay cache is down.
    pub async fn record(&self, proof: VerifiedProof) -> Result<DpopProof, AuthError> {
        self.record_for(proof, None).await
    }

    /// [`record`](Self::record), counted against the quota of the refresh session `session` when given.
    pub(crate) async fn record_for(
        &self,
        proof: VerifiedProof,
        session: Option<&str>,
    ) -> Result<DpopProof, AuthError> {
        use sha2::{Digest, Sha256};
        let VerifiedProof(proof) = proof;
        let inner = &*self.inner;
        let now = self.now();
        let holder = session.map(|session| {
            let digest = Sha256::new()
                .chain_update(b"tower-jwt-auth dpop session\0")
                .chain_update(session.as_bytes())
                .finalize();
            let mut holder = [0u8; 16];
            holder.copy_from_slice(&digest[..16]);
            (holder, PROOFS_PER_SESSION)
        });
        match inner
            .token_proofs
            .record(&proof.replay_key, holder, now, proof.replay_until)
        {
            Ok(()) => {}
            Err(NotRecorded::Replay) => replay_verdict(Ok(false))?,
            Err(NotRecorded::Full | NotRecorded::OverQuota) => {
                return Err(AuthErrorKind::Unavailable.into())
            }
        }
        if let Some(shared) = &inner.shared {
            replay_verdict(
                shared
                    .first_use(&proof.replay_key, now, proof.replay_until)
                    .resolve()
                    .await,
            )?;
        }
        Ok(proof)
    }

    /// [`verify`](Self::verify) and [`record`](Self::record) at once: verifies the `DPoP` proof of a request
    /// and records its use, so it is accepted once. `Ok(None)` when the request has no `DPoP` header.
    ///
    /// Handy when the request carries no credentials to check first; a login handler should
    /// [`verify`](Self::verify), check the password, then [`record`](Self::record). Errors are those of both.
    pub async fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        access_token: Option<&str>,
    ) -> Result<Option<DpopProof>, AuthError> {
        match self.verify(method, uri, headers, access_token)? {
            None => Ok(None),
            Some(proof) => self.record(proof).await.map(Some),
        }
    }

    /// The answer of a token endpoint (a login handler,
    /// [`RefreshEndpoint`](crate::session::RefreshEndpoint)) to a proof [`verify`](Self::verify),
    /// [`record`](Self::record) or [`check`](Self::check) refused, as RFC 9449 §5 and
    /// RFC 6749 §5.2 say: 400 `{"error":"invalid_dpop_proof"}` (a replay included); 400
    /// `{"error":"use_dpop_nonce"}` with the nonce in `DPoP-Nonce` (RFC 9449 §8); 503 `temporarily_unavailable`
    /// when the replay cache can't record the proof. Never cached, and no `WWW-Authenticate` challenge: that is
    /// a resource server's answer (the layer's), which OAuth clients would take for one.
    pub fn token_endpoint_refusal(&self, error: &AuthError) -> Response<Full<Bytes>> {
        let mut response = match error.kind() {
            AuthErrorKind::Unavailable => {
                return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
            AuthErrorKind::UseDpopNonce => oauth_error(StatusCode::BAD_REQUEST, "use_dpop_nonce"),
            _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
        };
        insert_nonce(response.headers_mut(), error);
        response
    }
}

/// Hands out the nonce a `use_dpop_nonce` refusal carries, as the `DPoP-Nonce` header of its response.
pub(crate) fn insert_nonce(headers: &mut HeaderMap, error: &AuthError) {
    if let Some(nonce) = error
        .dpop_nonce()
        .and_then(|n| http::HeaderValue::from_str(n).ok())
    {
        headers.insert(DPOP_NONCE_HEADER, nonce);
    }
}

/// A replay is an invalid proof; a cache that cannot answer refuses the request (503).
pub(crate) fn replay_verdict(
    answer: Result<bool, crate::store::StoreError>,
) -> Result<(), AuthError> {
    match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "jti")
            .with_dpop()
            .replayed()),
        Err(_) => Err(AuthErrorKind::Unavailable.into()),
    }
}
