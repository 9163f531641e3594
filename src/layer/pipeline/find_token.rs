//! Step 1: the one token a request carries, and how it came: the scheme, a cookie, a WebSocket handshake.

use http::{header, HeaderMap, Method, Uri};

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::config::AuthConfig;
use crate::token::source::{bearer_token_unchecked, is_b64token, parse_credentials};
use crate::token::websocket::{has_query_token, is_upgrade, protocol_token, query_token};

/// A token found in a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'r> {
    pub(crate) token: &'r str,
    pub(crate) via: Via,
    /// The `b64token` grammar is still to be checked (see [`Found::check_grammar`]).
    unchecked: bool,
}

/// How the token came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A configured source; `ambient` when the browser attaches it by itself (a cookie).
    Source { ambient: bool },
    /// `Authorization: DPoP …` (only looked for when the layer takes DPoP).
    Dpop,
    /// The `access_token` query parameter of a WebSocket handshake.
    Query,
    /// The `Sec-WebSocket-Protocol` pair of a WebSocket handshake.
    Protocol,
}

impl Found<'_> {
    /// Sent as `Authorization: DPoP …`.
    pub(crate) fn dpop(&self) -> bool {
        self.via == Via::Dpop
    }

    /// Attached by the browser itself (a cookie): the CSRF guard applies.
    pub(crate) fn ambient(&self) -> bool {
        self.via == Via::Source { ambient: true }
    }

    /// The bearer header's `b64token` grammar (RFC 6750 §2.1), checked unless `known`: a token found in the
    /// verified-token cache is one that passed it. It is the one check whose cost grows with the token on a
    /// cache hit, so a hit skips it.
    pub(crate) fn check_grammar(&self, known: bool) -> Result<(), AuthError> {
        match self.unchecked && !known && !is_b64token(self.token.as_bytes()) {
            true => Err(AuthErrorKind::Malformed.into()),
            false => Ok(()),
        }
    }
}

/// The token the request carries, if any. A token sent two ways (two sources, a source and the DPoP scheme,
/// or a source and an `access_token` query parameter the layer does not read) is malformed (RFC 6750 §2).
pub(crate) fn find_token<'r, C, R>(
    config: &AuthConfig<C, R>,
    method: &Method,
    headers: &'r HeaderMap,
    uri: &'r Uri,
) -> Result<Option<Found<'r>>, AuthError> {
    let mut found = None;
    let mut take_found = |token: Option<&'r str>, via: Via, unchecked: bool| match (token, found) {
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(AuthError::from(AuthErrorKind::Malformed)),
        (Some(token), None) => {
            found = Some(Found {
                token,
                via,
                unchecked,
            });
            Ok(())
        }
    };
    if config.bearer_header_only {
        let via = Via::Source { ambient: false };
        take_found(bearer_token_unchecked(headers)?, via, true)?;
    }
    let mut take = |token: Option<&'r str>, via: Via| take_found(token, via, false);
    for source in config.sources.iter().filter(|_| !config.bearer_header_only) {
        let ambient = source.ambient();
        take(source.extract(headers, uri)?, Via::Source { ambient })?;
    }
    if config.dpop.is_some() {
        take(dpop_token(headers)?, Via::Dpop)?;
    }
    let websocket = config.websocket;
    let upgrade = (websocket.query || websocket.protocol) && is_upgrade(method, headers);
    let read_query = upgrade && websocket.query;
    if read_query {
        take(query_token(uri)?, Via::Query)?;
    }
    if upgrade && websocket.protocol {
        take(protocol_token(headers)?, Via::Protocol)?;
    }
    if found.is_some() && !read_query && has_query_token(uri) {
        return Err(AuthErrorKind::Malformed.into());
    }
    Ok(found)
}

/// `Authorization: DPoP <token>` (RFC 9449 §7.1), with the bearer header's grammar.
fn dpop_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        // None, or several (which the bearer source refuses; alone, this one does).
        return match headers.get_all(header::AUTHORIZATION).iter().count() {
            0 => Ok(None),
            _ => Err(AuthErrorKind::Malformed.into()),
        };
    };
    parse_credentials(value.as_bytes(), b"dpop")
}

impl<C, R> AuthConfig<C, R> {
    /// Whether the request carries credentials this layer reads: a token (even a malformed one) that one of its
    /// sources, or its DPoP scheme, finds (a handshake's, when the layer reads them, is looked for as if the
    /// request were a `GET`). A per-route layer that sees them without a verified token knows it was placed
    /// outside this layer. (An `Authorization` header of another scheme, `Basic` say, is no token: the layer
    /// lets it through in optional mode, so it proves nothing.)
    pub(crate) fn carries_credentials(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        !matches!(find_token(self, &Method::GET, headers, uri), Ok(None))
    }
}
