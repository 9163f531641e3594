//! The three cookies of a browser session: names, paths, and the `Set-Cookie` values that set and clear them.

use http::header::{self, HeaderValue};
use http::HeaderMap;

use crate::error::ConfigError;
use crate::token::CookieSource;

/// The access token cookie's name unless configured otherwise.
pub const DEFAULT_ACCESS_COOKIE: &str = "__Host-access";

/// The refresh token cookie's name unless configured otherwise.
pub const DEFAULT_REFRESH_COOKIE: &str = "__Secure-refresh";

/// Names and paths of the cookies (checked by [`BrowserSessionsBuilder::build`](super::BrowserSessionsBuilder)).
#[derive(Debug, Clone)]
pub(crate) struct CookieNames {
    pub(crate) access: String,
    pub(crate) refresh: String,
    pub(crate) refresh_path: String,
    pub(crate) csrf: String,
}

/// One cookie to set: every cookie is `Secure; SameSite=Strict`; the token cookies are `HttpOnly` too.
pub(crate) struct SetCookie<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
    pub(crate) path: &'a str,
    pub(crate) max_age: i64,
    pub(crate) http_only: bool,
}

impl SetCookie<'_> {
    /// Appends the `Set-Cookie` header (marked sensitive: it may carry a token).
    pub(crate) fn append_to(&self, headers: &mut HeaderMap) {
        let http_only = if self.http_only { "; HttpOnly" } else { "" };
        let value = format!(
            "{}={}; Max-Age={}; Path={}; Secure{http_only}; SameSite=Strict",
            self.name,
            self.value,
            self.max_age.max(0),
            self.path
        );
        if let Ok(mut value) = HeaderValue::from_str(&value) {
            value.set_sensitive(true);
            headers.append(header::SET_COOKIE, value);
        }
    }
}

impl CookieNames {
    /// Checks the names (RFC 6265 tokens) and the prefix rules browsers enforce: a `__Host-` cookie has
    /// `Path=/`, a `__Secure-` or `__Host-` one is `Secure` (always, here).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        for (setting, name) in [
            ("BrowserSessionsBuilder::access_cookie", &self.access),
            ("BrowserSessionsBuilder::refresh_cookie", &self.refresh),
            ("BrowserSessionsBuilder::csrf_cookie", &self.csrf),
        ] {
            CookieSource::new(name.clone()).map_err(|e| e.in_setting(setting))?;
        }
        let path_ok = self.refresh_path.starts_with('/')
            && self
                .refresh_path
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',');
        if !path_ok {
            return Err(ConfigError::InvalidName {
                setting:
                    "BrowserSessionsBuilder::refresh_cookie (path: absolute, visible ASCII, no `;`)",
                name: self.refresh_path.clone(),
            });
        }
        if self.refresh.starts_with("__Host-") && self.refresh_path != "/" {
            return Err(ConfigError::Conflict(
                "BrowserSessionsBuilder::refresh_cookie: a `__Host-` cookie must have Path=/ (browsers drop it \
                 otherwise), and the refresh cookie belongs on the refresh and logout paths only: name it \
                 `__Secure-…`",
            ));
        }
        if [&self.refresh, &self.csrf].contains(&&self.access) || self.refresh == self.csrf {
            return Err(ConfigError::Conflict(
                "BrowserSessionsBuilder: the access, refresh and CSRF cookies need three different names",
            ));
        }
        Ok(())
    }

    /// The three `Set-Cookie` headers that clear the cookies (`Max-Age=0`, same names and paths).
    pub(crate) fn clear(&self, headers: &mut HeaderMap) {
        for (name, path, http_only) in [
            (&self.access, "/", true),
            (&self.refresh, self.refresh_path.as_str(), true),
            (&self.csrf, "/", false),
        ] {
            SetCookie {
                name,
                value: "",
                path,
                max_age: 0,
                http_only,
            }
            .append_to(headers);
        }
    }
}
