//! Sliding sessions: on configured actions, a token past its threshold is reissued with a later expiry, never
//! past its session's end (`auth_time + max_session` of its [`Sessions`]).
//!
//! A [`SlidingPolicy`] names only the actions, the threshold and the delivery. The rest is configured once, on
//! the [`Sessions`] the layer is wired to with [`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions):
//! their issuer signs the new tokens (its lifetime is theirs), their `max_session` caps them, their clock decides,
//! and their store is the revocation check that refuses a logged-out session's tokens before any reissue.
//!
//! Only the sessions' own tokens slide: tokens verified by the issuer's key (not by a remote key set or a
//! partner's key), whose `iss` is the issuer's, that belong to a session (`sid`, which covers every reissue:
//! revoking the session stops the whole chain), and whose `exp` has not passed (a token inside the leeway is
//! accepted, never renewed). Other tokens pass through unchanged.
//!
//! The decision ([`SlidingPolicy::decide`]) is a pure function of the token and the time. The layer applies it
//! to requests whose method and path are actions, calls the inner service, and only when that answered 2xx signs
//! the new token and puts it into the response headers (and/or a cookie), with `Cache-Control: no-store`.
//!
//! ```
//! use std::time::Duration;
//! use http::Method;
//! use tower_jwt_auth::{
//!     Algorithm, JwtAuthLayer, MemoryStore, Sessions, SigningKey, SlidingPolicy, TokenIssuer,
//! };
//!
//! let secret = [7; 32];
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
//!     .issuer("demo")
//!     .audience("demo-api")
//!     .ttl(Duration::from_secs(900))
//!     .build()
//!     .unwrap();
//! let sessions = Sessions::builder(issuer, MemoryStore::new())
//!     .max_session(Duration::from_secs(8 * 3600))
//!     .build()
//!     .unwrap();
//! // The sessions bring their issuer and its keys.
//! let auth = JwtAuthLayer::builder()
//!     .sessions(&sessions)
//!     .sliding(
//!         SlidingPolicy::new()
//!             .action(Method::POST, "/posts")
//!             .action(Method::POST, "/payments/*"),
//!     )
//!     .build()
//!     .unwrap();
//! # let _ = auth;
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Response};
use serde_json::{Map, Value};

use crate::error::ConfigError;
use crate::session::Sessions;
use crate::token::info::TokenInfo;
use crate::token::source::CookieSource;

/// The response header that carries a reissued token unless configured otherwise. Browsers can read it only
/// when the server lists it in `Access-Control-Expose-Headers`.
pub const DEFAULT_SLIDING_HEADER: &str = "x-access-token";

/// Decides which requests are actions that may extend a session.
///
/// Closures `Fn(&Method, &str) -> bool` (method and path) are matchers too.
pub trait ActionMatcher: Send + Sync + 'static {
    /// Whether a request with this method and path is a sliding action.
    fn is_action(&self, method: &Method, path: &str) -> bool;
}

impl<F: Fn(&Method, &str) -> bool + Send + Sync + 'static> ActionMatcher for F {
    fn is_action(&self, method: &Method, path: &str) -> bool {
        self(method, path)
    }
}

/// One `METHOD path` rule: an exact path, or a prefix ending in `/*` that matches any deeper path.
#[derive(Debug, Clone)]
struct Route {
    method: Method,
    path: String,
}

impl Route {
    fn matches(&self, method: &Method, path: &str) -> bool {
        if *method != self.method {
            return false;
        }
        match self.path.strip_suffix("/*") {
            Some(prefix) => path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1),
            None => path == self.path,
        }
    }
}

/// When a token is due for reissue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Threshold {
    /// Once more than half of the token's lifetime (`exp - iat`) has passed (ASP.NET's rule; the default).
    HalfLifetime,
    /// Once less than this much lifetime remains.
    Remaining(Duration),
}

/// `SameSite` attribute of the sliding cookie. `None` is not offered: token cookies need CSRF protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations.
    Lax,
}

#[derive(Debug, Clone)]
struct CookieDelivery {
    name: String,
    same_site: SameSite,
    path: String,
}

/// The outcome of [`SlidingPolicy::decide`]: reissue with this expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reissue {
    /// The new `exp`: `now + ttl`, capped at `session_start + max_session`.
    pub expires_at: i64,
    /// The session start the new token carries as `auth_time` (the old `auth_time`, or its `iat`).
    pub session_start: i64,
}

/// When and how the layer reissues tokens on actions: the actions, the threshold and the delivery — nothing else.
/// The issuer, the session cap and the clock are the [`Sessions`]' own, given to the layer once with
/// [`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions); attach the policy with
/// [`JwtAuthBuilder::sliding`](crate::JwtAuthBuilder::sliding).
#[derive(Clone)]
pub struct SlidingPolicy {
    threshold: Threshold,
    routes: Vec<Route>,
    matcher: Option<Arc<dyn ActionMatcher>>,
    header: Option<HeaderName>,
    cookie: Option<CookieDelivery>,
}

impl fmt::Debug for SlidingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlidingPolicy")
            .field("threshold", &self.threshold)
            .field("routes", &self.routes)
            .field("matcher", &self.matcher.is_some())
            .field("header", &self.header)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

impl Default for SlidingPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl SlidingPolicy {
    /// A policy with no actions yet (add them with [`action`](Self::action) or [`matcher`](Self::matcher): with
    /// none, nothing slides), the half-lifetime threshold, and delivery in the [`DEFAULT_SLIDING_HEADER`].
    pub fn new() -> Self {
        Self {
            threshold: Threshold::HalfLifetime,
            routes: Vec::new(),
            matcher: None,
            header: Some(HeaderName::from_static(DEFAULT_SLIDING_HEADER)),
            cookie: None,
        }
    }

    /// Adds an action: `method` on `path` exactly, or on anything below it when `path` ends in `/*`.
    ///
    /// `path` is the full path the client requested. With the `axum` feature the layer reads it from axum
    /// 0.8's `OriginalUri`, so `/api/posts` matches also when the layer sits on a router nested at `/api`
    /// (which sees `/posts`); without axum, rules match the path the layer's service receives.
    pub fn action(mut self, method: Method, path: impl Into<String>) -> Self {
        self.routes.push(Route {
            method,
            path: path.into(),
        });
        self
    }

    /// Adds a matcher for actions the method-and-path rules can't express.
    pub fn matcher(mut self, matcher: impl ActionMatcher) -> Self {
        self.matcher = Some(Arc::new(matcher));
        self
    }

    /// When a token is due (default: more than half its lifetime has passed).
    pub fn threshold(mut self, threshold: Threshold) -> Self {
        self.threshold = threshold;
        self
    }

    /// Delivers the new token in this response header (default [`DEFAULT_SLIDING_HEADER`]).
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = Some(name);
        self
    }

    /// Delivers the new token only as a cookie, not in a header.
    pub fn without_header(mut self) -> Self {
        self.header = None;
        self
    }

    /// Also delivers the new token as a `Set-Cookie` (always `Secure; HttpOnly`, with `SameSite` and
    /// `Path=/`), for clients that read the token from that cookie. An invalid cookie name is reported by
    /// [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build), like every other setting.
    pub fn cookie(mut self, name: impl Into<String>, same_site: SameSite) -> Self {
        self.cookie = Some(CookieDelivery {
            name: name.into(),
            same_site,
            path: "/".to_owned(),
        });
        self
    }

    /// Checks what the setters deferred: a delivery is configured, and the cookie name is valid.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.header.is_none() && self.cookie.is_none() {
            return Err(ConfigError::Missing(
                "a sliding delivery (header or cookie)",
            ));
        }
        if let Some(cookie) = &self.cookie {
            CookieSource::new(cookie.name.clone())?;
        }
        Ok(())
    }

    /// Whether a request is a sliding action.
    pub fn is_action(&self, method: &Method, path: &str) -> bool {
        self.routes.iter().any(|r| r.matches(method, path))
            || self
                .matcher
                .as_ref()
                .is_some_and(|m| m.is_action(method, path))
    }

    /// The pure reissue decision for a verified token at `now`, under the issuer and session cap of
    /// `sessions`: `None` unless the token belongs to a session (`sid`) of that issuer (`iss`), its `exp` has not
    /// passed, it is past its threshold, and its session cap leaves room for a later expiry. A token without
    /// `auth_time` counts its `iat` as the session start; without `iat` or `exp` nothing is reissued. (The layer
    /// also requires that the issuer's own key verified the token.)
    pub fn decide(&self, sessions: &Sessions, token: &TokenInfo, now: i64) -> Option<Reissue> {
        let (iat, exp) = (token.issued_at()?, token.expires_at()?);
        let issuer = sessions.issuer();
        if token.session_id().is_none() || token.issuer() != Some(issuer.issuer_name()) {
            return None;
        }
        if exp <= now {
            return None;
        }
        let remaining = exp.saturating_sub(now);
        let due = match self.threshold {
            Threshold::HalfLifetime => remaining < now.saturating_sub(iat),
            Threshold::Remaining(d) => remaining < i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        };
        if !due {
            return None;
        }
        let session_start = token.auth_time().unwrap_or(iat);
        let cap = session_start.saturating_add(sessions.max_session_secs());
        let expires_at = now.saturating_add(issuer.ttl_secs()).min(cap);
        (expires_at > exp && expires_at > now).then_some(Reissue {
            expires_at,
            session_start,
        })
    }
}

/// A policy wired to the sessions whose tokens it renews (made by the layer's builder).
#[derive(Debug, Clone)]
pub(crate) struct Sliding {
    pub(crate) policy: SlidingPolicy,
    pub(crate) sessions: Sessions,
}

impl Sliding {
    /// The decision for `token` at `now` (see [`SlidingPolicy::decide`]).
    pub(crate) fn decide(&self, token: &TokenInfo, now: i64) -> Option<Reissue> {
        self.policy.decide(&self.sessions, token, now)
    }

    /// Signs the new token and writes it into the response, which must be a 2xx.
    pub(crate) fn deliver<B>(
        &self,
        mut claims: Map<String, Value>,
        plan: Reissue,
        response: &mut Response<B>,
    ) {
        claims.insert("auth_time".into(), plan.session_start.into());
        let Ok(token) = self.sessions.issuer().reissue(claims, plan.expires_at) else {
            return;
        };
        crate::stats::sliding_reissued();
        let policy = &self.policy;
        let headers = response.headers_mut();
        if let Some(name) = &policy.header {
            if let Ok(mut value) = HeaderValue::from_str(token.as_str()) {
                value.set_sensitive(true);
                headers.insert(name.clone(), value);
            }
        }
        if let Some(cookie) = &policy.cookie {
            set_cookie(
                headers,
                cookie,
                token.as_str(),
                plan.expires_at.saturating_sub(token.issued_at()),
            );
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

fn set_cookie(headers: &mut HeaderMap, cookie: &CookieDelivery, token: &str, max_age: i64) {
    let same_site = match cookie.same_site {
        SameSite::Strict => "Strict",
        SameSite::Lax => "Lax",
    };
    let value = format!(
        "{}={token}; Max-Age={max_age}; Path={}; Secure; HttpOnly; SameSite={same_site}",
        cookie.name, cookie.path
    );
    if let Ok(mut value) = HeaderValue::from_str(&value) {
        value.set_sensitive(true);
        headers.append(header::SET_COOKIE, value);
    }
}

/// A reissue decided before the inner call, carried by the response future.
pub(crate) struct PendingReissue {
    pub(crate) sliding: Arc<Sliding>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) plan: Reissue,
}

impl PendingReissue {
    /// Delivers the renewed token on a success: a 2xx — and, for gRPC, not a call refused in trailers-only
    /// form (`grpc-status` other than 0 in the headers; an error a handler sends in trailers comes after the
    /// headers, too late to hold the token back).
    pub(crate) fn apply<B>(self, response: &mut Response<B>) {
        let refused_grpc = response
            .headers()
            .get(crate::grpc::GRPC_STATUS)
            .is_some_and(|status| status != "0");
        if response.status().is_success() && !refused_grpc {
            self.sliding.deliver(self.claims, self.plan, response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, ManualClock, MemoryStore, SigningKey, TokenIssuer};

    /// A policy on `POST /posts`, wired to sessions of issuer `t` (100 s tokens, 1000 s sessions).
    fn policy(clock: &ManualClock) -> Sliding {
        let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
            .issuer("t")
            .audience("a")
            .ttl(Duration::from_secs(100))
            .clock(clock.clone())
            .build()
            .unwrap();
        let sessions = Sessions::builder(issuer, MemoryStore::new())
            .max_session(Duration::from_secs(1000))
            .build()
            .unwrap();
        Sliding {
            policy: SlidingPolicy::new().action(Method::POST, "/posts"),
            sessions,
        }
    }

    fn token(iat: i64, exp: i64, auth_time: Option<i64>) -> TokenInfo {
        TokenInfo::for_tests("t", Some("s"), iat, exp, auth_time)
    }

    #[test]
    fn decision_table() {
        let clock = ManualClock::new(0);
        let p = policy(&clock);
        // (iat, exp, auth_time, now) → expected new exp
        let cases = [
            ((0, 100, None), 40, None),              // less than half elapsed
            ((0, 100, None), 50, None),              // exactly half: not more than half
            ((0, 100, None), 51, Some(151)),         // past half: now + ttl
            ((900, 1000, Some(0)), 960, Some(1000)), // capped at auth_time + max_session = exp: no gain
            ((900, 980, Some(0)), 950, Some(1000)),  // capped at the session end
            ((900, 1000, None), 960, Some(1060)),    // no auth_time: iat is the session start
            ((0, 100, Some(0)), 1000, None),         // cap reached
            ((0, 100, None), 100, None), // exp reached: inside the leeway, never renewed
            ((0, 100, None), 120, None), // exp passed
        ];
        for ((iat, exp, auth_time), now, expected) in cases {
            let got = p
                .decide(&token(iat, exp, auth_time), now)
                .map(|r| r.expires_at);
            let expected = expected.filter(|e| *e > exp);
            assert_eq!(
                got, expected,
                "iat {iat} exp {exp} auth_time {auth_time:?} now {now}"
            );
        }
        let p = Sliding {
            policy: p
                .policy
                .threshold(Threshold::Remaining(Duration::from_secs(10))),
            ..p
        };
        assert_eq!(p.decide(&token(0, 100, None), 89), None);
        assert_eq!(
            p.decide(&token(0, 100, None), 91).map(|r| r.expires_at),
            Some(191)
        );
    }

    #[test]
    fn only_session_tokens_of_the_issuer_slide() {
        let clock = ManualClock::new(0);
        let p = policy(&clock);
        let due = |iss: &str, sid: Option<&str>| {
            p.decide(&TokenInfo::for_tests(iss, sid, 0, 100, None), 60)
        };
        assert!(due("t", Some("s")).is_some());
        assert_eq!(
            due("t", None),
            None,
            "no session: revoking it could not stop a reissue"
        );
        assert_eq!(due("partner", Some("s")), None, "another issuer's token");
    }

    #[test]
    fn extreme_dates_saturate() {
        let clock = ManualClock::new(0);
        let p = policy(&clock);
        for (iat, exp, auth_time, now) in [
            (i64::MIN, i64::MAX, Some(i64::MAX), 0),
            (i64::MAX, i64::MAX, None, i64::MAX - 1),
            (i64::MIN, 10, Some(i64::MIN), i64::MIN + 1),
            (0, i64::MAX, Some(i64::MAX), i64::MAX - 5),
        ] {
            let _ = p.decide(&token(iat, exp, auth_time), now);
        }
        let p = Sliding {
            policy: p.policy.threshold(Threshold::Remaining(Duration::MAX)),
            ..p
        };
        let _ = p.decide(&token(0, i64::MAX, None), i64::MIN);
    }

    #[test]
    fn route_rules() {
        let clock = ManualClock::new(0);
        let p = policy(&clock).policy.action(Method::POST, "/payments/*");
        assert!(p.is_action(&Method::POST, "/posts"));
        assert!(!p.is_action(&Method::GET, "/posts"));
        assert!(!p.is_action(&Method::POST, "/posts/1"));
        assert!(p.is_action(&Method::POST, "/payments/42"));
        assert!(p.is_action(&Method::POST, "/payments/42/capture"));
        assert!(!p.is_action(&Method::POST, "/payments"));
        assert!(!p.is_action(&Method::POST, "/paymentsx/1"));
        let p = p.matcher(|m: &Method, path: &str| m == Method::PUT && path.ends_with("/pay"));
        assert!(p.is_action(&Method::PUT, "/orders/7/pay"));
    }
}
