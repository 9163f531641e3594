//! A refused request ([`Rejection`]), what shapes its answer ([`Refused`]), and how a rejection is counted.

use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, Version};

use crate::error::AuthError;

/// Builds rejection responses, also once an asynchronous decision (key fetch, store lookup) has answered.
pub(crate) trait Reject<B>: Send + Sync {
    /// The response to `error`, shaped for the refused `request`.
    fn reject(&self, error: AuthError, request: Refused) -> Response<B>;
}

/// What shapes the answer to a refused request besides the error: whether it is a gRPC call (answered in gRPC
/// form), and whether it has a body that the refusal leaves unread (the answer then closes the HTTP/1
/// connection and says so, see [`unread_body`](crate::unread_body)).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Refused {
    pub(crate) grpc: bool,
    pub(crate) unread_body: bool,
}

impl Refused {
    /// The refused request with this method, version and headers.
    pub(crate) fn of(method: &Method, version: Version, headers: &HeaderMap) -> Self {
        Self {
            grpc: crate::grpc::is_grpc(method, headers),
            unread_body: crate::unread_body::has_body(version, headers),
        }
    }

    /// The refused `request`.
    pub(crate) fn request<B>(request: &Request<B>) -> Self {
        Self::of(request.method(), request.version(), request.headers())
    }
}

/// The layer's way of answering, put into the extensions of requests it lets through without a token (optional
/// mode), so an extractor that then refuses answers exactly as the layer would (realm, responder, contract).
pub(crate) struct Rejector<B>(pub(crate) Arc<dyn Reject<B>>);

impl<B> Clone for Rejector<B> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// Counts and traces one rejection (feature `tracing`: the kind, the HTTP status — 200 for a gRPC answer, with
/// `grpc_status` — for claim failures the claim's name, and for claims that do not fit the claims type the
/// deserializer's [`detail`](AuthError::detail); never the token).
pub(crate) fn observe(error: &AuthError, grpc: bool) {
    #[cfg(feature = "tracing")]
    {
        let (status, grpc_status) = match grpc {
            true => (200, Some(error.kind().grpc_code())),
            false => (error.status().as_u16(), None),
        };
        tracing::debug!(
            kind = ?error.kind(),
            status,
            grpc_status,
            claim = error.claim(),
            detail = error.detail(),
            "jwt auth rejected a request"
        );
    }
    let _ = grpc;
    crate::stats::denied(error.kind());
}

/// A refused request: the error, and the `WWW-Authenticate` challenge RFC 6750 §3 prescribes for it.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub(super) error: AuthError,
    pub(super) challenge: Option<HeaderValue>,
    pub(super) grpc: bool,
}

impl Rejection {
    /// Why the request was refused.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The `WWW-Authenticate` value; `None` for 503 (store unavailable), which is not an authentication failure.
    pub fn challenge(&self) -> Option<&HeaderValue> {
        self.challenge.as_ref()
    }

    /// Whether the refused request is a gRPC call (`content-type: application/grpc…`). Its response becomes a
    /// trailers-only gRPC answer unless the responder sets `grpc-status` itself (see [`grpc`](crate::grpc));
    /// give such a response an empty body.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// A response with the rejection's status, `WWW-Authenticate` header, `Cache-Control: no-store`, the
    /// [`AuthError`] in its extensions, and the given body. (For a gRPC request the layer then makes it the
    /// gRPC answer: HTTP 200 with `grpc-status`.)
    pub fn into_response<B>(self, body: B) -> Response<B> {
        let mut response = Response::new(body);
        *response.status_mut() = self.error.status();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.extensions_mut().insert(self.error);
        response
    }
}
