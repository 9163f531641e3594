//! The JSON the crate answers with: public documents (protected resource metadata, the issuer's JWK Set) —
//! `GET` and `HEAD` answered with the document, anything else 405, [`document_service!`] writing the `Service`
//! impl — and the token endpoints' responses and OAuth errors, never cached.

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;

/// The answer to `request` for `body` (`content_type`, cacheable as `cache_control` says). The request's body
/// is never read: if it has one, the answer closes the connection (see [`unread_body`](crate::unread_body)).
pub(crate) fn respond<B>(
    request: &Request<B>,
    body: Bytes,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response<Full<Bytes>> {
    let method = request.method();
    let mut response = Response::new(Full::new(match *method {
        Method::GET => body,
        _ => Bytes::new(),
    }));
    if *method == Method::GET || *method == Method::HEAD {
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    } else {
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    if crate::unread_body::has_body(request.version(), request.headers()) {
        crate::unread_body::announce_close(response.headers_mut());
    }
    response
}

/// An OAuth error response (RFC 6749 §5.2), never cached.
pub(crate) fn oauth_error(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    json_response(status, serde_json::json!({ "error": code }).to_string())
}

/// An OAuth error answer with an `error_description` (RFC 6749 §5.2).
#[cfg(feature = "axum")]
pub(crate) fn described_oauth_error(
    status: StatusCode,
    code: &str,
    description: &str,
) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": code, "error_description": description });
    json_response(status, body.to_string())
}

/// A token endpoint's JSON answer: `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `impl Service` for a type that serves one JSON document: `$body` (an expression of `self`) is its bytes,
/// answered by [`respond`] with `$content_type` and `$cache_control`.
macro_rules! document_service {
    ($service:ty, |$this:ident| $body:expr, $content_type:expr, $cache_control:expr) => {
        impl<B> tower_service::Service<http::Request<B>> for $service {
            type Response = http::Response<http_body_util::Full<bytes::Bytes>>;
            type Error = std::convert::Infallible;
            type Future = std::future::Ready<Result<Self::Response, std::convert::Infallible>>;

            fn poll_ready(
                &mut self,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), std::convert::Infallible>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: http::Request<B>) -> Self::Future {
                let $this = &*self;
                std::future::ready(Ok($crate::well_known::document::respond(
                    &request,
                    $body,
                    $content_type,
                    $cache_control,
                )))
            }
        }
    };
}
pub(crate) use document_service;
