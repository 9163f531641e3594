//! [`CsrfTokens`]: signed double-submit tokens bound to a session, minted at login and refresh, checked by the
//! layer on every state-changing request authenticated by a cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderName;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::jose::random::random_bytes;

/// The request header that carries the CSRF token unless configured otherwise.
pub const DEFAULT_CSRF_HEADER: &str = "x-csrf-token";

/// The cookie that hands the CSRF token to the page's scripts unless configured otherwise (readable, not
/// `HttpOnly`; the `__Host-` prefix keeps sibling subdomains from planting one).
pub const DEFAULT_CSRF_COOKIE: &str = "__Host-csrf";

/// Signed double-submit CSRF tokens (OWASP's "signed double-submit cookie"): `<nonce>.<tag>`, where the tag is
/// HMAC-SHA256 under a server key of the session id (`sid`) and a fresh 128-bit nonce. A request passes when
/// its CSRF header equals its CSRF cookie and the tag verifies for the session of the token that authenticated
/// it, all compared in constant time. Someone who can plant a cookie (a sibling subdomain, a man in the middle
/// of plain http) can't mint a token for the victim's session without the key, and a token of their own session
/// fails against the victim's.
///
/// [`BrowserSessions`](crate::session::BrowserSessions) derive theirs from the sessions'
/// [`successor_key`](crate::SessionsBuilder::successor_key), so every instance sharing that key accepts the
/// others' tokens; the layer gets them with
/// [`JwtAuthBuilder::browser_sessions`](crate::JwtAuthBuilder::browser_sessions).
#[derive(Clone)]
pub struct CsrfTokens {
    key: [u8; 32],
    header: HeaderName,
    cookie: String,
}

impl std::fmt::Debug for CsrfTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfTokens")
            .field("header", &self.header)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl CsrfTokens {
    /// Tokens under the server `key`, carried in `header` and handed out in `cookie`.
    pub(crate) fn new(key: [u8; 32], header: HeaderName, cookie: String) -> Self {
        Self {
            key,
            header,
            cookie,
        }
    }

    /// A key derived from `material` (the sessions' successor key) for CSRF tokens only.
    pub(crate) fn derive_key(material: &[u8; 32]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(material).expect("HMAC takes any key length");
        mac.update(b"tower-jwt-auth csrf key\0");
        mac.finalize().into_bytes().into()
    }

    /// The request header the token must come in.
    pub fn header(&self) -> &HeaderName {
        &self.header
    }

    /// The cookie the token is handed out in (and must also come in).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// A fresh token for session `session_id`.
    pub fn mint(&self, session_id: &str) -> String {
        let nonce = URL_SAFE_NO_PAD.encode(random_bytes::<16>());
        let tag = URL_SAFE_NO_PAD.encode(self.tag(session_id, &nonce));
        format!("{nonce}.{tag}")
    }

    /// Whether `token` was minted for session `session_id` under this key (constant time in the tag).
    pub fn verify(&self, token: &str, session_id: &str) -> bool {
        let Some((nonce, tag)) = token.split_once('.') else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        nonce.len() == 22 && self.tag(session_id, nonce).ct_eq(&tag[..]).into()
    }

    /// Whether the header value and the cookie value are the same token, minted for `session_id`.
    pub(crate) fn check_double_submit(
        &self,
        header: Option<&[u8]>,
        cookie: Option<&str>,
        session_id: Option<&str>,
    ) -> bool {
        let (Some(header), Some(cookie), Some(session_id)) = (header, cookie, session_id) else {
            return false;
        };
        let same: bool = header.ct_eq(cookie.as_bytes()).into();
        same && self.verify(cookie, session_id)
    }

    fn tag(&self, session_id: &str, nonce: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"tower-jwt-auth csrf\0");
        mac.update(session_id.as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// `Sec-Fetch-Site: cross-site`: the browser says another site's page sent the request.
pub(crate) fn is_cross_site(headers: &http::HeaderMap) -> bool {
    headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|value| value.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(key: u8) -> CsrfTokens {
        CsrfTokens::new(
            [key; 32],
            HeaderName::from_static(DEFAULT_CSRF_HEADER),
            DEFAULT_CSRF_COOKIE.into(),
        )
    }

    #[test]
    fn tokens_are_bound_to_session_and_key() {
        let t = tokens(1);
        let token = t.mint("s1");
        assert!(t.verify(&token, "s1"));
        assert!(!t.verify(&token, "s2"), "another session's token");
        assert!(!tokens(2).verify(&token, "s1"), "another key's token");
        assert_ne!(token, t.mint("s1"), "fresh nonce each time");
        for forged in ["", ".", "abc", "abc.def", &token[1..], &format!("{token}x")] {
            assert!(!t.verify(forged, "s1"), "{forged}");
        }
        let b = token.as_bytes();
        assert!(t.check_double_submit(Some(b), Some(&token), Some("s1")));
        assert!(!t.check_double_submit(Some(b), None, Some("s1")));
        assert!(!t.check_double_submit(None, Some(&token), Some("s1")));
        assert!(!t.check_double_submit(Some(b), Some(&token), None));
        let other = t.mint("s1");
        assert!(!t.check_double_submit(Some(other.as_bytes()), Some(&token), Some("s1")));
    }
}
