//! The configuration a layer and all its services share (behind one `Arc`), and the synchronous part of
//! authentication: find the token, verify it, check requirements.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use std::future::Future;
use std::pin::Pin;

use http::{Extensions, HeaderMap, Method, Response, Uri};
use serde::de::DeserializeOwned;

use crate::authorize::Requirements;
use crate::clock::SharedClock;
use crate::error::{AuthError, AuthErrorKind};
use crate::future::Reject;
use crate::rejection::{reject, Responder};
use crate::revocation::{Lookup, RevocationCheck, StoreError};
use crate::sliding::{PendingReissue, SlidingPolicy};
use crate::token::cache::{CachedToken, TokenCache};
use crate::token::jws::{decode_segment, CompactJws};
use crate::token::source::TokenSource;
use crate::token::verifier::{Unverified, Verifier};
use crate::Claims;

pub(crate) struct Shared<C, R> {
    pub(crate) verifier: Verifier,
    pub(crate) sources: Vec<Box<dyn TokenSource>>,
    pub(crate) optional: bool,
    pub(crate) requirements: Requirements<C>,
    pub(crate) clock: SharedClock,
    pub(crate) realm: String,
    pub(crate) revocation: Option<Arc<dyn RevocationCheck>>,
    pub(crate) sliding: Option<Arc<SlidingPolicy>>,
    pub(crate) cache: Option<TokenCache<C>>,
    pub(crate) responder: R,
    pub(crate) _claims: PhantomData<fn() -> C>,
}

impl<C, R> fmt::Debug for Shared<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthConfig")
            .field("verifier", &self.verifier)
            .field("sources", &self.sources)
            .field("optional", &self.optional)
            .field("requirements", &self.requirements)
            .field("realm", &self.realm)
            .field("revocation", &self.revocation.is_some())
            .field("sliding", &self.sliding)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// A verified request: what goes into its extensions, and the reissue its response will carry if it is a
/// sliding action.
pub(crate) struct Admission<C> {
    pub(crate) token: CachedToken<C>,
    pub(crate) reissue: Option<Box<PendingReissue>>,
}

impl<C: Send + Sync + 'static> Admission<C> {
    /// Inserts the claims and facts into the request; returns the reissue plan.
    pub(crate) fn apply(self, extensions: &mut Extensions) -> Option<Box<PendingReissue>> {
        extensions.insert(self.token.info);
        extensions.insert(self.token.claims);
        self.reissue
    }

    fn erase(self) -> ErasedAdmission {
        let reissue = self.reissue;
        let token = self.token;
        ErasedAdmission {
            extend: Box::new(move |extensions: &mut Extensions| {
                extensions.insert(token.info);
                extensions.insert(token.claims);
            }),
            reissue,
        }
    }
}

/// An admission decided asynchronously, with the claims type erased so the response future doesn't carry it.
pub(crate) struct ErasedAdmission {
    pub(crate) extend: Box<dyn FnOnce(&mut Extensions) + Send>,
    pub(crate) reissue: Option<Box<PendingReissue>>,
}

/// The asynchronous part of a decision: a remote key-set fetch, a store lookup, or both.
pub(crate) type PendingAdmission =
    Pin<Box<dyn Future<Output = Result<ErasedAdmission, AuthError>> + Send>>;

/// What happens to a request.
pub(crate) enum Outcome<C> {
    /// No token, and the layer is optional: pass it through untouched.
    Anonymous,
    /// Verified and, when a store is configured, known not to be revoked.
    Admitted(Admission<C>),
    /// The decision waits for a key-set fetch or a store lookup.
    Pending(PendingAdmission),
}

impl<C, R> Shared<C, R>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    /// Decides a request: synchronously when it can, otherwise as a future.
    pub(crate) fn admit(
        self: &Arc<Self>,
        method: &Method,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Outcome<C>, AuthError> {
        let Some(token) = self.find_token(headers, uri)? else {
            return if self.optional {
                Ok(Outcome::Anonymous)
            } else {
                Err(AuthErrorKind::Missing.into())
            };
        };
        let now = self.clock.now();
        match self.verify_cached(token, now, true) {
            Ok(verified) => {
                let admission = Admission {
                    reissue: self.plan_reissue(method, uri, token, &verified, now),
                    token: verified,
                };
                self.check_revocation(admission)
            }
            Err(Unverified::Refused(error)) => Err(error),
            Err(Unverified::WaitForKeys(wait)) => {
                let (shared, token, method, uri) = (
                    Arc::clone(self),
                    token.to_owned(),
                    method.clone(),
                    uri.clone(),
                );
                Ok(Outcome::Pending(Box::pin(async move {
                    wait.await;
                    // Look again, without waiting a second time: still unknown is a refusal.
                    let now = shared.clock.now();
                    let verified = match shared.verify_cached(&token, now, false) {
                        Ok(verified) => verified,
                        Err(Unverified::Refused(error)) => return Err(error),
                        Err(Unverified::WaitForKeys(_)) => {
                            return Err(AuthErrorKind::UnknownKey.into())
                        }
                    };
                    let admission = Admission {
                        reissue: shared.plan_reissue(&method, &uri, &token, &verified, now),
                        token: verified,
                    };
                    match shared.check_revocation(admission)? {
                        Outcome::Admitted(admission) => Ok(admission.erase()),
                        Outcome::Pending(lookup) => lookup.await,
                        Outcome::Anonymous => Err(AuthErrorKind::Missing.into()),
                    }
                })))
            }
        }
    }

    /// Consults the revocation store, if any: now when it answers now, otherwise as a future.
    fn check_revocation(&self, admission: Admission<C>) -> Result<Outcome<C>, AuthError> {
        let Some(store) = &self.revocation else {
            return Ok(Outcome::Admitted(admission));
        };
        match store.is_revoked(&admission.token.info) {
            Lookup::Ready(answer) => {
                revocation_verdict(answer).map(|()| Outcome::Admitted(admission))
            }
            Lookup::Pending(lookup) => Ok(Outcome::Pending(Box::pin(async move {
                revocation_verdict(lookup.await).map(|()| admission.erase())
            }))),
        }
    }
}

/// A revoked token is 401 `invalid_token`; an unreachable store 503, never an accepted token.
fn revocation_verdict(answer: Result<bool, StoreError>) -> Result<(), AuthError> {
    match answer {
        Ok(false) => Ok(()),
        Ok(true) => Err(AuthErrorKind::Revoked.into()),
        Err(_) => Err(AuthErrorKind::Unavailable.into()),
    }
}

impl<C: DeserializeOwned + 'static, R> Shared<C, R> {
    /// Verifies `token`, or finds it among the tokens verified before under the same keys; either way the time
    /// rules and the requirements are checked now. Only tokens that pass everything enter the cache.
    pub(crate) fn verify_cached(
        &self,
        token: &str,
        now: i64,
        may_wait: bool,
    ) -> Result<CachedToken<C>, Unverified> {
        let cache = self
            .cache
            .as_ref()
            .filter(|_| token.len() <= self.verifier.max_token_size);
        let generation = self.verifier.key_generation();
        let hit = cache
            .and_then(|cache| cache.get(token))
            .filter(|hit| hit.generation == generation);
        if let Some(hit) = hit {
            if let Err(kind) = self.verifier.check_times(&hit.info, now) {
                if let (AuthErrorKind::Expired, Some(cache)) = (kind, cache) {
                    cache.remove(token);
                }
                return Err(kind.into());
            }
            self.requirements
                .check(&hit.info, Some(&hit.claims))
                .map_err(Unverified::Refused)?;
            return Ok(hit);
        }
        let verified = self.verifier.verify::<C>(token, now, may_wait)?;
        let entry = CachedToken {
            claims: Claims::new(verified.claims),
            info: verified.info,
            generation,
            issuer_key: verified.issuer_key,
        };
        self.requirements
            .check(&entry.info, Some(&entry.claims))
            .map_err(Unverified::Refused)?;
        if let Some(cache) = cache {
            cache.insert(token, entry.clone());
        }
        Ok(entry)
    }

    /// A sliding reissue, when this request is an action and the token is due. Only tokens verified by the
    /// sliding issuer's own key are candidates (a remote or partner token passes through unchanged).
    fn plan_reissue(
        &self,
        method: &Method,
        uri: &Uri,
        token: &str,
        verified: &CachedToken<C>,
        now: i64,
    ) -> Option<Box<PendingReissue>> {
        let policy = self.sliding.as_ref()?;
        if !verified.issuer_key || !policy.is_action(method, uri.path()) {
            return None;
        }
        let plan = policy.decide(&verified.info, now)?;
        let payload = decode_segment(CompactJws::split(token).ok()?.payload).ok()?;
        let claims = serde_json::from_slice(&payload).ok()?;
        Some(Box::new(PendingReissue {
            policy: Arc::clone(policy),
            claims,
            plan,
        }))
    }

    /// The one token the request carries. A token sent two ways (two sources, or a source and an
    /// `access_token` query parameter) is malformed (RFC 6750 §2).
    fn find_token<'r>(
        &self,
        headers: &'r HeaderMap,
        uri: &'r Uri,
    ) -> Result<Option<&'r str>, AuthError> {
        let mut found = None;
        for source in &self.sources {
            if let Some(token) = source.extract(headers, uri)? {
                if found.is_some() {
                    return Err(AuthErrorKind::Malformed.into());
                }
                found = Some(token);
            }
        }
        if found.is_some() && has_query_token(uri) {
            return Err(AuthErrorKind::Malformed.into());
        }
        Ok(found)
    }
}

fn has_query_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

impl<C, R> Shared<C, R> {
    pub(crate) fn rejection<B>(&self, error: AuthError) -> Response<B>
    where
        R: Responder<B>,
    {
        #[cfg(feature = "tracing")]
        tracing::debug!(kind = ?error.kind(), status = error.status().as_u16(), "jwt auth rejected a request");
        reject(&self.responder, error, &self.realm)
    }
}

impl<C, R, B> Reject<B> for Shared<C, R>
where
    C: Send + Sync,
    R: Responder<B>,
{
    fn reject(&self, error: AuthError) -> Response<B> {
        self.rejection(error)
    }
}
