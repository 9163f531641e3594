//! The cookie endpoints: [`BrowserRefreshEndpoint`] rotates the three cookies, [`BrowserLogoutEndpoint`]
//! revokes the session and clears them. Plain tower services, as the JSON endpoints are.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use tower_service::Service;

use super::{no_content, BrowserSessions};
use crate::session::endpoint::session_error;
use crate::session::refresh_token::RefreshToken;
use crate::session::{RefreshOptions, SessionError};
use crate::token::source::find_cookie;
use crate::well_known::document::oauth_error;
use crate::TokenInfo;

type EndpointFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

/// `POST` endpoint that rotates a browser session's cookies: the refresh cookie (sent by the browser to this
/// path only) and the CSRF header, equal to the CSRF cookie and bound to the refresh token's session. Answers
/// 204 with all three cookies renewed (a fresh CSRF token too) and `Cache-Control: no-store`; 400
/// `invalid_grant` for a bad, expired or reused refresh cookie (reuse revokes the session, as
/// [`Sessions::refresh`](crate::Sessions::refresh)) and then clears the cookies; 400 `invalid_request` without
/// a refresh cookie; 403 `invalid_csrf_token` for a missing or wrong CSRF token or `Sec-Fetch-Site:
/// cross-site`, before anything changes; 405 for other methods; 503 when the store is down. Mount it outside
/// the verifying layer: it runs when the access cookie has expired.
#[derive(Debug, Clone)]
pub struct BrowserRefreshEndpoint {
    browser: BrowserSessions,
}

/// `POST` endpoint that revokes a browser session and answers 204 with the three cookies cleared (`Max-Age=0`).
///
/// Behind the verifying layer (which checked the access cookie and the CSRF token) it revokes the session of
/// the verified token, as [`Sessions::logout`](crate::Sessions::logout). Without a verified token (mounted
/// outside the layer, say on the refresh path, so a user whose access cookie has expired can still log out) it
/// takes the refresh cookie instead, with the same CSRF rule as [`BrowserRefreshEndpoint`], and revokes its
/// session as [`Sessions::revoke`](crate::Sessions::revoke); without either, 401 `invalid_token` and nothing
/// changes. 403 `invalid_csrf_token` as for a refresh; 405 for other methods; 503 when the store is down.
#[derive(Debug, Clone)]
pub struct BrowserLogoutEndpoint {
    browser: BrowserSessions,
}

impl BrowserRefreshEndpoint {
    pub(super) fn new(browser: BrowserSessions) -> Self {
        Self { browser }
    }
}

impl BrowserLogoutEndpoint {
    pub(super) fn new(browser: BrowserSessions) -> Self {
        Self { browser }
    }
}

fn method_not_allowed() -> Response<Full<Bytes>> {
    let mut response = oauth_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

fn csrf_refused() -> Response<Full<Bytes>> {
    oauth_error(StatusCode::FORBIDDEN, "invalid_csrf_token")
}

/// Why a request's refresh cookie is not taken.
enum CookieRefusal {
    /// No refresh cookie (or a malformed `Cookie` header).
    Missing,
    /// A refresh cookie that is no refresh token: 400 `invalid_grant`, cookies cleared.
    NotARefreshToken,
    /// Cross-site, or without the CSRF token of the refresh token's session: 403 `invalid_csrf_token`.
    Csrf,
}

impl CookieRefusal {
    /// The answer, with `missing` for a request without a refresh cookie.
    fn answer(
        self,
        browser: &BrowserSessions,
        missing: fn() -> Response<Full<Bytes>>,
    ) -> Response<Full<Bytes>> {
        match self {
            Self::Missing => missing(),
            Self::NotARefreshToken => cleared(
                browser,
                oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
            ),
            Self::Csrf => csrf_refused(),
        }
    }
}

/// The refresh cookie of a request the page sent: not cross-site, with the CSRF header equal to the CSRF
/// cookie and minted for the refresh token's session.
fn refresh_cookie<'h>(
    browser: &BrowserSessions,
    headers: &'h HeaderMap,
) -> Result<&'h str, CookieRefusal> {
    if super::csrf::is_cross_site(headers) {
        return Err(CookieRefusal::Csrf);
    }
    let Ok(Some(token)) = find_cookie(headers, browser.refresh_cookie()) else {
        return Err(CookieRefusal::Missing);
    };
    let parsed = RefreshToken::parse(token).ok_or(CookieRefusal::NotARefreshToken)?;
    let csrf = browser.csrf();
    let header = headers.get(csrf.header()).map(HeaderValue::as_bytes);
    let cookie = find_cookie(headers, csrf.cookie()).ok().flatten();
    match csrf.check_double_submit(header, cookie, Some(parsed.session_id())) {
        true => Ok(token),
        false => Err(CookieRefusal::Csrf),
    }
}

fn invalid_request() -> Response<Full<Bytes>> {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request")
}

fn invalid_token() -> Response<Full<Bytes>> {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_token")
}

/// Rotates the cookies of the refresh cookie's session, once the CSRF token proves the page sent it.
async fn refresh(
    browser: BrowserSessions,
    method: Method,
    headers: HeaderMap,
) -> Response<Full<Bytes>> {
    if method != Method::POST {
        return method_not_allowed();
    }
    let token = match refresh_cookie(&browser, &headers) {
        Ok(token) => token,
        Err(refusal) => return refusal.answer(&browser, invalid_request),
    };
    let mut options = RefreshOptions::new();
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        options = options.user_agent(agent);
    }
    match browser
        .sessions()
        .refresh_with_options(token, options)
        .await
    {
        Ok(pair) => {
            let mut response = no_content();
            browser.set_cookies(&pair, response.headers_mut());
            response
        }
        Err(error @ SessionError::Unavailable(_)) => session_error(error),
        Err(error) => cleared(&browser, session_error(error)),
    }
}

/// The response, with the cookies cleared: the session behind them is over.
fn cleared(
    browser: &BrowserSessions,
    mut response: Response<Full<Bytes>>,
) -> Response<Full<Bytes>> {
    browser.clear_cookies(response.headers_mut());
    response
}

/// Revokes the verified token's session, or else the refresh cookie's, and clears the cookies.
async fn logout(
    browser: BrowserSessions,
    method: Method,
    headers: HeaderMap,
    info: Option<TokenInfo>,
) -> Response<Full<Bytes>> {
    if method != Method::POST {
        return method_not_allowed();
    }
    let revoked = match info {
        Some(info) => browser.sessions().logout(&info).await,
        None => match refresh_cookie(&browser, &headers) {
            Ok(token) => browser.sessions().revoke(token).await.map(drop),
            Err(refusal) => return refusal.answer(&browser, invalid_token),
        },
    };
    match revoked {
        Ok(()) => cleared(&browser, no_content()),
        Err(error @ SessionError::Unavailable(_)) => session_error(error),
        Err(_) => invalid_request(),
    }
}

/// Implements `Service` for an endpoint that reads only the request head: `$run` answers, and a request body
/// left unread closes the connection (see [`unread_body`](crate::unread_body)).
macro_rules! head_endpoint {
    ($endpoint:ident, |$browser:ident, $request:ident| $run:expr) => {
        impl<B> Service<Request<B>> for $endpoint {
            type Response = Response<Full<Bytes>>;
            type Error = Infallible;
            type Future = EndpointFuture;

            fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, $request: Request<B>) -> Self::Future {
                let $browser = self.browser.clone();
                let unread = crate::unread_body::has_body($request.version(), $request.headers());
                let answer = $run;
                Box::pin(async move {
                    let mut response = answer.await;
                    if unread {
                        crate::unread_body::announce_close(response.headers_mut());
                    }
                    Ok(response)
                })
            }
        }
    };
}

head_endpoint!(BrowserRefreshEndpoint, |browser, request| {
    let (parts, _) = request.into_parts();
    refresh(browser, parts.method, parts.headers)
});
head_endpoint!(BrowserLogoutEndpoint, |browser, request| {
    let (parts, _) = request.into_parts();
    let info = parts.extensions.get::<TokenInfo>().cloned();
    logout(browser, parts.method, parts.headers, info)
});
