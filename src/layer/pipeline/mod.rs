//! The request pipeline of [`JwtAuth`](crate::layer::JwtAuth), one file per step, in the order a request meets them:
//!
//! 1. [`find_token`](find_token::find_token): the one token the request carries (or none), and whether it came
//!    with the DPoP scheme (and its proof);
//! 2. [`verify`](verify::verify_now): the token cache, or a full verification (size, structure, header, key,
//!    signature, claims), the [`csrf`](csrf::check_csrf) guard for a token that came by cookie, then the
//!    authorization requirements — one "verify now" path shared by the synchronous
//!    path, the path after a remote key fetch, and [`JwtAuthLayer::verify_token`](crate::JwtAuthLayer::verify_token);
//!    or, for opaque tokens and the JWTs of an issuer that must be asked (feature `introspection`), `introspect`:
//!    the claims of a remote RFC 7662 endpoint's (cached) answer, held to the same rules by `admit`;
//! 3. [`dpop`](dpop::bound_proof): a bound token only with a valid proof of its key (checked after the token, so
//!    an invalid token costs no proof verification; the proof's single use is recorded after step 4),
//!    [`certificate`](certificate::check_certificate): a certificate-bound token only with its certificate, and
//!    [`reissue`](reissue::plan_reissue): whether a sliding action gets a fresh token;
//! 4. [`revocation`](revocation::check_revocation): the revocation store, answering now or later, then the
//!    proof's single use (so only a live token's holder takes room in the replay cache);
//! 5. [`admission`]: what goes into the request extensions (and the reissue the response will carry), and
//!    [`handshake`]: a WebSocket handshake's token taken out of the request the inner service sees;
//! 6. the inner service and the reissue, in [`ResponseFuture`](crate::layer::ResponseFuture);
//! 7. [`reject`](reject): any refusal becomes the responder's response, with the rejection contract enforced.
//!
//! [`admit`](admit::admit) runs steps 1–5 and says whether the request is decided now or waits (for a key fetch
//! or a store lookup). The configuration all of them read is plain data: [`AuthConfig`](config::AuthConfig).

pub(crate) mod admission;
pub(crate) mod admit;
pub(crate) mod certificate;
pub(crate) mod config;
pub(crate) mod csrf;
pub(crate) mod dpop;
pub(crate) mod find_token;
pub(crate) mod handshake;
#[cfg(feature = "introspection")]
pub(crate) mod introspect;
pub(crate) mod reissue;
pub(crate) mod reject;
pub(crate) mod revocation;
pub(crate) mod verify;
