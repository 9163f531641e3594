//! Browser clients: the access cookie of [`BrowserSessions`] with its CSRF guard, and the token sources of
//! WebSocket handshakes.

use super::{JwtAuthBuilder, Settings};
use crate::error::ConfigError;
use crate::session::{BrowserSessions, CsrfTokens};
use crate::token::source::CookieSource;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Reads the access token from the cookie of `browser` too (beside the current sources), and guards every
    /// request it authenticates: one that changes state (any method but `GET`, `HEAD`, `OPTIONS`, `TRACE`)
    /// must carry the CSRF header equal to the CSRF cookie and minted for the token's session ([`CsrfTokens`],
    /// constant-time), and one that says `Sec-Fetch-Site: cross-site` — a WebSocket handshake included — is
    /// refused; either refusal is 403 `invalid_csrf_token` through the layer's responder. Requests
    /// authenticated by an `Authorization` header are not concerned. A sliding reissue of a token that came by
    /// cookie renews the access cookie (`Set-Cookie` only, never the reissue header).
    ///
    /// The CSRF token is bound to the token's session (`sid`): a cookie token without one can't pass the guard
    /// on a state-changing request (every token [`BrowserSessions`] deliver has one). Wire the same sessions
    /// with [`sessions`](Self::sessions): the cookie's tokens are theirs.
    pub fn browser_sessions(mut self, browser: &BrowserSessions) -> Self {
        match CookieSource::new(browser.access_cookie()) {
            Ok(source) => self.settings.sources.push(Box::new(source)),
            Err(e) => return self.fail(e.in_setting("JwtAuthBuilder::browser_sessions")),
        }
        self.settings.browser = Some(browser.clone());
        self
    }

    /// Opt-out of the CSRF guard for a layer with a cookie source ([`cookie`](Self::cookie), a
    /// [`CookieSource`], or any source whose [`ambient`](crate::token::TokenSource::ambient) is `true`) and no
    /// [`browser_sessions`](Self::browser_sessions) to take the CSRF tokens from: without it such a layer is a
    /// build error. Any page on any site can then make a browser send state-changing requests with the user's
    /// cookie (CSRF); rely on this only behind a guard of your own.
    pub fn allow_cookies_without_csrf(mut self) -> Self {
        self.settings.cookies_without_csrf = true;
        self
    }

    /// Reads the `access_token` query parameter of WebSocket handshakes (RFC 6750 §2.3), which browsers can't
    /// give an `Authorization` header: `GET` requests with `Upgrade: websocket` only — on any other request the
    /// parameter is no token (and beside another token, still a malformed request). The layer removes the
    /// parameter from the URI the inner service sees. URLs end up in proxy and access logs: prefer
    /// [`websocket_protocol_token`](Self::websocket_protocol_token) or the cookie where the client can.
    pub fn websocket_query_token(mut self) -> Self {
        self.settings.websocket.query = true;
        self
    }

    /// Reads the token of WebSocket handshakes offered as the subprotocol pair `access_token, <token>` in
    /// `Sec-WebSocket-Protocol` (`new WebSocket(url, ["access_token", token])`): `GET` requests with `Upgrade:
    /// websocket` only. The inner service sees the header without the token; a handshake answer that selected
    /// no subprotocol gets `Sec-WebSocket-Protocol: access_token`, as browsers require.
    pub fn websocket_protocol_token(mut self) -> Self {
        self.settings.websocket.protocol = true;
        self
    }
}

impl Settings {
    /// The CSRF guard: the browser sessions' tokens; none without a cookie source; a build error for a cookie
    /// source without them, unless opted out.
    pub(super) fn csrf_guard(&self) -> Result<Option<CsrfTokens>, ConfigError> {
        if let Some(browser) = &self.browser {
            return Ok(Some(browser.csrf().clone()));
        }
        if self.cookies_without_csrf || !self.sources.iter().any(|s| s.ambient()) {
            return Ok(None);
        }
        Err(ConfigError::Missing(
            "JwtAuthBuilder: a CSRF guard for the cookie source: wire .browser_sessions(..), whose CSRF tokens the \
             layer then checks on every state-changing request authenticated by cookie, or call \
             .allow_cookies_without_csrf() on purpose",
        ))
    }
}
