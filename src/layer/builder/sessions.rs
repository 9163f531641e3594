//! What the layer checks beyond the token itself: sessions and revocation, the clock, sliding, DPoP, the
//! verified-token cache.

use std::sync::Arc;

use super::JwtAuthBuilder;
use crate::clock::Clock;
use crate::dpop::{Dpop, DpopPolicy};
use crate::layer::pipeline::dpop::LayerDpop;
use crate::session::sliding::SlidingPolicy;
use crate::session::Sessions;
use crate::store::RevocationCheck;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Wires the layer to `sessions` in one call: it accepts the tokens their issuer mints (its `iss` and
    /// `aud` join the accepted ones), checks every token against their store (revoked `jti`, `sid` or subject →
    /// 401; store down → 503), verifies on their clock, and can [`slide`](Self::sliding) their tokens. The
    /// issuer's own keys are trusted too, through its key ring: before and after a
    /// [`rotate`](crate::TokenIssuer::rotate), and no longer after a [`retire`](crate::TokenIssuer::retire).
    ///
    /// A separate [`revocation`](Self::revocation) store or [`clock`](Self::clock) beside the sessions is a build
    /// error ([`ConfigError::Conflict`](crate::ConfigError::Conflict)): each is configured once. So is one of
    /// the issuer's keys given again with [`key`](Self::key) (or under [`trust_issuer`](Self::trust_issuer)),
    /// compared by key material: a static copy would keep a retired key trusted.
    pub fn sessions(mut self, sessions: &Sessions) -> Self {
        let issuer = sessions.issuer();
        let validation = &mut self.settings.validation;
        if !validation.issuers.iter().any(|i| i == issuer.issuer_name()) {
            validation.issuers.push(issuer.issuer_name().to_owned());
        }
        for audience in issuer.audiences() {
            if !validation.audiences.contains(audience) {
                validation.audiences.push(audience.clone());
            }
        }
        self.settings.sessions = Some(sessions.clone());
        self
    }

    /// Accepts session tokens (tokens with a `sid` claim) in a layer that cannot check their session, giving up
    /// logout: without [`sessions`](Self::sessions) or a [`revocation`](Self::revocation) store, a logged-out
    /// session's access tokens would keep working until they expire. Without this, such a layer refuses every
    /// token with `sid` (401 `invalid_token`, claim `sid`). A layer with a revocation store checks `sid` markers
    /// and needs no opt-out.
    pub fn allow_unchecked_sessions(mut self) -> Self {
        self.settings.unchecked_sessions = true;
        self
    }

    /// Checks every verified token against this revocation store (revoked `jti`, `sid` or subject → 401;
    /// store down → 503), for a layer without [`sessions`](Self::sessions) (which bring their store).
    ///
    /// A revocation marker lasts as long as the tokens it covers can live ([`TokenIssuerBuilder::max_ttl`]
    /// of their issuer, which layers wired to its sessions enforce). A layer with a store but no sessions must
    /// bound lifetimes itself: [`max_age`](Self::max_age) no longer than that `max_ttl`, or `build()` fails —
    /// otherwise a token minted with a longer lifetime would be accepted again once its marker lapsed (or
    /// [`allow_unbounded_token_lifetime`](Self::allow_unbounded_token_lifetime), for a store that keeps
    /// revocations forever).
    ///
    /// [`TokenIssuerBuilder::max_ttl`]: crate::issuer::TokenIssuerBuilder::max_ttl
    pub fn revocation(mut self, store: impl RevocationCheck) -> Self {
        self.settings.revocation = Some(Arc::new(store));
        self
    }

    /// Opt-out of the rule that a [`revocation`](Self::revocation) store comes with a [`max_age`](Self::max_age),
    /// for a store whose revocations never lapse. With a store whose markers do lapse (every store of this
    /// crate sizes them by the issuer's `max_ttl`), it gives up revocation for tokens that live longer than
    /// their markers: such a token is accepted again once its marker is gone.
    pub fn allow_unbounded_token_lifetime(mut self) -> Self {
        self.settings.unbounded_lifetime = true;
        self
    }

    /// The time source of a layer without [`sessions`](Self::sessions) (default: the system clock). A layer wired
    /// to sessions uses theirs; giving both is a build error
    /// ([`ConfigError::Conflict`](crate::ConfigError::Conflict)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.settings.clock = Some(Arc::new(clock));
        self
    }

    /// Reissues the [`sessions`](Self::sessions)' tokens on sliding actions (see [`SlidingPolicy`]). Without
    /// sessions, [`build`](Self::build) fails with
    /// [`ConfigError::SlidingWithoutSessions`](crate::ConfigError::SlidingWithoutSessions). Only tokens verified
    /// by a key of the sessions' issuer slide (never a remote or partner key's), and revoked sessions are refused
    /// (by the sessions' store) before any reissue.
    pub fn sliding(mut self, policy: SlidingPolicy) -> Self {
        self.settings.sliding = Some(policy);
        self
    }

    /// Takes DPoP-bound tokens (RFC 9449) under `policy`, with the proof rules of `dpop` (see
    /// [`dpop`](crate::dpop)): [`DpopPolicy::Allowed`] accepts bearer tokens and `Authorization: DPoP` with a
    /// proof; [`DpopPolicy::Required`] refuses bearer tokens; [`DpopPolicy::Off`] (the default) takes neither
    /// scheme's bound tokens. A token with `cnf.jkt` is never accepted as a bearer token. The challenges
    /// then offer `DPoP algs="…"`.
    pub fn dpop(mut self, dpop: &Dpop, policy: DpopPolicy) -> Self {
        self.settings.dpop = match policy {
            DpopPolicy::Off => None,
            DpopPolicy::Allowed | DpopPolicy::Required => Some(LayerDpop {
                rules: dpop.clone(),
                required: policy == DpopPolicy::Required,
                audit: Default::default(),
            }),
        };
        self
    }

    /// Bounds the verified-token cache to about `bytes` of tokens and claims (default 16 MiB, roughly 20 000
    /// typical tokens). Repeat requests with a token verified before skip the signature check; `exp`, `nbf`,
    /// `iat`, scopes and revocation are still checked on every request. `0` turns the cache off.
    ///
    /// The verified-token cache: a client sends the same token for minutes, so a layer that remembers what it
    /// verified skips the signature check on every repeat.
    ///
    /// Keys are the exact token text (a hit compares the whole token, never only a hash); values are the verified
    /// claims and facts. A token is stored once its signature and claims verify; `exp`, `nbf`, `iat`, the request's
    /// binding (DPoP proof, client certificate, CSRF token) and the authorization requirements are checked on every
    /// use, the first included, and revocation is consulted as for any token. Memory is bounded
    /// by weight (about twice the token length each) and eviction is S3-FIFO, so a flood of distinct tokens can't push
    /// out the tokens in steady use. The cache belongs to one layer and its key set: a layer built with other keys has
    /// a cache of its own.
    ///
    /// An eighth of the bound remembers tokens **refused for good** under the current keys — a signature that does
    /// not verify, `exp` passed, another issuer, audience or type, a required claim missing or malformed — so a
    /// flood of one such token costs a lookup per request instead of a signature check (the refusal and its
    /// status are the same every time). Refusals that may change are never remembered (a key a remote key set may
    /// bring, `nbf` in the future), a change of remote keys forgets them all, and they have their own bound, so
    /// they never push a verified token out. A flood of *distinct* forged tokens still costs a signature check
    /// each: cap it upstream (rate limits per client).
    pub fn token_cache_size(mut self, bytes: u64) -> Self {
        self.settings.cache_bytes = bytes;
        self
    }

    /// Turns the verified-token cache off: every request verifies its token's signature.
    pub fn disable_token_cache(self) -> Self {
        self.token_cache_size(0)
    }
}
