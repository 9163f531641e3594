//! Step 5a: a WebSocket handshake admitted with a token of its own sources hands the inner service a request
//! without that token (the query parameter removed from the URI and from axum's `OriginalUri`, the
//! subprotocol pair cut to `access_token`), and its
//! `101` answer selects the `access_token` subprotocol when the inner service selected none.

use http::{Request, Response, StatusCode};

use crate::layer::pipeline::config::AuthConfig;
use crate::token::websocket::{
    answer_protocol, has_query_token, is_upgrade, protocol_token, redact_query,
    strip_protocol_token,
};

/// Takes the handshake's token out of an admitted request; returns whether the answer must select the
/// `access_token` subprotocol (the token came in `Sec-WebSocket-Protocol`).
#[inline]
pub(crate) fn hand_over<C, R, B>(config: &AuthConfig<C, R>, request: &mut Request<B>) -> bool {
    let sources = config.websocket;
    if !(sources.query || sources.protocol) || !is_upgrade(request.method(), request.headers()) {
        return false;
    }
    if sources.query && has_query_token(request.uri()) {
        *request.uri_mut() = redact_query(request.uri());
        // axum's router keeps the URI it was given, for handlers and logs further in: redacted too.
        #[cfg(feature = "axum")]
        if let Some(original) = request
            .extensions_mut()
            .get_mut::<axum::extract::OriginalUri>()
        {
            original.0 = redact_query(&original.0);
        }
    }
    let by_protocol = sources.protocol && matches!(protocol_token(request.headers()), Ok(Some(_)));
    if by_protocol {
        strip_protocol_token(request.headers_mut());
    }
    by_protocol
}

/// Selects `access_token` in a `101 Switching Protocols` answer that selected no subprotocol.
pub(crate) fn select_protocol<B>(response: &mut Response<B>) {
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        answer_protocol(response.headers_mut());
    }
}
