//! Sessions for browsers (the backend-for-frontend pattern): the pair travels in cookies that page scripts
//! can't read, and a CSRF token bound to the session guards every state-changing request.
//!
//! [`BrowserSessions`] deliver a login or a refresh as three cookies — the access token (`__Host-access`,
//! `HttpOnly; Secure; SameSite=Strict; Path=/`), the refresh token (`__Secure-refresh`, `HttpOnly; Secure;
//! SameSite=Strict`, only on the refresh and logout paths) and a CSRF token (`__Host-csrf`, readable by the
//! page) — and clear them at logout. [`JwtAuthBuilder::browser_sessions`](crate::JwtAuthBuilder::browser_sessions)
//! makes the layer read the access cookie and check the CSRF token ([`CsrfTokens`]).
//!
//! ```
//! use axum::{routing::post, Router};
//! use tower_jwt_auth::session::BrowserSessions;
//! use tower_jwt_auth::{Algorithm, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer};
//!
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
//!     .issuer("app")
//!     .audience("app")
//!     .build()
//!     .unwrap();
//! let sessions = Sessions::builder(issuer, MemoryStore::new()).build().unwrap();
//! // The refresh cookie is sent only below /auth: POST /auth/refresh and /auth/logout.
//! let browser = BrowserSessions::builder(&sessions, "/auth").build().unwrap();
//! let auth = JwtAuthLayer::builder()
//!     .sessions(&sessions)
//!     .browser_sessions(&browser)
//!     .build()
//!     .unwrap();
//! let app: Router = Router::new()
//!     .route_service("/auth/logout", browser.logout_endpoint())
//!     .layer(auth)
//!     .route_service("/auth/refresh", browser.refresh_endpoint());
//! # let _ = app;
//! ```

mod cookies;
mod csrf;
mod endpoints;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, HeaderName, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;

use crate::error::ConfigError;
use crate::session::refresh_token::RefreshToken;
use crate::session::{LoginOptions, SessionError, Sessions, TokenPair};

use cookies::CookieNames;
pub(crate) use cookies::SetCookie;
pub use cookies::{DEFAULT_ACCESS_COOKIE, DEFAULT_REFRESH_COOKIE};
pub(crate) use csrf::is_cross_site;
pub use csrf::{CsrfTokens, DEFAULT_CSRF_COOKIE, DEFAULT_CSRF_HEADER};
pub use endpoints::{BrowserLogoutEndpoint, BrowserRefreshEndpoint};

/// [`Sessions`] whose pairs are delivered as cookies, with their CSRF tokens. Cloning is cheap. Build with
/// [`BrowserSessions::builder`].
#[derive(Debug, Clone)]
pub struct BrowserSessions {
    sessions: Sessions,
    names: std::sync::Arc<CookieNames>,
    csrf: CsrfTokens,
}

/// Configures [`BrowserSessions`]: cookie names (`__Host-`/`__Secure-` prefixed by default) and the CSRF
/// header. Every cookie is `Secure` and `SameSite=Strict`; that is not configurable.
#[derive(Debug)]
pub struct BrowserSessionsBuilder {
    sessions: Sessions,
    names: CookieNames,
    header: HeaderName,
}

impl BrowserSessions {
    /// Starts configuring browser sessions over `sessions`; the refresh cookie is sent only to `refresh_path`
    /// and below (mount the refresh and logout endpoints there).
    pub fn builder(sessions: &Sessions, refresh_path: impl Into<String>) -> BrowserSessionsBuilder {
        BrowserSessionsBuilder {
            sessions: sessions.clone(),
            names: CookieNames {
                access: DEFAULT_ACCESS_COOKIE.to_owned(),
                refresh: DEFAULT_REFRESH_COOKIE.to_owned(),
                refresh_path: refresh_path.into(),
                csrf: DEFAULT_CSRF_COOKIE.to_owned(),
            },
            header: HeaderName::from_static(DEFAULT_CSRF_HEADER),
        }
    }

    /// The sessions behind the cookies.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The CSRF tokens the cookies carry and the layer checks.
    pub fn csrf(&self) -> &CsrfTokens {
        &self.csrf
    }

    /// The access token cookie's name.
    pub fn access_cookie(&self) -> &str {
        &self.names.access
    }

    /// The refresh token cookie's name.
    pub fn refresh_cookie(&self) -> &str {
        &self.names.refresh
    }

    /// Logs `subject` in (as [`Sessions::login_with_options`]) and answers 204 with the three cookies and
    /// `Cache-Control: no-store`: the response for a browser login route once the credentials are checked.
    pub async fn login<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
        options: LoginOptions,
    ) -> Result<Response<Full<Bytes>>, SessionError> {
        let pair = self
            .sessions
            .login_with_options(subject, claims, options)
            .await?;
        let mut response = no_content();
        self.set_cookies(&pair, response.headers_mut());
        Ok(response)
    }

    /// Appends the three `Set-Cookie` headers of `pair` (a login's or a refresh's) to `headers`, with a fresh
    /// CSRF token for its session, and `Cache-Control: no-store`.
    pub fn set_cookies(&self, pair: &TokenPair, headers: &mut HeaderMap) {
        let Some(refresh) = RefreshToken::parse(pair.refresh_token()) else {
            return;
        };
        let refresh_age = self.sessions.refresh_ttl_secs();
        let csrf = self.csrf.mint(refresh.session_id());
        let names = &self.names;
        for (name, value, path, max_age, http_only) in [
            (
                &names.access,
                pair.access_token(),
                "/",
                pair.expires_in(),
                true,
            ),
            (
                &names.refresh,
                pair.refresh_token(),
                names.refresh_path.as_str(),
                refresh_age,
                true,
            ),
            (&names.csrf, csrf.as_str(), "/", refresh_age, false),
        ] {
            SetCookie {
                name,
                value,
                path,
                max_age,
                http_only,
            }
            .append_to(headers);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    /// Appends the three `Set-Cookie` headers that clear the cookies (`Max-Age=0`).
    pub fn clear_cookies(&self, headers: &mut HeaderMap) {
        self.names.clear(headers);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    /// The access cookie a sliding reissue renews.
    pub(crate) fn access_cookie_for<'a>(&'a self, token: &'a str, max_age: i64) -> SetCookie<'a> {
        SetCookie {
            name: &self.names.access,
            value: token,
            path: "/",
            max_age,
            http_only: true,
        }
    }

    /// The POST endpoint that rotates the refresh cookie (see [`BrowserRefreshEndpoint`]).
    pub fn refresh_endpoint(&self) -> BrowserRefreshEndpoint {
        BrowserRefreshEndpoint::new(self.clone())
    }

    /// The POST endpoint that logs out and clears the cookies (see [`BrowserLogoutEndpoint`]).
    pub fn logout_endpoint(&self) -> BrowserLogoutEndpoint {
        BrowserLogoutEndpoint::new(self.clone())
    }
}

impl BrowserSessionsBuilder {
    /// The access token cookie's name (default [`DEFAULT_ACCESS_COOKIE`]; always `Path=/`).
    pub fn access_cookie(mut self, name: impl Into<String>) -> Self {
        self.names.access = name.into();
        self
    }

    /// The refresh token cookie's name (default [`DEFAULT_REFRESH_COOKIE`]; its path is the builder's).
    pub fn refresh_cookie(mut self, name: impl Into<String>) -> Self {
        self.names.refresh = name.into();
        self
    }

    /// The CSRF cookie's name (default [`DEFAULT_CSRF_COOKIE`]; always `Path=/`, readable by scripts).
    pub fn csrf_cookie(mut self, name: impl Into<String>) -> Self {
        self.names.csrf = name.into();
        self
    }

    /// The request header the CSRF token must come in (default [`DEFAULT_CSRF_HEADER`]).
    pub fn csrf_header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// Checks the names and paths: valid cookie names, three different ones, a `__Host-` cookie only on
    /// `Path=/`, an absolute refresh path ([`ConfigError`] otherwise).
    pub fn build(self) -> Result<BrowserSessions, ConfigError> {
        self.names.check()?;
        let key = CsrfTokens::derive_key(self.sessions.successor_key());
        let csrf = CsrfTokens::new(key, self.header, self.names.csrf.clone());
        Ok(BrowserSessions {
            sessions: self.sessions,
            names: std::sync::Arc::new(self.names),
            csrf,
        })
    }
}

/// 204 with `Cache-Control: no-store`.
fn no_content() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
