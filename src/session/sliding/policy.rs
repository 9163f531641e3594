//! [`SlidingPolicy`]: which requests are actions, when a token is due, and how the new one is delivered.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderName;
use http::Method;

use super::action_path::ActionPath;
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

/// One `METHOD path` rule: the path as given, and its parsed form (or why it can never match, reported by
/// [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build)).
#[derive(Debug, Clone)]
pub(super) struct Route {
    method: Method,
    path: String,
    parsed: Result<ActionPath, String>,
}

impl Route {
    fn matches(&self, method: &Method, path: &str) -> bool {
        *method == self.method && self.parsed.as_ref().is_ok_and(|p| p.matches(path))
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
pub(super) struct CookieDelivery {
    pub(super) name: String,
    pub(super) same_site: SameSite,
    pub(super) path: String,
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
    pub(super) threshold: Threshold,
    pub(super) routes: Vec<Route>,
    pub(super) matcher: Option<Arc<dyn ActionMatcher>>,
    pub(super) header: Option<HeaderName>,
    pub(super) cookie: Option<CookieDelivery>,
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
    /// A policy with no actions yet, the half-lifetime threshold, and delivery in the
    /// [`DEFAULT_SLIDING_HEADER`]. Add actions with [`action`](Self::action) or [`matcher`](Self::matcher):
    /// a policy without any is refused by [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build), as nothing
    /// would ever slide.
    pub fn new() -> Self {
        Self {
            threshold: Threshold::HalfLifetime,
            routes: Vec::new(),
            matcher: None,
            header: Some(HeaderName::from_static(DEFAULT_SLIDING_HEADER)),
            cookie: None,
        }
    }

    /// Adds an action: `method` on `path`, written as axum 0.8 routes are. Segments match exactly, except
    /// `{name}`, which matches any one non-empty segment (`/posts/{id}` matches `/posts/7`), and a last
    /// `{*name}` or `*`, which matches any non-empty rest (`/payments/*` matches `/payments/9` and
    /// `/payments/9/refund`, not `/payments/`).
    ///
    /// A path that could never match a request is refused by
    /// [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build) with [`ConfigError::SlidingAction`], which says
    /// what to write instead: one without a leading `/`, axum 0.7's `:id` and `*rest` (write `{id}` and
    /// `{*rest}`), a parameter that is not a whole segment (`/files/{name}.txt`), or a rest that is not last.
    /// Use [`matcher`](Self::matcher) for other shapes.
    ///
    /// `path` is the full path the client requested. With the `axum` feature the layer reads it from axum
    /// 0.8's `OriginalUri`, so `/api/posts` matches also when the layer sits on a router nested at `/api`
    /// (which sees `/posts`); without axum, rules match the path the layer's service receives.
    pub fn action(mut self, method: Method, path: impl Into<String>) -> Self {
        let path = path.into();
        self.routes.push(Route {
            method,
            parsed: ActionPath::parse(&path),
            path,
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

    /// Checks what the setters deferred: a delivery is configured, the cookie name is valid, and there are
    /// actions, each of which can match a request.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.header.is_none() && self.cookie.is_none() {
            return Err(ConfigError::Missing(
                "SlidingPolicy: a delivery for the renewed token: call .header(..) or .cookie(..)",
            ));
        }
        if let Some(cookie) = &self.cookie {
            CookieSource::new(cookie.name.clone())
                .map_err(|e| e.in_setting("SlidingPolicy::cookie"))?;
        }
        if self.routes.is_empty() && self.matcher.is_none() {
            return Err(ConfigError::SlidingAction {
                path: None,
                problem: "the policy has no actions, so no token would ever slide; add one with \
                          .action(Method::POST, \"/posts/{id}\") per action, or a .matcher(..)"
                    .to_owned(),
            });
        }
        for route in &self.routes {
            if let Err(problem) = &route.parsed {
                return Err(ConfigError::SlidingAction {
                    path: Some(route.path.clone()),
                    problem: problem.clone(),
                });
            }
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
    /// `auth_time` counts its `iat` as the session start; a token with `session_exp` (a session that stepped up)
    /// is never renewed beyond it; without `iat` or `exp` nothing is reissued. (The layer
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
        // A step-up moves `auth_time` forward, never the session's end: its tokens carry that end.
        let cap = session_start
            .saturating_add(sessions.max_session_secs())
            .min(token.session_expires_at().unwrap_or(i64::MAX));
        let expires_at = now.saturating_add(issuer.ttl_secs()).min(cap);
        (expires_at > exp && expires_at > now).then_some(Reissue {
            expires_at,
            session_start,
        })
    }
}
