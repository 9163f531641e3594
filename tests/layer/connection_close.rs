//! Refusals that leave a request body unread say `Connection: close`, over HTTP/1.0 and HTTP/1.1.

use crate::common;

use std::time::Duration;

use common::*;
use http::StatusCode;

/// `method uri` with these headers and body, over `version`.
fn request(
    method: &str,
    version: http::Version,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<String> {
    let mut request = http::Request::builder()
        .method(method)
        .uri("/refresh")
        .version(version);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.to_owned()).unwrap()
}

#[tokio::test]
async fn refusals_that_leave_a_body_unread_say_connection_close() {
    use tower::ServiceExt;
    let closes = |headers: &http::HeaderMap| {
        headers
            .get("connection")
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let with_body = [
        ("content-length", "2"),
        ("content-type", "application/json"),
    ];
    let chunked = [("transfer-encoding", "chunked")];
    let layer = hs256_layer();
    // The layer: a refused request with a body (by length or chunked) closes; one without a body, or on HTTP/2
    // (bodies framed per stream), keeps the connection.
    for headers in [&with_body[..], &chunked[..]] {
        let refused = send(
            &layer,
            request("POST", http::Version::HTTP_11, headers, "{}"),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            closes(refused.headers()).as_deref(),
            Some("close"),
            "{headers:?}"
        );
    }
    let empty = [("content-length", "0")];
    let refused = send(&layer, request("POST", http::Version::HTTP_11, &empty, "")).await;
    assert_eq!(closes(refused.headers()), None);
    let refused = send(
        &layer,
        request("POST", http::Version::HTTP_2, &with_body, "{}"),
    )
    .await;
    assert_eq!(closes(refused.headers()), None);

    // The crate's endpoints: a body refused unread (another content type, a GET) closes; a body read and then
    // refused (not a refresh token) keeps the connection.
    let f = common::sessions::fixture(Duration::from_secs(0));
    let refresh = tower_jwt_auth::session::RefreshEndpoint::new(f.sessions.clone());
    let text = [("content-length", "2"), ("content-type", "text/plain")];
    let unread = (refresh.clone())
        .oneshot(request("POST", http::Version::HTTP_11, &text, "{}"))
        .await
        .unwrap();
    assert_eq!(
        (unread.status(), closes(unread.headers()).as_deref()),
        (StatusCode::BAD_REQUEST, Some("close"))
    );
    let read = (refresh.clone())
        .oneshot(request("POST", http::Version::HTTP_11, &with_body, "{}"))
        .await
        .unwrap();
    assert_eq!(
        (read.status(), closes(read.headers())),
        (StatusCode::BAD_REQUEST, None)
    );
    let jwks = tower_jwt_auth::issuer::JwksEndpoint::new(f.sessions.issuer().clone());
    let unread = (jwks.clone())
        .oneshot(request("POST", http::Version::HTTP_11, &with_body, "{}"))
        .await
        .unwrap();
    assert_eq!(
        (unread.status(), closes(unread.headers()).as_deref()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("close"))
    );
    let get = jwks
        .oneshot(request("GET", http::Version::HTTP_11, &[], ""))
        .await
        .unwrap();
    assert_eq!(
        (get.status(), closes(get.headers())),
        (StatusCode::OK, None)
    );
}
