//! Step 1: the one token a request carries, and the scheme it came with.

use http::{header, HeaderMap, Uri};

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::config::AuthConfig;
use crate::token::source::{parse_credentials, TokenSource};

/// A token found in a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'r> {
    pub(crate) token: &'r str,
    /// Sent as `Authorization: DPoP …` (only looked for when the layer takes DPoP).
    pub(crate) dpop: bool,
}

/// The token the request carries, if any. A token sent two ways (two sources, a source and the DPoP scheme,
/// or a source and an `access_token` query parameter) is malformed (RFC 6750 §2).
pub(crate) fn find_token<'r>(
    sources: &[Box<dyn TokenSource>],
    with_dpop: bool,
    headers: &'r HeaderMap,
    uri: &'r Uri,
) -> Result<Option<Found<'r>>, AuthError> {
    let mut found = None;
    for source in sources {
        if let Some(token) = source.extract(headers, uri)? {
            if found.is_some() {
                return Err(AuthErrorKind::Malformed.into());
            }
            found = Some(Found { token, dpop: false });
        }
    }
    if with_dpop {
        if let Some(token) = dpop_token(headers)? {
            if found.is_some() {
                return Err(AuthErrorKind::Malformed.into());
            }
            found = Some(Found { token, dpop: true });
        }
    }
    if found.is_some() && has_query_token(uri) {
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

fn has_query_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

impl<C, R> AuthConfig<C, R> {
    /// Whether the request carries credentials this layer reads: a token (even a malformed one) that one of its
    /// sources, or its DPoP scheme, finds. A per-route layer that sees them without a verified token knows it
    /// was placed outside this layer. (An `Authorization` header of another scheme, `Basic` say, is no token:
    /// the layer lets it through in optional mode, so it proves nothing.)
    pub(crate) fn carries_credentials(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        !matches!(
            find_token(&self.sources, self.dpop.is_some(), headers, uri),
            Ok(None)
        )
    }
}
