//! Reading every request body before routing, within a size and time bound.

use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::Response;

use crate::handlers::error_response;

/// The largest request body the demo takes, and how long it waits for one.
const MAX_BODY: usize = 64 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads every request body (up to [`MAX_BODY`], within [`BODY_TIMEOUT`]) before routing, so the keep-alive
/// connection stays usable whatever answers: a handler that ignores its body (`POST /posts`), routing's 405, a
/// refusal. hyper closes a connection whose request body was dropped unread and had not fully arrived — after a
/// response that did not say so (README, "Where the layer goes"). A larger or slower body gets 413 or 408 with
/// `Connection: close`.
pub(crate) async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let status = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY))
        .await
    {
        Ok(Ok(body)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(body));
            return next.run(request).await;
        }
        Ok(Err(_)) => StatusCode::PAYLOAD_TOO_LARGE,
        Err(_) => StatusCode::REQUEST_TIMEOUT,
    };
    let mut response = error_response(status, "invalid_request");
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}
