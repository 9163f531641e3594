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

/// `POST` endpoint behind the verifying layer (which checked the access cookie and the CSRF token): revokes
/// the session of the verified token, as [`Sessions::logout`](crate::Sessions::logout), and answers 204 with
/// the three cookies cleared (`Max-Age=0`). Without a verified token in the request (mounted outside the
/// layer) it answers 401 `invalid_token` and changes nothing; 405 for other methods; 503 when the store is
/// down.
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

/// Rotates the cookies of the refresh cookie's session, once the CSRF token proves the page sent it.
async fn refresh(
    browser: BrowserSessions,
    method: Method,
    headers: HeaderMap,
) -> Response<Full<Bytes>> {
    if method != Method::POST {
        return method_not_allowed();
    }
    if super::csrf::is_cross_site(&headers) {
        return csrf_refused();
    }
    let Ok(Some(token)) = find_cookie(&headers, browser.refresh_cookie()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let Some(parsed) = RefreshToken::parse(token) else {
        return cleared(
            &browser,
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        );
    };
    let csrf = browser.csrf();
    let header = headers.get(csrf.header()).map(HeaderValue::as_bytes);
    let cookie = find_cookie(&headers, csrf.cookie()).ok().flatten();
    if !csrf.check_double_submit(header, cookie, Some(parsed.session_id())) {
        return csrf_refused();
    }
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

/// Revokes the verified token's session and clears the cookies.
async fn logout(
    browser: BrowserSessions,
    method: Method,
    info: Option<TokenInfo>,
) -> Response<Full<Bytes>> {
    if method != Method::POST {
        return method_not_allowed();
    }
    let Some(info) = info else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    match browser.sessions().logout(&info).await {
        Ok(()) => cleared(&browser, no_content()),
        Err(error @ SessionError::Unavailable(_)) => session_error(error),
        Err(_) => oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
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
    let info = request.extensions().get::<TokenInfo>().cloned();
    logout(browser, request.method().clone(), info)
});
