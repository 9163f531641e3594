//! Where the token comes from: the `Authorization: Bearer` header (default), a named cookie, or your own source.

use std::any::Any;
use std::fmt;

use http::header::HeaderName;
use http::{header, HeaderMap, Uri};

use crate::error::{AuthError, AuthErrorKind};

/// Finds the access token in a request.
///
/// Return `Ok(None)` when this source holds no token, `Ok(Some(token))` when it does, and an
/// [`AuthErrorKind::Malformed`] error when it holds one in a malformed way. When several sources are configured
/// and more than one yields a token, the request is refused with 400 `invalid_request` (RFC 6750 §2: one method
/// per request). A closure becomes a source with [`token_source_fn`].
///
/// ```
/// use http::{HeaderMap, Uri};
/// use tower_jwt_auth::{AuthError, token::TokenSource};
///
/// /// Reads the token from a custom `X-Api-Token` header.
/// #[derive(Debug)]
/// struct ApiTokenHeader;
///
/// impl TokenSource for ApiTokenHeader {
///     fn extract<'r>(&self, headers: &'r HeaderMap, _uri: &'r Uri) -> Result<Option<&'r str>, AuthError> {
///         Ok(headers.get("x-api-token").and_then(|v| v.to_str().ok()))
///     }
/// }
/// ```
pub trait TokenSource: Any + fmt::Debug + Send + Sync {
    /// The token this source finds in the request, if any.
    fn extract<'r>(
        &self,
        headers: &'r HeaderMap,
        uri: &'r Uri,
    ) -> Result<Option<&'r str>, AuthError>;

    /// The request headers this source reads tokens from: the layer marks them sensitive, so tracing and
    /// logging layers further in redact them (none by default).
    fn headers(&self) -> &[HeaderName] {
        &[]
    }

    /// How this source takes tokens, as RFC 9728's `bearer_methods_supported` names it (`header`, `body`,
    /// `query`), or `None` (a cookie, a custom header): what [`JwtAuthLayer::resource_metadata`]
    /// advertises.
    ///
    /// [`JwtAuthLayer::resource_metadata`]: crate::JwtAuthLayer::resource_metadata
    fn bearer_method(&self) -> Option<&'static str> {
        None
    }

    /// Whether the browser attaches this credential by itself (a cookie): then a request authenticated by it
    /// may have been sent by another site's page, and the layer's CSRF guard checks every such request that
    /// changes state (see [`JwtAuthBuilder::browser_sessions`](crate::JwtAuthBuilder::browser_sessions)).
    /// `false` by default; [`CookieSource`] says `true`, and so must any source of yours that reads a cookie.
    fn ambient(&self) -> bool {
        false
    }
}

/// A [`TokenSource`] made of a closure, as tower's `service_fn` makes a service: see [`token_source_fn`].
#[derive(Clone, Copy)]
pub struct TokenSourceFn<F>(F);

impl<F> fmt::Debug for TokenSourceFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenSourceFn").finish_non_exhaustive()
    }
}

/// A token source from a closure `Fn(&HeaderMap, &Uri) -> Result<Option<&str>, AuthError>` (the token borrows
/// from the request, which a closure can only say through this function's signature).
///
/// ```
/// use tower_jwt_auth::{token::token_source_fn, Algorithm, JwtAuthLayer, VerificationKey};
///
/// let layer = JwtAuthLayer::builder()
///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
///     .issuer("https://auth.example.com")
///     .audience("api")
///     // The token of a custom `X-Api-Token` header.
///     .token_source(token_source_fn(|headers, _uri| {
///         Ok(headers.get("x-api-token").and_then(|v| v.to_str().ok()))
///     }))
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub fn token_source_fn<F>(source: F) -> TokenSourceFn<F>
where
    F: for<'r> Fn(&'r HeaderMap, &'r Uri) -> Result<Option<&'r str>, AuthError>
        + Send
        + Sync
        + 'static,
{
    TokenSourceFn(source)
}

impl<F> TokenSource for TokenSourceFn<F>
where
    F: for<'r> Fn(&'r HeaderMap, &'r Uri) -> Result<Option<&'r str>, AuthError>
        + Send
        + Sync
        + 'static,
{
    fn extract<'r>(
        &self,
        headers: &'r HeaderMap,
        uri: &'r Uri,
    ) -> Result<Option<&'r str>, AuthError> {
        (self.0)(headers, uri)
    }
}

/// The `Authorization: Bearer <token>` header (RFC 6750 §2.1), the default source.
///
/// The scheme is matched case-insensitively; one or more spaces separate it from the token, which must follow
/// the `b64token` grammar. Two `Authorization` headers, an empty token, extra parts or non-ASCII bytes are
/// refused as malformed (400). An `Authorization` header with another scheme (say `Basic`) counts as no token.
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerHeader;

impl TokenSource for BearerHeader {
    fn headers(&self) -> &[HeaderName] {
        std::slice::from_ref(&header::AUTHORIZATION)
    }

    fn bearer_method(&self) -> Option<&'static str> {
        Some("header")
    }

    fn extract<'r>(
        &self,
        headers: &'r HeaderMap,
        _uri: &'r Uri,
    ) -> Result<Option<&'r str>, AuthError> {
        bearer_value(headers)?.map_or(Ok(None), parse_bearer)
    }
}

/// The one `Authorization` header's value, if any (two are malformed).
#[inline]
fn bearer_value(headers: &HeaderMap) -> Result<Option<&[u8]>, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthErrorKind::Malformed.into());
    }
    Ok(Some(value.as_bytes()))
}

/// [`BearerHeader`]'s token as bytes, with every check but the `b64token` grammar (and so UTF-8), which the
/// caller must make unless the bytes are those of a token it verified before (see [`bearer_text`]).
#[inline]
pub(crate) fn bearer_token_unchecked(headers: &HeaderMap) -> Result<Option<&[u8]>, AuthError> {
    bearer_value(headers)?.map_or(Ok(None), |value| split_credentials(value, b"bearer"))
}

/// The checks [`bearer_token_unchecked`] left: the `b64token` grammar, hence text.
pub(crate) fn bearer_text(token: &[u8]) -> Result<&str, AuthError> {
    match is_b64token(token) {
        // `is_b64token` admits only ASCII, so this never fails.
        true => std::str::from_utf8(token).map_err(|_| AuthErrorKind::Malformed.into()),
        false => Err(AuthErrorKind::Malformed.into()),
    }
}

/// Parses one `Authorization` header value: `Bearer 1*SP b64token`.
pub(crate) fn parse_bearer(value: &[u8]) -> Result<Option<&str>, AuthError> {
    parse_credentials(value, b"bearer")
}

/// Parses one `Authorization` header value of the (lower-case) `scheme`: `scheme 1*SP b64token`; another
/// scheme is no token.
pub(crate) fn parse_credentials<'v>(
    value: &'v [u8],
    scheme: &[u8],
) -> Result<Option<&'v str>, AuthError> {
    split_credentials(value, scheme)?.map_or(Ok(None), |token| bearer_text(token).map(Some))
}

/// [`parse_credentials`] without the `b64token` grammar: the scheme, the spaces, a non-empty token.
#[inline]
fn split_credentials<'v>(value: &'v [u8], scheme: &[u8]) -> Result<Option<&'v [u8]>, AuthError> {
    let scheme_len = value
        .iter()
        .position(|b| matches!(b, b' ' | b'\t'))
        .unwrap_or(value.len());
    if !value[..scheme_len].eq_ignore_ascii_case(scheme) {
        return Ok(None);
    }
    let rest = &value[scheme_len..];
    let token_start = rest.iter().position(|b| *b != b' ').unwrap_or(rest.len());
    let token = &rest[token_start..];
    match token.is_empty() {
        true => Err(AuthErrorKind::Malformed.into()),
        false => Ok(Some(token)),
    }
}

/// One `b64token` body character: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`. Written as three
/// ranges and three equalities without branches (`-./0-9` are one range, 0x2D–0x39), so the scan below runs
/// sixteen bytes at a time: it runs on every request, over the whole token, and its cost grows with the token
/// (an RS256 token is twice an ES256 one), so it is kept to a few vector operations per byte.
fn is_b64token_char(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'-') < 13)
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    body_len > 0
        && token[..body_len]
            .iter()
            .fold(true, |ok, b| ok & is_b64token_char(*b))
}

/// A token in a named cookie, for browser clients (opt-in).
///
/// Cookies travel with every request a browser makes, so a layer with this source guards against CSRF: a
/// request it authenticates with a method that changes state must carry a CSRF token bound to its session (see
/// [`JwtAuthBuilder::browser_sessions`](crate::JwtAuthBuilder::browser_sessions), which also issues the cookies
/// `Secure`, `HttpOnly` and `SameSite=Strict`). Keep state-changing routes on non-GET methods (RFC 6750 §5.3).
///
/// ```
/// use tower_jwt_auth::token::CookieSource;
/// let source = CookieSource::new("access_token").unwrap();
/// assert_eq!(source.name(), "access_token");
/// ```
#[derive(Debug, Clone)]
pub struct CookieSource {
    name: String,
}

impl CookieSource {
    /// Reads the cookie called `name` (an RFC 6265 token: visible ASCII without separators).
    pub fn new(name: impl Into<String>) -> Result<Self, crate::ConfigError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !valid {
            return Err(crate::ConfigError::InvalidName {
                setting: "CookieSource::new",
                name,
            });
        }
        Ok(Self { name })
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl TokenSource for CookieSource {
    fn headers(&self) -> &[HeaderName] {
        std::slice::from_ref(&header::COOKIE)
    }

    fn extract<'r>(
        &self,
        headers: &'r HeaderMap,
        _uri: &'r Uri,
    ) -> Result<Option<&'r str>, AuthError> {
        find_cookie(headers, &self.name)
    }

    fn ambient(&self) -> bool {
        true
    }
}

/// The value of the one cookie called `name` in the request's `Cookie` headers: none, or malformed (400) when
/// it comes twice, empty, or outside the `b64token` grammar (a planted duplicate is never silently chosen).
pub(crate) fn find_cookie<'r>(
    headers: &'r HeaderMap,
    name: &str,
) -> Result<Option<&'r str>, AuthError> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            let Some((key, token)) = pair.trim().split_once('=') else {
                continue;
            };
            if key != name {
                continue;
            }
            if found.is_some() || token.is_empty() || !is_b64token(token.as_bytes()) {
                return Err(AuthErrorKind::Malformed.into());
            }
            found = Some(token);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_grammar() {
        type Case<'a> = (&'a [u8], Result<Option<&'a str>, AuthErrorKind>);
        let cases: &[Case<'_>] = &[
            (b"Bearer abc.def.ghi", Ok(Some("abc.def.ghi"))),
            (b"bearer abc.def.ghi", Ok(Some("abc.def.ghi"))),
            (b"BEARER abc", Ok(Some("abc"))),
            (b"Bearer   abc", Ok(Some("abc"))),
            (b"Bearer abc==", Ok(Some("abc=="))),
            (b"Bearer a-b_c~d+e/f", Ok(Some("a-b_c~d+e/f"))),
            (b"Basic dXNlcjpwYXNz", Ok(None)),
            (b"Bearerabc", Ok(None)),
            (b"Bearer", Err(AuthErrorKind::Malformed)),
            (b"Bearer ", Err(AuthErrorKind::Malformed)),
            (b"Bearer a b", Err(AuthErrorKind::Malformed)),
            (b"Bearer a,b", Err(AuthErrorKind::Malformed)),
            (b"Bearer \"abc\"", Err(AuthErrorKind::Malformed)),
            (b"Bearer =abc", Err(AuthErrorKind::Malformed)),
            (b"Bearer ==", Err(AuthErrorKind::Malformed)),
            (b"Bearer\tabc", Err(AuthErrorKind::Malformed)),
            (b"Bearer ab\xc3\xa9", Err(AuthErrorKind::Malformed)),
        ];
        for (input, expected) in cases {
            let got = parse_bearer(input).map_err(|e| e.kind());
            assert_eq!(&got, expected, "input {:?}", String::from_utf8_lossy(input));
        }
    }

    /// The branch-free class equals RFC 6750's grammar for every byte.
    #[test]
    fn b64token_class_is_the_rfc_grammar() {
        for b in 0..=u8::MAX {
            let rfc = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_b64token_char(b), rfc, "byte {b:#04x}");
        }
    }

    #[test]
    fn cookie_source_finds_named_cookie() {
        let source = CookieSource::new("at").unwrap();
        let uri = Uri::from_static("/");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; at=x.y.z; b=2".parse().unwrap());
        assert_eq!(source.extract(&headers, &uri).unwrap(), Some("x.y.z"));
        headers.append(header::COOKIE, "at=other".parse().unwrap());
        assert_eq!(
            source.extract(&headers, &uri).unwrap_err().kind(),
            AuthErrorKind::Malformed
        );
        assert!(CookieSource::new("bad name").is_err());
    }
}
