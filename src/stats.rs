//! What the crate counts and times, through the `metrics` facade (feature `metrics`); without the feature these
//! are empty and compile away. Names follow Envoy's `jwt_authn` statistics; every name is listed in the crate
//! docs' Metrics section. No label ever carries a token, a subject or any other claim value.

#[cfg(feature = "metrics")]
use ::metrics::{counter, gauge, histogram};

use std::time::Duration;

use crate::error::AuthErrorKind;

/// A request was admitted with a verified token.
#[inline]
pub(crate) fn allowed() {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_allowed_total").increment(1);
}

/// A request was rejected, for this reason (the layer, a per-route requirement, or an extractor).
pub(crate) fn denied(kind: AuthErrorKind) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_denied_total", "reason" => kind.label()).increment(1);
    let _ = kind;
}

/// A CORS preflight passed unauthenticated (`bypass_cors_preflight`).
pub(crate) fn cors_preflight_bypassed() {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_cors_preflight_bypassed_total").increment(1);
}

/// The verified-token cache answered (`hit`) or a full verification ran.
#[inline]
pub(crate) fn token_cache(hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        counter!("jwt_auth_token_cache_hit_total").increment(1);
    } else {
        counter!("jwt_auth_token_cache_miss_total").increment(1);
    }
    let _ = hit;
}

/// A JWKS fetch ended; on success, the set holds `keys` keys.
#[cfg_attr(not(feature = "jwks"), allow(dead_code))]
pub(crate) fn jwks_fetch(keys: Option<usize>) {
    #[cfg(feature = "metrics")]
    match keys {
        Some(keys) => {
            counter!("jwt_auth_jwks_fetch_success_total").increment(1);
            gauge!("jwt_auth_jwks_keys").set(keys as f64);
        }
        None => counter!("jwt_auth_jwks_fetch_failed_total").increment(1),
    }
    let _ = keys;
}

/// A refresh ended: `rotated`, `retried`, `reused` or `invalid`.
pub(crate) fn refresh(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_refresh_total", "outcome" => outcome).increment(1);
    let _ = outcome;
}

/// A sliding action's response carried a reissued token.
pub(crate) fn sliding_reissued() {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_sliding_reissued_total").increment(1);
}

/// A session-store call ended (`operation`: `create_session`, `rotate`, `revoke_*`, `list_sessions`,
/// `find_session`, `refresh_token_state`), with its latency.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) fn store_call(operation: &'static str, elapsed: Duration, ok: bool) {
    #[cfg(feature = "metrics")]
    {
        histogram!("jwt_auth_store_call_seconds", "operation" => operation)
            .record(elapsed.as_secs_f64());
        if !ok {
            counter!("jwt_auth_store_errors_total", "operation" => operation).increment(1);
        }
    }
    let _ = (operation, elapsed, ok);
}

/// A back-channel logout ended: `revoked`, `refused` (invalid or replayed) or `unavailable` (a store failed).
pub(crate) fn backchannel_logout(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_backchannel_logout_total", "outcome" => outcome).increment(1);
    let _ = outcome;
}

/// A token was looked up through a remote introspection endpoint: `hit` (answered by the cache), `call` (an
/// answer came back), `failure` (no usable answer: unreachable, timed out, malformed).
#[cfg_attr(not(feature = "introspection"), allow(dead_code))]
pub(crate) fn introspection(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_introspection_total", "outcome" => outcome).increment(1);
    let _ = outcome;
}

/// The introspection endpoint answered: `active`, `inactive` or `unauthorized` (client authentication failed).
pub(crate) fn introspection_served(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_introspection_served_total", "outcome" => outcome).increment(1);
    let _ = outcome;
}

/// An audit event was reported (`event`: its kind's name).
pub(crate) fn audit_event(event: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_audit_events_total", "event" => event).increment(1);
    let _ = event;
}

/// Refresh-token reuse was detected (and its session revoked).
pub(crate) fn reuse_detected() {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_refresh_reuse_detected_total").increment(1);
}

/// An [`AuditChannel`](crate::audit::AuditChannel) dropped an event (queue full or receiver gone).
pub(crate) fn audit_dropped() {
    #[cfg(feature = "metrics")]
    counter!("jwt_auth_audit_dropped_total").increment(1);
}
