//! OpenID Connect Back-Channel Logout 1.0 (§2.5–2.8): the endpoint an identity provider POSTs a logout token to
//! when a user's session there ends, turning it into a revocation every instance sharing the store enforces.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use sha2::{Digest, Sha256};
use tower_service::Service;

use crate::audit::{AuditEvent, AuditEventKind, Auditor};
use crate::clock::SharedClock;
use crate::dpop::{MemoryReplayCache, ReplayCache};
use crate::error::{AuthError, AuthErrorKind};
use crate::session::endpoint::{
    endpoint_service, form_field, token_from, BodyKind, BoxError, EndpointFuture, Head, Refusal,
};
use crate::store::{SessionStore, StoreError, REVOCATION_MARGIN};
use crate::token::logout_token::{check_logout_claims, LogoutRules, LogoutToken};
use crate::well_known::document::oauth_error;

/// How the endpoint checks a logout token's signature: the payload of a token verified with the provider's
/// keys (lent by the layer: [`JwtAuthLayer::backchannel_logout`](crate::JwtAuthLayer::backchannel_logout)).
pub(crate) type LogoutVerifier = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, AuthError>> + Send>>
        + Send
        + Sync,
>;

/// Default age limit of a logout token's `iat` (5 minutes).
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// Default longest lifetime of the provider's access tokens (24 hours): how long a logout's marker must refuse
/// them.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Entries the default (in-process) replay cache of logout token `jti`s holds.
const REPLAY_CAPACITY: usize = 1 << 16;

/// `POST` endpoint for OpenID Connect Back-Channel Logout 1.0: the provider sends `logout_token=…` (form) when a
/// user's session ends there, and the session's tokens are refused here from then on.
///
/// Built by [`JwtAuthLayer::backchannel_logout`](crate::JwtAuthLayer::backchannel_logout), whose keys (the
/// provider's remote key set, routed by `iss`) verify the token's signature. Then every rule of §2.6: `typ`
/// `logout+jwt` when present, `iss` the provider, `aud` naming this client, `iat` within
/// [`max_age`](Self::max_age), `exp` not passed when present, a `jti` never seen before (the
/// [`replay_cache`](Self::replay_cache): give every instance the same shared store), an `events` claim whose
/// `http://schemas.openid.net/event/backchannel-logout` member is a JSON object, a `sid` and/or a `sub`, no
/// `nonce`. A logout token is never an access token (the layer refuses it), nor an access token a logout
/// token.
///
/// On success, 200 with `Cache-Control: no-store`, and through the store
/// ([`SessionStore::revoke_issuer_session`], [`SessionStore::revoke_issuer_subject`]): with `sid`, the
/// provider's tokens carrying that `sid`; with `sub` alone, every token of that subject *from that provider*
/// issued before the logout (its `iat`, by the provider's clock, which stamped those tokens). Neither ever touches the local issuer's sessions or another provider's. Anything invalid
/// (or replayed): 400 `{"error":"invalid_request"}` and nothing revoked; a store failure 503
/// `temporarily_unavailable` (the provider may retry: the `jti` is recorded only once the revocation is, and
/// a replay writes the same revocation again, so it revokes nothing more).
#[derive(Clone)]
pub struct BackchannelLogout {
    verify: LogoutVerifier,
    store: Arc<dyn SessionStore>,
    replay: Arc<dyn ReplayCache>,
    clock: SharedClock,
    audit: Auditor,
    issuer: Arc<[String]>,
    audience: Arc<str>,
    max_age: Duration,
    leeway: i64,
    token_lifetime: Duration,
}

impl fmt::Debug for BackchannelLogout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackchannelLogout")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("max_age", &self.max_age)
            .field("token_lifetime", &self.token_lifetime)
            .finish_non_exhaustive()
    }
}

/// What the layer lends a new endpoint: the verifier, its clock and leeway.
pub(crate) struct LentVerification {
    pub(crate) verify: LogoutVerifier,
    pub(crate) clock: SharedClock,
    pub(crate) leeway: i64,
    /// The audit hook of the sessions the layer is wired to.
    pub(crate) audit: Auditor,
}

impl BackchannelLogout {
    /// The endpoint for logouts of `issuer` sent to client `audience`, revoking through `store`.
    pub(crate) fn new(
        lent: LentVerification,
        issuer: String,
        audience: String,
        store: Arc<dyn SessionStore>,
    ) -> Self {
        Self {
            verify: lent.verify,
            store,
            replay: Arc::new(MemoryReplayCache::new(REPLAY_CAPACITY)),
            clock: lent.clock,
            audit: lent.audit,
            issuer: Arc::from(vec![issuer]),
            audience: audience.into(),
            max_age: DEFAULT_MAX_AGE,
            leeway: lent.leeway,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }

    /// Where the `jti`s of accepted logout tokens are recorded (default: this process only). With several
    /// instances, give each the same shared store ([`RedisStore`](crate::RedisStore),
    /// [`SqlStore`](crate::SqlStore)) so a replay to another instance is refused too.
    pub fn replay_cache(mut self, cache: impl ReplayCache) -> Self {
        self.replay = Arc::new(cache);
        self
    }

    /// How old a logout token (its `iat`) may be (default 5 minutes).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The longest lifetime of the provider's access tokens (default 24 hours): the revocation lasts that long
    /// (plus [`REVOCATION_MARGIN`]), so no token issued before the logout outlives it.
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The logout token's request, checked.
    async fn check(&self, token: String) -> Result<LogoutToken, Refused> {
        let payload = (self.verify)(token).await.map_err(|error| {
            if error.kind() == AuthErrorKind::Unavailable {
                Refused::Unavailable
            } else {
                Refused::Invalid(error.kind().label())
            }
        })?;
        let rules = LogoutRules {
            issuers: &self.issuer,
            audience: &self.audience,
            max_age: self.max_age.as_secs() as i64,
            leeway: self.leeway,
            now: self.clock.now(),
        };
        check_logout_claims(&payload, &rules).map_err(Refused::Invalid)
    }

    /// Revokes what `logout` names, then records its `jti`: a replay is refused; a revocation that failed may
    /// be retried.
    async fn revoke(&self, logout: LogoutToken) -> Result<(), Refused> {
        let now = self.clock.now();
        let key = replay_key(&logout);
        if self.replay.known_used(&key, now) {
            return Err(Refused::Invalid("jti"));
        }
        let until = now + (self.token_lifetime + REVOCATION_MARGIN).as_secs() as i64;
        let revoked = match (&logout.sid, &logout.sub) {
            (Some(sid), _) => self.store.revoke_issuer_session(&logout.iss, sid, until),
            // Before the logout, by the provider's clock (which stamps its tokens): a replay moves nothing.
            (None, Some(sub)) => {
                let not_before = logout.iat.min(now + self.leeway);
                self.store
                    .revoke_issuer_subject(&logout.iss, sub, not_before, until)
            }
            (None, None) => return Err(Refused::Invalid("sub/sid")),
        };
        let record_until = logout.iat.max(now) + self.max_age.as_secs() as i64 + self.leeway;
        // The revocation first: a replay writes the same marker again (nothing more is revoked), and a provider
        // retrying after a store failure is not refused as a replay.
        revoked
            .await
            .map_err(|_: StoreError| Refused::Unavailable)?;
        match self
            .replay
            .first_use(&key, now, record_until)
            .resolve()
            .await
        {
            Ok(true) => {
                let event = AuditEvent::new(AuditEventKind::BackchannelLogout, now)
                    .issuer(Some(&logout.iss))
                    .subject(logout.sub.as_deref())
                    .session_id(logout.sid.as_deref());
                self.audit.emit(event);
                Ok(())
            }
            Ok(false) => Err(Refused::Invalid("jti")),
            Err(_) => Err(Refused::Unavailable),
        }
    }
}

/// Why a logout was not done.
enum Refused {
    /// The rule (or verification step) broken: 400.
    Invalid(&'static str),
    /// A store, or the provider's keys, could not be reached: 503.
    Unavailable,
}

/// The replay cache's key of a logout token: its issuer and `jti`.
fn replay_key(logout: &LogoutToken) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"tower-jwt-auth backchannel logout\0");
    hash.update(logout.iss.as_bytes());
    hash.update(b"\0");
    hash.update(logout.jti.as_bytes());
    hash.finalize().into()
}

/// The `logout_token` of a form body (§2.5: `application/x-www-form-urlencoded` only).
fn logout_token_of(kind: BodyKind, body: &[u8]) -> Result<String, Refusal> {
    match kind {
        BodyKind::Form => form_field(body, "logout_token")
            .ok()
            .flatten()
            .ok_or(Refusal::INVALID_REQUEST),
        BodyKind::Json => Err(Refusal::INVALID_REQUEST),
    }
}

fn logged_out() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn logout(endpoint: BackchannelLogout, token: String, _: Head) -> Response<Full<Bytes>> {
    let outcome = match endpoint.check(token).await {
        Ok(logout) => endpoint.revoke(logout).await,
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok(()) => {
            crate::stats::backchannel_logout("revoked");
            logged_out()
        }
        Err(Refused::Invalid(rule)) => {
            crate::stats::backchannel_logout("refused");
            #[cfg(feature = "tracing")]
            tracing::info!(rule, "back-channel logout token refused");
            let _ = rule;
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request")
        }
        Err(Refused::Unavailable) => {
            crate::stats::backchannel_logout("unavailable");
            oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
    }
}

endpoint_service!(BackchannelLogout, logout_token_of, logout);
