//! Tokens of WebSocket handshakes, which browsers can't give an `Authorization` header: the `access_token`
//! query parameter (RFC 6750 §2.3) and the `Sec-WebSocket-Protocol` pair `access_token, <token>`. Both are
//! read only from upgrade requests (`GET` with `Upgrade: websocket`), and only when the layer opts in
//! ([`JwtAuthBuilder::websocket_query_token`](crate::JwtAuthBuilder::websocket_query_token),
//! [`JwtAuthBuilder::websocket_protocol_token`](crate::JwtAuthBuilder::websocket_protocol_token)).

use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::error::{AuthError, AuthErrorKind};
use crate::token::source::is_b64token;

/// The subprotocol that announces a token in `Sec-WebSocket-Protocol`, and the one the answer selects.
pub const ACCESS_TOKEN_PROTOCOL: &str = "access_token";

/// The query parameter that carries a token (RFC 6750 §2.3).
const QUERY_PARAMETER: &str = "access_token";

/// Which WebSocket token sources a layer reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WebSocketTokens {
    pub(crate) query: bool,
    pub(crate) protocol: bool,
}

/// A WebSocket opening handshake: `GET` with an `Upgrade` header naming `websocket` (RFC 6455 §4.1).
pub(crate) fn is_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::GET
        && headers.get_all(header::UPGRADE).iter().any(|value| {
            value
                .as_bytes()
                .split(|b| *b == b',')
                .any(|item| item.trim_ascii().eq_ignore_ascii_case(b"websocket"))
        })
}

/// Whether the query names an `access_token` parameter at all.
#[inline]
pub(crate) fn has_query_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some(QUERY_PARAMETER))
    })
}

/// The one `access_token` query parameter: none, or malformed (400) when repeated, empty, or outside the
/// `b64token` grammar (a JWT needs no percent-encoding, so none is decoded).
pub(crate) fn query_token(uri: &Uri) -> Result<Option<&str>, AuthError> {
    let mut found = None;
    for pair in uri.query().unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != QUERY_PARAMETER {
            continue;
        }
        if found.is_some() || value.is_empty() || !is_b64token(value.as_bytes()) {
            return Err(AuthErrorKind::Malformed.into());
        }
        found = Some(value);
    }
    Ok(found)
}

/// The item after `access_token` in the one `Sec-WebSocket-Protocol` header: none without that item,
/// malformed (400) when no `b64token` follows it, or the header comes twice.
pub(crate) fn protocol_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(header::SEC_WEBSOCKET_PROTOCOL).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let Ok(text) = value.to_str() else {
        return Ok(None);
    };
    let mut items = text.split(',').map(str::trim);
    if !items.any(|item| item == ACCESS_TOKEN_PROTOCOL) {
        return Ok(None);
    }
    if values.next().is_some() {
        return Err(AuthErrorKind::Malformed.into());
    }
    match items.next() {
        Some(token) if is_b64token(token.as_bytes()) => Ok(Some(token)),
        _ => Err(AuthErrorKind::Malformed.into()),
    }
}

/// The URI without its `access_token` parameter, for the inner service and whatever logs behind it.
pub(crate) fn redact_query(uri: &Uri) -> Uri {
    let Some(query) = uri.query() else {
        return uri.clone();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(QUERY_PARAMETER))
        .collect();
    let path = match kept.is_empty() {
        true => uri.path().to_owned(),
        false => format!("{}?{}", uri.path(), kept.join("&")),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path.parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("/"))
}

/// The `Sec-WebSocket-Protocol` header without the token, so the inner service sees only `access_token`
/// (which it may select) and the other subprotocols offered.
pub(crate) fn strip_protocol_token(headers: &mut HeaderMap) {
    let Some(text) = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let mut items: Vec<&str> = Vec::new();
    let mut skip_next = false;
    for item in text.split(',').map(str::trim) {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        skip_next = item == ACCESS_TOKEN_PROTOCOL;
        items.push(item);
    }
    if let Ok(value) = HeaderValue::from_str(&items.join(", ")) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
}

/// Selects the `access_token` subprotocol in a handshake's answer that selected none, as browsers require
/// when they offered subprotocols.
pub(crate) fn answer_protocol(headers: &mut HeaderMap) {
    headers
        .entry(header::SEC_WEBSOCKET_PROTOCOL)
        .or_insert(HeaderValue::from_static(ACCESS_TOKEN_PROTOCOL));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(
            query_token(&uri("/ws?a=1&access_token=x.y.z")).unwrap(),
            Some("x.y.z")
        );
        assert_eq!(query_token(&uri("/ws?a=1")).unwrap(), None);
        for bad in [
            "/ws?access_token=",
            "/ws?access_token=a&access_token=b",
            "/ws?access_token=a%20b",
        ] {
            assert!(query_token(&uri(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            redact_query(&uri("/ws?a=1&access_token=x&b=2")),
            "/ws?a=1&b=2"
        );
        assert_eq!(redact_query(&uri("/ws?access_token=x")), "/ws");
    }

    #[test]
    fn protocol_tokens() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::SEC_WEBSOCKET_PROTOCOL, v.parse().unwrap());
            h
        };
        assert_eq!(
            protocol_token(&headers("access_token, x.y.z")).unwrap(),
            Some("x.y.z")
        );
        assert_eq!(protocol_token(&headers("chat, v2")).unwrap(), None);
        assert!(protocol_token(&headers("access_token")).is_err());
        assert_eq!(
            protocol_token(&headers("access_token, a, chat")).unwrap(),
            Some("a")
        );
        let mut h = headers("chat, access_token, x.y.z");
        strip_protocol_token(&mut h);
        assert_eq!(h[header::SEC_WEBSOCKET_PROTOCOL], "chat, access_token");
    }
}
