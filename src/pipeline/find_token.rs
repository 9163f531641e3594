//! Step 1: the one token a request carries.

use http::{HeaderMap, Uri};

use crate::error::{AuthError, AuthErrorKind};
use crate::token::source::TokenSource;

/// The token the request carries, if any. A token sent two ways (two sources, or a source and an
/// `access_token` query parameter) is malformed (RFC 6750 §2).
pub(crate) fn find_token<'r>(
    sources: &[Box<dyn TokenSource>],
    headers: &'r HeaderMap,
    uri: &'r Uri,
) -> Result<Option<&'r str>, AuthError> {
    let mut found = None;
    for source in sources {
        if let Some(token) = source.extract(headers, uri)? {
            if found.is_some() {
                return Err(AuthErrorKind::Malformed.into());
            }
            found = Some(token);
        }
    }
    if found.is_some() && has_query_token(uri) {
        return Err(AuthErrorKind::Malformed.into());
    }
    Ok(found)
}

fn has_query_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}
