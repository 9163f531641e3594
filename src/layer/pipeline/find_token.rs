//! Step 1: the one token a request carries, and how it came: the scheme, a cookie, a WebSocket handshake.

use http::{header, HeaderMap, Method, Uri};

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::config::AuthConfig;
use crate::token::source::{bearer_text, bearer_token_unchecked, parse_credentials};
use crate::token::websocket::{has_query_token, is_upgrade, protocol_token, query_token};

/// A token found in a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'r> {
    /// The token's bytes, as the request carries them.
    pub(crate) bytes: &'r [u8],
    /// The token as checked text; `None` while the default bearer header's grammar waits (see [`Found::text`]).
    text: Option<&'r str>,
    pub(crate) via: Via,
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

impl<'r> Found<'r> {
    /// Sent as `Authorization: DPoP …`.
    pub(crate) fn dpop(&self) -> bool {
        self.via == Via::Dpop
    }

    /// Attached by the browser itself (a cookie): the CSRF guard applies.
    pub(crate) fn ambient(&self) -> bool {
        self.via == Via::Source { ambient: true }
    }

    /// The token as text. The default bearer header's token is checked (its `b64token` grammar, RFC 6750 §2.1)
    /// only here, and only when the verified-token cache did not know its bytes (`cached`, the cached token's
    /// text): a cached token passed the checks when it was verified. They are the checks whose cost grows with
    /// the token, so a cache hit costs the same for a short HS256 token as for a long RS256 one.
    pub(crate) fn text<'t>(&self, cached: Option<&'t str>) -> Result<&'t str, AuthError>
    where
        'r: 't,
    {
        match (self.text, cached) {
            (Some(text), _) => Ok(text),
            (None, Some(text)) => Ok(text),
            (None, None) => bearer_text(self.bytes),
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
    let mut take_found =
        |bytes: Option<&'r [u8]>, text: Option<&'r str>, via: Via| match (bytes, found) {
            (None, _) => Ok(()),
            (Some(_), Some(_)) => Err(AuthError::from(AuthErrorKind::Malformed)),
            (Some(bytes), None) => {
                found = Some(Found { bytes, text, via });
                Ok(())
            }
        };
    if config.bearer_header_only {
        let via = Via::Source { ambient: false };
        take_found(bearer_token_unchecked(headers)?, None, via)?;
    }
    let mut take =
        |token: Option<&'r str>, via: Via| take_found(token.map(str::as_bytes), token, via);
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
