//! How the crate serves a public JSON document (protected resource metadata, the issuer's JWK Set): `GET` and
//! `HEAD` answered with the document, anything else 405.

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{Method, Response, StatusCode};
use http_body_util::Full;

/// The answer to a request for `body` (`content_type`, cacheable as `cache_control` says) with `method`.
pub(crate) fn respond(
    method: &Method,
    body: Bytes,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = match *method {
        Method::GET => Response::new(Full::new(body)),
        Method::HEAD => Response::new(Full::new(Bytes::new())),
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response
}
