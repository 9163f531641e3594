//! What the crate traces (feature `tracing`): one `jwt_auth` span per request through the layer, entered
//! while the layer decides and while the inner service's future runs, so the application's own events inside
//! it carry its fields. `sub` is recorded when a request is admitted, `reason` (the rejection kind, as in the
//! metrics) when it is refused — by the layer, a per-route requirement or an extractor. Values are recorded
//! into this span itself (never into whatever span is current), and only when a subscriber enabled it; the
//! services further in find it in the request's extensions. Never a token, never a claim's value other than
//! the subject — except inside the rejection event's `detail`, serde's message for claims that do not fit the
//! claims type, which quotes a mistyped value as serde does. Without the feature all of this compiles away.

use http::Extensions;

use crate::error::AuthError;

/// What the layer says, once, the first time it refuses a CORS preflight (feature `tracing`). One per layer:
/// a second layer misplaced the same way warns on its own.
#[derive(Debug, Default)]
pub(crate) struct PreflightWarning {
    #[cfg(feature = "tracing")]
    given: std::sync::atomic::AtomicBool,
}

impl PreflightWarning {
    /// A preflight was refused: the first time, a warning naming the fix; never again for this layer.
    pub(crate) fn refused(&self) {
        #[cfg(feature = "tracing")]
        if !self.given.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(
                fix = "put CorsLayer outside the auth layer (add it after, with .layer, so it answers preflights first), \
                       or call JwtAuthBuilder::bypass_cors_preflight()",
                "the auth layer refused a CORS preflight (OPTIONS with Access-Control-Request-Method): browsers never \
                 send credentials on a preflight, so this is almost always a layer-order mistake \
                 (see the crate docs, \"Where the layer goes\"); said once per layer"
            );
        }
    }
}

/// The span of one request (feature `tracing`), or nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSpan {
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

impl RequestSpan {
    /// A new request span; `None` inside when no subscriber wants it.
    pub(crate) fn new() -> Self {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::debug_span!(
                "jwt_auth",
                sub = tracing::field::Empty,
                reason = tracing::field::Empty
            );
            Self {
                span: (!span.is_disabled()).then_some(span),
            }
        }
        #[cfg(not(feature = "tracing"))]
        Self::default()
    }

    /// Runs `f` inside the span.
    pub(crate) fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            return span.in_scope(f);
        }
        f()
    }

    /// Enters the span until the guard is dropped.
    #[cfg(feature = "tracing")]
    pub(crate) fn enter(&self) -> Option<tracing::span::Entered<'_>> {
        self.span.as_ref().map(tracing::Span::enter)
    }

    /// The request was admitted: its subject, if it has one.
    pub(crate) fn admitted(&self, subject: Option<&str>) {
        #[cfg(feature = "tracing")]
        if let (Some(span), Some(subject)) = (&self.span, subject) {
            span.record("sub", subject);
        }
        let _ = subject;
    }

    /// The request was refused: the reason.
    pub(crate) fn refused(&self, error: &AuthError) {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            span.record("reason", error.kind().label());
        }
        let _ = error;
    }

    /// Puts the span into the request's extensions for the services further in (only when it is enabled).
    pub(crate) fn hand_on(&self, extensions: &mut Extensions) {
        #[cfg(feature = "tracing")]
        if self.span.is_some() {
            extensions.insert(self.clone());
        }
        let _ = extensions;
    }

    /// A refusal further in (a per-route requirement, an extractor): recorded into the layer's span, if the
    /// request carries it.
    pub(crate) fn refused_in(extensions: &Extensions, error: &AuthError) {
        #[cfg(feature = "tracing")]
        if let Some(span) = extensions.get::<Self>() {
            span.refused(error);
        }
        let _ = (extensions, error);
    }
}
