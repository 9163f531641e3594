//! The configuration a layer and all its services share (behind one `Arc`), and the synchronous part of
//! authentication: find the token, verify it, check requirements.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use http::{HeaderMap, Method, Response, Uri};
use serde::de::DeserializeOwned;

use crate::authorize::Requirements;
use crate::clock::SharedClock;
use crate::error::{AuthError, AuthErrorKind};
use crate::future::Reject;
use crate::rejection::{Rejection, Responder};
use crate::revocation::RevocationCheck;
use crate::sliding::{PendingReissue, SlidingPolicy};
use crate::token::cache::{CachedToken, TokenCache};
use crate::token::jws::{decode_segment, CompactJws};
use crate::token::source::TokenSource;
use crate::token::verifier::Verifier;
use crate::{Claims, TokenInfo};

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

/// A verified request, and the reissue its response will carry if it is a sliding action.
pub(crate) struct Authenticated<C> {
    pub(crate) token: CachedToken<C>,
    pub(crate) reissue: Option<Box<PendingReissue>>,
}

impl<C: DeserializeOwned + 'static, R> Shared<C, R> {
    /// `Ok(None)`: no token and the layer is optional.
    pub(crate) fn authenticate(
        &self,
        method: &Method,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Option<Authenticated<C>>, AuthError> {
        let Some(token) = self.find_token(headers, uri)? else {
            return if self.optional {
                Ok(None)
            } else {
                Err(AuthErrorKind::Missing.into())
            };
        };
        let now = self.clock.now();
        let verified = self.verify_cached(token, now)?;
        let reissue = self.plan_reissue(method, uri, token, &verified.info);
        Ok(Some(Authenticated {
            token: verified,
            reissue,
        }))
    }

    /// Verifies `token`, or finds it among the tokens verified before; either way the time rules and the
    /// requirements are checked now. Only tokens that pass everything enter the cache.
    pub(crate) fn verify_cached(&self, token: &str, now: i64) -> Result<CachedToken<C>, AuthError> {
        let cache = self
            .cache
            .as_ref()
            .filter(|_| token.len() <= self.verifier.max_token_size);
        if let Some((cache, hit)) = cache.and_then(|cache| Some((cache, cache.get(token)?))) {
            if let Err(kind) = self.verifier.check_times(&hit.info, now) {
                if kind == AuthErrorKind::Expired {
                    cache.remove(token);
                }
                return Err(kind.into());
            }
            self.requirements.check(&hit.info, Some(&hit.claims))?;
            return Ok(hit);
        }
        let verified = self.verifier.verify::<C>(token, now)?;
        let entry = CachedToken {
            claims: Claims::new(verified.claims),
            info: verified.info,
        };
        self.requirements.check(&entry.info, Some(&entry.claims))?;
        if let Some(cache) = cache {
            cache.insert(token, entry.clone());
        }
        Ok(entry)
    }

    /// A sliding reissue, when this request is an action and the token is due.
    fn plan_reissue(
        &self,
        method: &Method,
        uri: &Uri,
        token: &str,
        info: &TokenInfo,
    ) -> Option<Box<PendingReissue>> {
        let policy = self.sliding.as_ref()?;
        if !policy.is_action(method, uri.path()) {
            return None;
        }
        let plan = policy.decide(info, policy.now())?;
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
        self.responder.respond(Rejection::new(error, &self.realm))
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
