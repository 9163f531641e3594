//! Sender-constrained tokens: DPoP (RFC 9449).
//!
//! A bearer token works for whoever holds it. A DPoP-bound token works only together with a fresh *proof*: a
//! small JWT the client signs, for every request, with a private key that never leaves it. The token names the
//! key's thumbprint (`cnf.jkt`), the proof names the request (`htm`, `htu`), its time (`iat`), a unique id
//! (`jti`) and the token's hash (`ath`). A stolen access token — or a stolen refresh token — is useless without
//! the key.
//!
//! # Verifying
//!
//! [`Dpop`] holds the proof rules: the service's public URL(s) (the `htu` a proof must name: behind a proxy,
//! the *external* origin, never the `Host` header), the accepted algorithms (asymmetric only), the `iat`
//! window, the replay cache and optional server nonces. A layer takes it with a [`DpopPolicy`]:
//!
//! | policy | `Authorization: Bearer` | `Authorization: DPoP` + `DPoP` proof | challenges |
//! |---|---|---|---|
//! | [`Off`](DpopPolicy::Off) (the default) | accepted unless the token is bound | not a credential (401 as without a token) | `Bearer` |
//! | [`Allowed`](DpopPolicy::Allowed) | accepted unless the token is bound | accepted for bound tokens | `Bearer …, DPoP algs="…"` |
//! | [`Required`](DpopPolicy::Required) | refused | accepted for bound tokens | `DPoP algs="…"` |
//!
//! A token with `cnf.jkt` is never accepted as a bearer token, whatever the policy (a downgrade). Proof
//! failures are 401 `error="invalid_dpop_proof"` in a `DPoP` challenge; with nonces required, a proof without
//! the current nonce gets 401 `error="use_dpop_nonce"` and the nonce in a `DPoP-Nonce` header.
//! [`TokenInfo::dpop_thumbprint`](crate::TokenInfo::dpop_thumbprint) tells a handler that the request was
//! sender-constrained, and by which key.
//!
//! ```
//! use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
//!
//! let dpop = Dpop::builder()
//!     .public_url("https://api.example.com")
//!     .build()
//!     .unwrap();
//! let layer = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
//!     .issuer("https://auth.example.com")
//!     .audience("api")
//!     .dpop(&dpop, DpopPolicy::Allowed)
//!     .build()
//!     .unwrap();
//! # let _ = layer;
//! ```
//!
//! The access token stays in the verified-token cache; the proof is verified on every request (one signature
//! check, about the cost of verifying the token itself).
//!
//! # Issuing, refreshing, sliding
//!
//! [`Dpop::verify`] verifies the proof of a login request, and once the credentials are checked
//! [`Dpop::record`] records its use; [`Sessions::login_with`](crate::Sessions::login_with) then binds the new
//! pair to its key: the access token carries `cnf.jkt`, the pair's `token_type` is `DPoP`,
//! and the refresh token is bound too (RFC 9449 §5): refreshing it needs a proof by the same key
//! ([`RefreshEndpoint::dpop`](crate::session::RefreshEndpoint::dpop) reads it), and without one the refresh is
//! `invalid_grant` and changes nothing. Sliding keeps `cnf` on reissued tokens, and only bound requests — which
//! carry a proof — reach it.
//!
//! A token endpoint refuses a bad proof with 400 `{"error":"invalid_dpop_proof"}` (RFC 9449 §5, RFC 6749
//! §5.2), not with a challenge: [`Dpop::token_endpoint_refusal`].
//!
//! # Replay caches and their sizing
//!
//! Each proof is accepted once ([`ReplayCache`]), and a proof is checked as cheaply as it can be refused:
//! `htm`, `htu`, the `iat` window, the `jti`, `ath`, the nonce, the key's size and (at a resource) the token's
//! key come before the signature, and so does a replay this process already knows of. RSA proof keys are 2048
//! to 4096 bits with e = 65537.
//!
//! Anybody can sign proofs with a key of their own, so proofs are recorded in two places of bounded size:
//!
//! - **resource proofs**, recorded only after the access token they come with verified (and was found not
//!   revoked): the replay cache, by default a [`MemoryReplayCache`] of [`DEFAULT_REPLAY_CAPACITY`] (1 M) live
//!   proofs. Size it as DPoP requests per second × the window (`proof_max_age` + `clock_skew` + 30 s, 95 s
//!   by default): 1 M holds about 11 000 requests a second, in about 80 MiB when full.
//! - **token-endpoint proofs** (a login's, a refresh's), recorded only after the credentials are checked:
//!   [`DpopBuilder::token_endpoint_capacity`] live proofs per process ([`DEFAULT_TOKEN_ENDPOINT_CAPACITY`],
//!   256 Ki), and at most 8 per refresh session. A flood of self-signed proofs can't fill either; when this
//!   one is full, token requests get 503 and resource requests go on.
//!
//! The default caches serve one process; behind a load balancer, give every instance the same shared cache
//! ([`RedisStore`](crate::RedisStore), [`SqlStore`](crate::SqlStore)), or a proof replayed to a second instance
//! would pass there. A shared cache holds both kinds, each entry about 180 bytes in Redis (a `SET NX EX` key
//! expiring with the proof): plan for (DPoP requests per second × 95 s) + instances ×
//! `token_endpoint_capacity` of them. Under `maxmemory-policy noeviction` a full Redis refuses writes —
//! revocations included — so leave that headroom, or give the replay cache a Redis of its own: then a full
//! replay cache refuses proofs (503), never a revocation.

mod builder;
mod htu;
mod nonce;
mod proof;
mod replay;
mod replay_cache;
pub(crate) mod request_uri;
mod rules;
mod token_endpoint;

use std::time::Duration;

use http::HeaderName;
use jsonwebtoken::Algorithm;

pub use crate::jose::thumbprint::jwk_thumbprint;
pub use builder::DpopBuilder;
pub(crate) use proof::{Partition, ProofTarget};
pub use replay::{MemoryReplayCache, DEFAULT_REPLAY_CAPACITY, DEFAULT_TOKEN_ENDPOINT_CAPACITY};
pub use replay_cache::ReplayCache;
pub(crate) use rules::DpopInner;
pub use rules::{Dpop, DpopProof};
pub use token_endpoint::VerifiedProof;
pub(crate) use token_endpoint::{insert_nonce, replay_verdict};

/// The request header that carries the proof.
pub const DPOP_HEADER: HeaderName = HeaderName::from_static("dpop");
/// The response header that carries a server nonce (RFC 9449 §8).
pub const DPOP_NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// How old a proof's `iat` may be unless configured: 60 seconds.
pub const DEFAULT_PROOF_MAX_AGE: Duration = Duration::from_secs(60);
/// How far in the future a proof's `iat` may be unless configured: 5 seconds.
pub const DEFAULT_PROOF_CLOCK_SKEW: Duration = Duration::from_secs(5);
/// Largest proof accepted unless configured (a proof with an RSA 4096 key is about 1.5 KiB).
pub const DEFAULT_MAX_PROOF_SIZE: usize = 4 * 1024;
/// The algorithms accepted for proofs unless configured.
pub const DEFAULT_PROOF_ALGORITHMS: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::ES384,
    Algorithm::PS256,
    Algorithm::RS256,
];

/// Whether a layer takes DPoP-bound tokens; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopPolicy {
    /// Bearer tokens only (bound tokens are refused).
    #[default]
    Off,
    /// Bearer tokens, and bound tokens with a proof.
    Allowed,
    /// Bound tokens with a proof only.
    Required,
}
