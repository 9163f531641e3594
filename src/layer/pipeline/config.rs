//! The configuration a layer and all its services share (behind one `Arc`): plain data, read by every step.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::certificate::ClientCertificates;
use crate::clock::SharedClock;
use crate::layer::pipeline::dpop::LayerDpop;
use crate::layer::rejection::Challenges;
use crate::session::sliding::Sliding;
use crate::session::CsrfTokens;
use crate::store::RevocationCheck;
use crate::token::cache::TokenCache;
use crate::token::requirements::Requirements;
use crate::token::source::TokenSource;
use crate::token::verifier::Verifier;
use crate::token::websocket::WebSocketTokens;
use crate::trace::PreflightWarning;

/// Everything [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build) checked, for claims type `C` and responder `R`.
pub(crate) struct AuthConfig<C, R> {
    /// Keys, algorithms and claim rules of a full verification.
    pub(crate) verifier: Verifier,
    /// Where tokens are looked for (at most one may carry one).
    pub(crate) sources: Vec<Box<dyn TokenSource>>,
    /// The sources are the default bearer header alone: its token's `b64token` grammar is checked only when
    /// the token is not in the cache (a cached token passed it when it was verified).
    pub(crate) bearer_header_only: bool,
    /// The WebSocket handshake sources the layer reads.
    pub(crate) websocket: WebSocketTokens,
    /// The CSRF guard of requests authenticated by cookie (`None`: no cookie source, or opted out).
    pub(crate) csrf: Option<CsrfTokens>,
    /// DPoP-bound tokens and their proofs, when the layer takes them.
    pub(crate) dpop: Option<LayerDpop>,
    /// Requests without any token pass through without claims.
    pub(crate) optional: bool,
    /// CORS preflights (`OPTIONS` with `Access-Control-Request-Method`) pass through unauthenticated.
    pub(crate) bypass_cors_preflight: bool,
    /// Said once, the first time a preflight is refused anyway.
    pub(crate) preflight_warning: PreflightWarning,
    /// Request headers that carry tokens, marked sensitive so no later layer logs them.
    pub(crate) sensitive_headers: Vec<http::HeaderName>,
    /// Scopes and predicates every token must satisfy.
    pub(crate) requirements: Requirements<C>,
    /// The one clock of the layer: verification, the cache, sliding.
    pub(crate) clock: SharedClock,
    /// The realm and the `WWW-Authenticate` challenges, prepared once per kind.
    pub(crate) challenges: Challenges,
    pub(crate) revocation: Option<Arc<dyn RevocationCheck>>,
    /// The sliding policy, wired to its sessions.
    pub(crate) sliding: Option<Arc<Sliding>>,
    pub(crate) cache: Option<TokenCache<C>>,
    /// Where client certificates come from, when the layer accepts certificate-bound tokens.
    pub(crate) certificates: Option<ClientCertificates>,
    /// The remote introspection endpoint opaque tokens are accepted through.
    #[cfg(feature = "introspection")]
    pub(crate) introspection: Option<crate::introspection::LayerIntrospection<C>>,
    /// The audit hook of the sessions the layer is wired to (none otherwise).
    pub(crate) audit: crate::audit::Auditor,
    pub(crate) responder: R,
    pub(crate) _claims: PhantomData<fn() -> C>,
}

impl<C, R> fmt::Debug for AuthConfig<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthConfig")
            .field("verifier", &self.verifier)
            .field("sources", &self.sources)
            .field("dpop", &self.dpop)
            .field("websocket", &self.websocket)
            .field("csrf", &self.csrf)
            .field("optional", &self.optional)
            .field("requirements", &self.requirements)
            .field("realm", &self.challenges.realm())
            .field("revocation", &self.revocation.is_some())
            .field("sliding", &self.sliding)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}
