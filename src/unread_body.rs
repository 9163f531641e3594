//! Answering a request without reading its body: on HTTP/1 the response says `Connection: close`.
//!
//! hyper 1.x writes a response as soon as the service returns it. If the service dropped the request body
//! unread, hyper notices only afterwards (its next read poll): it then drains what has already arrived and, if
//! the body is not complete yet — a client that sent its head and its body in two writes, or any client on a
//! loaded machine — closes the connection (`poll_drain_or_close_read` in `proto/h1/conn.rs`). The response
//! was already on the wire without `Connection: close`, so the client reuses the connection and its next
//! request gets no response at all. A refusal made without reading the body therefore announces the close
//! itself whenever the request has a body; hyper honours the header (it closes right after the response), and
//! the client knows to open a new connection. The refused body is never read: a refusal costs no buffering,
//! and the layer stays generic over request bodies.

use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Version};

/// Whether a request with this version and these headers has a body on an HTTP/1 connection (RFC 9112 §6.1:
/// a `Transfer-Encoding`, or a `Content-Length` other than 0). HTTP/2 and HTTP/3 frame bodies per stream:
/// an unread one never costs the connection there (and `Connection` is not allowed).
pub(crate) fn has_body(version: Version, headers: &HeaderMap) -> bool {
    let http1 = matches!(
        version,
        Version::HTTP_09 | Version::HTTP_10 | Version::HTTP_11
    );
    let length = headers.get(CONTENT_LENGTH).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
    });
    http1 && (headers.contains_key(TRANSFER_ENCODING) || length.is_some_and(|n| n != Some(0)))
}

/// Makes a response to a request whose body goes unread close its connection, and say so.
pub(crate) fn announce_close(headers: &mut HeaderMap) {
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http1_requests_with_a_body_have_one() {
        let with = |name, value| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            headers
        };
        assert!(has_body(Version::HTTP_11, &with(CONTENT_LENGTH, "12")));
        assert!(has_body(
            Version::HTTP_10,
            &with(TRANSFER_ENCODING, "chunked")
        ));
        assert!(has_body(Version::HTTP_11, &with(CONTENT_LENGTH, "x")));
        assert!(!has_body(Version::HTTP_11, &with(CONTENT_LENGTH, "0")));
        assert!(!has_body(Version::HTTP_11, &HeaderMap::new()));
        assert!(!has_body(Version::HTTP_2, &with(CONTENT_LENGTH, "12")));
    }
}
