//! Step 3: whether a sliding action's response gets a fresh token.

use std::sync::Arc;

use http::{Method, Uri};

use crate::jose::jws::{decode_segment, CompactJws};
use crate::session::sliding::{PendingReissue, Sliding};
use crate::token::cache::CachedToken;

/// A sliding reissue, when this request is an action and the token is due. Only tokens verified by the
/// sliding issuer's own key are candidates (a remote or partner token passes through unchanged). A token that
/// came by cookie (`by_cookie`) is renewed only where a cookie can take it (see [`Sliding::deliver`]).
#[inline]
pub(crate) fn plan_reissue<C>(
    sliding: Option<&Arc<Sliding>>,
    method: &Method,
    uri: &Uri,
    token: &str,
    verified: &CachedToken<C>,
    now: i64,
    by_cookie: bool,
) -> Option<Box<PendingReissue>> {
    let sliding = sliding?;
    if !verified.info.is_own_token() || !sliding.policy.is_action(method, uri.path()) {
        return None;
    }
    if by_cookie && !sliding.delivers_cookie() {
        return None;
    }
    let plan = sliding.decide(&verified.info, now)?;
    let payload = decode_segment(CompactJws::split(token).ok()?.payload).ok()?;
    let claims = serde_json::from_slice(&payload).ok()?;
    Some(Box::new(PendingReissue {
        sliding: Arc::clone(sliding),
        claims,
        plan,
        by_cookie,
    }))
}
