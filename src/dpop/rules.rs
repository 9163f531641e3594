//! The proof rules of a service ([`Dpop`]) and the verified proof they produce ([`DpopProof`]).

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

use super::replay::MemoryReplayCache;
use super::{nonce, ReplayCache, DPOP_HEADER};
use crate::clock::SharedClock;
use crate::error::{AuthError, AuthErrorKind};
use crate::jose::by_text::ByText;
use crate::store::Lookup;

/// A verified DPoP proof, used once: what [`Dpop::check`] and [`Dpop::record`] return and
/// [`Sessions::login_with`](crate::Sessions::login_with) binds a pair to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    pub(super) thumbprint: String,
    pub(super) issued_at: i64,
    pub(super) replay_key: [u8; 32],
    pub(super) replay_until: i64,
}

impl DpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key (what a bound token's `cnf.jkt` names).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The proof's `iat`.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }
}

/// The proof rules of a service: see the [module docs](crate::dpop). Cloning is a pointer copy; share one between the
/// layer, the login handler and the refresh endpoint, so they share its replay cache.
#[derive(Clone)]
pub struct Dpop {
    pub(super) inner: Arc<DpopInner>,
}

pub(crate) struct DpopInner {
    /// The normalised public URLs, without a trailing slash.
    pub(super) bases: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    /// `algs="…"` of the challenges and the metadata: the algorithm names, space separated.
    pub(super) algs: String,
    pub(crate) max_age: i64,
    pub(crate) max_skew: i64,
    pub(crate) max_proof_size: usize,
    /// Resource proofs, recorded after the access token they came with verified.
    pub(super) replay: Arc<dyn ReplayCache>,
    /// Token-endpoint proofs, in this process: bounded apart from resource proofs, and the only record of them
    /// unless a shared cache is configured.
    pub(super) token_proofs: MemoryReplayCache,
    /// The configured shared cache, where token-endpoint proofs go too once they fit `token_proofs`.
    pub(super) shared: Option<Arc<dyn ReplayCache>>,
    pub(crate) nonces: Option<nonce::Nonces>,
    pub(super) clock: SharedClock,
    pub(crate) provider: &'static CryptoProvider,
    /// Resource proofs refused for good, by their text (see `proof::verify`).
    pub(super) refused: ByText<AuthError>,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Dpop")
            .field("public_urls", &inner.bases)
            .field("algorithms", &inner.algorithms)
            .field("max_age", &inner.max_age)
            .field("max_skew", &inner.max_skew)
            .field("nonces", &inner.nonces)
            .finish_non_exhaustive()
    }
}

impl Dpop {
    /// The accepted algorithms, as challenges and metadata name them.
    pub fn algorithm_names(&self) -> impl Iterator<Item = &str> {
        self.inner.algs.split(' ')
    }

    pub(crate) fn algs(&self) -> &str {
        &self.inner.algs
    }

    /// The proof rules' clock.
    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The one `DPoP` header of a request: `None` without one; two are refused.
    pub(crate) fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
        let mut values = headers.get_all(DPOP_HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop());
        }
        value
            .to_str()
            .map(Some)
            .map_err(|_| AuthError::of_claim(AuthErrorKind::InvalidDpopProof, "header").with_dpop())
    }

    /// Records the use of a resource proof (one whose access token verified): `Ok(true)` the first time.
    pub(crate) fn remember(&self, proof: &DpopProof, now: i64) -> Lookup<bool> {
        self.inner
            .replay
            .first_use(&proof.replay_key, now, proof.replay_until)
    }
    /// The nonce clients should put into proofs now, when nonces are required.
    pub fn current_nonce(&self) -> Option<String> {
        let nonces = self.inner.nonces.as_ref()?;
        Some(nonces.current(self.now()))
    }
}
