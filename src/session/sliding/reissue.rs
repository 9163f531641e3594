//! A [`SlidingPolicy`] wired to its [`Sessions`]: deciding a reissue before the inner call, delivering it on the
//! response.

use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{HeaderMap, Response};
use serde_json::{Map, Value};

use crate::audit::AuditEventKind;
use crate::session::Sessions;
use crate::token::info::TokenInfo;

use super::policy::CookieDelivery;
use super::{Reissue, SameSite, SlidingPolicy};

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
        let text = |name: &str| claims_text(&claims, name).map(str::to_owned);
        let (subject, session_id) = (text("sub"), text("sid"));
        let Ok(token) = self.sessions.issuer().reissue(claims, plan.expires_at) else {
            return;
        };
        crate::stats::sliding_reissued();
        self.sessions.auditor().emit(
            self.sessions
                .audit_event(AuditEventKind::SlidingReissue)
                .subject(subject.as_deref())
                .session_id(session_id.as_deref()),
        );
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

/// A string claim of `claims`.
fn claims_text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
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
    use std::time::Duration;

    use http::Method;

    use super::*;
    use crate::session::sliding::Threshold;
    use crate::{clock::ManualClock, Algorithm, MemoryStore, SigningKey, TokenIssuer};

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
