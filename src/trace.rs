//! What the crate traces (feature `tracing`): one `jwt_auth` span per request through the layer, entered
//! while the layer decides and while the inner service answers, so the application's own events inside it
//! carry its fields. `sub` is recorded when a request is admitted, `reason` (the rejection kind, as in the
//! metrics) when it is refused — by the layer, a per-route requirement or an extractor. Never a token, never
//! a claim's value other than the subject. Without the feature all of this compiles away.

use crate::error::AuthError;
use crate::extension::TokenInfo;

/// The span of one request.
#[cfg(feature = "tracing")]
pub(crate) type RequestSpan = tracing::Span;

/// Without the `tracing` feature: nothing.
#[cfg(not(feature = "tracing"))]
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSpan;

/// A new request span (disabled, and cheap, when no subscriber wants `debug` spans of this crate).
pub(crate) fn request_span() -> RequestSpan {
    #[cfg(feature = "tracing")]
    return tracing::debug_span!(
        "jwt_auth",
        sub = tracing::field::Empty,
        reason = tracing::field::Empty
    );
    #[cfg(not(feature = "tracing"))]
    RequestSpan
}

/// No span: for services that are not the layer's (a per-route requirement records into the layer's span).
pub(crate) fn no_span() -> RequestSpan {
    #[cfg(feature = "tracing")]
    return tracing::Span::none();
    #[cfg(not(feature = "tracing"))]
    RequestSpan
}

/// Runs `f` inside `span`.
pub(crate) fn in_span<T>(span: &RequestSpan, f: impl FnOnce() -> T) -> T {
    #[cfg(feature = "tracing")]
    return span.in_scope(f);
    #[cfg(not(feature = "tracing"))]
    {
        let _ = span;
        f()
    }
}

/// A request was admitted: its subject goes into the current request span.
pub(crate) fn admitted(info: &TokenInfo) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("sub", info.subject().unwrap_or_default());
    let _ = info;
}

/// A request was refused: the reason goes into the current request span.
pub(crate) fn refused(error: &AuthError) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("reason", error.kind().label());
    let _ = error;
}
