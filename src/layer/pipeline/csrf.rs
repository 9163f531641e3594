//! Step 2a: the CSRF guard. A request authenticated by a cookie that changes state (any method but `GET`,
//! `HEAD`, `OPTIONS`, `TRACE`) must carry the CSRF header, equal to the CSRF cookie and bound to the verified
//! token's session; such a request is refused outright when the browser says `Sec-Fetch-Site: cross-site`, and a
//! WebSocket handshake authenticated by a cookie (which can carry no header) also when it says `same-site`. Checked after the token is verified (a bad token is a
//! 401 whatever its CSRF token) and before the requirements.

use http::header::HeaderValue;
use http::{HeaderMap, Method};

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::find_token::Found;
use crate::session::CsrfTokens;
use crate::token::info::TokenInfo;
use crate::token::source::find_cookie;
use crate::token::websocket::is_upgrade;

/// What a guarded request shows, taken before verification (owned: the check may run after a key fetch).
#[derive(Debug, Clone)]
pub(crate) struct CsrfEvidence {
    cross_site: bool,
    /// The header and cookie values, for a state-changing request (a handshake can't carry a header).
    double_submit: Option<(Option<HeaderValue>, Option<String>)>,
}

/// The evidence the guard needs from this request: `None` when the token did not come by cookie, the method
/// is safe and the request is no WebSocket handshake, or the layer opted out of the guard.
#[inline]
pub(crate) fn csrf_evidence(
    guard: Option<&CsrfTokens>,
    found: &Found<'_>,
    method: &Method,
    headers: &HeaderMap,
) -> Option<CsrfEvidence> {
    let guard = guard.filter(|_| found.ambient())?;
    let safe = matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe && !is_upgrade(method, headers) {
        return None;
    }
    let double_submit = (!safe).then(|| {
        let cookie = find_cookie(headers, guard.cookie()).ok().flatten();
        (
            headers.get(guard.header()).cloned(),
            cookie.map(str::to_owned),
        )
    });
    // A handshake can carry no CSRF header: a cookie-authenticated one must come from the service's own
    // origin, so a sibling subdomain (`same-site`) can't open a socket with the victim's cookie either.
    let cross_site = crate::session::browser_is_cross_site(headers)
        || (safe && sent_from(headers, b"same-site"));
    Some(CsrfEvidence {
        cross_site,
        double_submit,
    })
}

/// Whether the browser says (`Sec-Fetch-Site`) the request comes from `site`.
fn sent_from(headers: &HeaderMap, site: &[u8]) -> bool {
    headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|value| value.as_bytes().eq_ignore_ascii_case(site))
}

/// Refuses a guarded request of the verified token `info` that came cross-site or without its session's
/// CSRF token (403 `invalid_csrf_token`).
#[inline]
pub(crate) fn check_csrf(
    guard: Option<&CsrfTokens>,
    evidence: Option<&CsrfEvidence>,
    info: &TokenInfo,
) -> Result<(), AuthError> {
    let (Some(guard), Some(evidence)) = (guard, evidence) else {
        return Ok(());
    };
    let refused = evidence.cross_site
        || evidence
            .double_submit
            .as_ref()
            .is_some_and(|(header, cookie)| {
                !guard.check_double_submit(
                    header.as_ref().map(HeaderValue::as_bytes),
                    cookie.as_deref(),
                    info.session_id(),
                )
            });
    match refused {
        true => Err(AuthErrorKind::InvalidCsrfToken.into()),
        false => Ok(()),
    }
}
