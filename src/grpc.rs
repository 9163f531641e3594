//! gRPC: how a rejected call is answered, and how to protect tonic services.
//!
//! A gRPC client reads the outcome of a call from `grpc-status`, not from the HTTP status: a bare 401 reaches
//! it as "grpc-status header missing", and the standard HTTP-to-gRPC mapping turns a 400 into `INTERNAL`. So
//! every rejection of a gRPC request (a `POST` whose `content-type` is `application/grpc`, `+codec`, `-web`…)
//! is a trailers-only gRPC response:
//!
//! | rejection | HTTP | `grpc-status` |
//! |---|---|---|
//! | no token, malformed credentials, invalid, expired or revoked token; a step-up required (RFC 9470) | 200 | `UNAUTHENTICATED` (16) |
//! | a required scope or claims check failed | 200 | `PERMISSION_DENIED` (7) |
//! | the revocation or session store cannot answer | 200 | `UNAVAILABLE` (14) |
//!
//! The response has `content-type: application/grpc`, a `grpc-message` (`invalid_token: the access token has
//! expired`; a description, never token data), the RFC 6750 `www-authenticate` challenge (tonic puts it in the
//! `Status`'s metadata), `cache-control: no-store` and the [`AuthError`] in its extensions. Plain HTTP requests
//! through the same layer keep their RFC 6750 answers. The built-in responders send the empty body a
//! trailers-only answer needs; a responder of your own gets the gRPC status and headers put on whatever it
//! returns, so give it an empty body when [`Rejection::is_grpc`](crate::rejection::Rejection::is_grpc).
//! [`GrpcResponder`](crate::rejection::GrpcResponder) answers in gRPC form even when a request does not say it is gRPC
//! (a translating proxy in front, for example). A refused call never gets a sliding renewal.
//!
//! # Protecting tonic services
//!
//! Wrap each protected service, and leave the health service (and reflection) outside, so probes never need a
//! token. With the `tonic` feature the layer's services implement tonic's `NamedService`, so `add_service`
//! takes them directly (`JwtAuth::new(service, &layer)`, or `layer.layer(service)` with `tower::Layer` in
//! scope); without it, tonic's own `LayerExt::named_layer` does the same, as here.
//!
//! A handler reads the verified token from the request's extensions — tonic's `Request::extensions()` are
//! the HTTP request's — as [`TokenInfo`](crate::TokenInfo) or [`Claims<C>`](crate::Claims). A requirement for
//! one method only is an [`AuthorizeLayer`](crate::authorize::AuthorizeLayer) checked in that handler: with the `tonic`
//! feature, `AuthorizeLayer::check_status` answers as the layer would (`PERMISSION_DENIED`, the challenge in the
//! metadata); [`AuthorizeLayer::check`](crate::authorize::AuthorizeLayer::check) returns the [`AuthError`], which `?` turns
//! into a `Status` with the same code and message:
//!
//! ```no_run
//! # mod demo { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/grpc/demo.v1.rs")); }
//! # use demo::{profile_server::ProfileServer, MeReply, MeRequest, WriteReply, WriteRequest};
//! use tonic::service::LayerExt as _;
//! use tonic::{transport::Server, Request, Response, Status};
//! use tower_jwt_auth::{Algorithm, authorize::AuthorizeLayer, JwtAuthLayer, TokenInfo, VerificationKey};
//!
//! struct Profile {
//!     needs_write: AuthorizeLayer,
//! }
//!
//! #[tonic::async_trait]
//! impl demo::profile_server::Profile for Profile {
//!     async fn me(&self, request: Request<MeRequest>) -> Result<Response<MeReply>, Status> {
//!         let token = request.extensions().get::<TokenInfo>().expect("behind the layer");
//!         let (sub, scope) = (token.subject(), token.scope());
//!         Ok(Response::new(MeReply {
//!             sub: sub.unwrap_or_default().into(),
//!             scope: scope.unwrap_or_default().into(),
//!         }))
//!     }
//!
//!     async fn write(&self, request: Request<WriteRequest>) -> Result<Response<WriteReply>, Status> {
//!         self.needs_write.check_status(request.extensions())?; // PERMISSION_DENIED without "write"
//!         Ok(Response::new(WriteReply { id: "1".into() }))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = JwtAuthLayer::builder()
//!     .key(VerificationKey::hmac(Algorithm::HS256, &[42u8; 32])?)
//!     .issuer("demo")
//!     .audience("demo-api")
//!     .build()?;
//! let profile = Profile { needs_write: auth.require_scopes(["write"]) };
//! let (_reporter, health) = tonic_health::server::health_reporter();
//! Server::builder()
//!     .add_service(health) // open
//!     .add_service(auth.named_layer(ProfileServer::new(profile))) // protected
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! `examples/grpc.rs` is a complete server (`demo.v1.Profile` beside an open health service), and
//! `tests/grpc/grpc_example.rs` drives it with a tonic client.

use std::sync::LazyLock;

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, Response, StatusCode};

use crate::error::{AuthError, AuthErrorKind};

/// The `grpc-status` header.
pub(crate) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
/// The `grpc-message` header.
pub(crate) const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// Whether the request is a gRPC call: a `POST` (every gRPC and gRPC-web call is one) whose `content-type` is
/// `application/grpc`, optionally followed by `+codec`, `;parameters` or `-web…` — so a REST request cannot
/// turn its 401 into a 200 by claiming a content type.
pub(crate) fn is_grpc(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::POST {
        return false;
    }
    let Some(value) = headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes) else {
        return false;
    };
    let (Some(prefix), rest) = (value.get(..16), value.get(16..).unwrap_or_default()) else {
        return false;
    };
    prefix.eq_ignore_ascii_case(b"application/grpc")
        && (rest.is_empty()
            || matches!(rest[0], b'+' | b';')
            || rest
                .get(..4)
                .is_some_and(|web| web.eq_ignore_ascii_case(b"-web")))
}

/// The message of a rejection: `error_code: description`, and the required scopes for a scope failure.
pub(crate) fn message(error: &AuthError) -> String {
    let kind = error.kind();
    let mut text = match kind.error_code() {
        Some(code) => format!("{code}: {}", kind.description()),
        None => kind.description().to_owned(),
    };
    if let Some(scope) = error.required_scope() {
        text.push_str(" (required: ");
        text.push_str(scope);
        text.push(')');
    }
    text
}

/// `grpc-message` is percent-encoded: every byte outside `%x20-7E`, and `%` itself.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x20..=0x7E).contains(&byte) && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `grpc-message` value of each kind, prepared once, in [`AuthErrorKind::index`] order.
fn prepared_message(kind: AuthErrorKind) -> &'static HeaderValue {
    static MESSAGES: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
        AuthErrorKind::ALL
            .iter()
            .map(|kind| header_value(&message(&AuthError::new(*kind))))
            .collect()
    });
    &MESSAGES[kind.index()]
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(&percent_encode(text)).expect("percent-encoded text is a header value")
}

/// Makes `response` the trailers-only gRPC answer to `error`: HTTP 200, `content-type: application/grpc`,
/// `grpc-status`, `grpc-message` and `cache-control: no-store` (a 200 must never be cached for other callers).
/// Other headers (the challenge) stay.
pub(crate) fn answer<B>(response: &mut Response<B>, error: &AuthError) {
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    headers.insert(GRPC_STATUS, HeaderValue::from(error.kind().grpc_code()));
    let message = match error.required_scope() {
        None => prepared_message(error.kind()).clone(),
        Some(_) => header_value(&message(error)),
    };
    headers.insert(GRPC_MESSAGE, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_requests_are_posts_recognised_by_content_type() {
        let mut headers = HeaderMap::new();
        assert!(!is_grpc(&Method::POST, &headers));
        for (value, grpc) in [
            ("application/grpc", true),
            ("application/grpc+proto", true),
            ("application/grpc; charset=utf-8", true),
            ("Application/GRPC-web", true),
            ("application/grpc-web-text+proto", true),
            ("application/grpcfoo", false),
            ("application/json", false),
            ("application/grp", false),
        ] {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_grpc(&Method::POST, &headers), grpc, "{value}");
            assert!(!is_grpc(&Method::GET, &headers), "only POSTs: {value}");
        }
    }

    #[test]
    fn messages_are_percent_encoded() {
        assert_eq!(percent_encode("a 100% é"), "a 100%25 %C3%A9");
        let expired = prepared_message(AuthErrorKind::Expired);
        assert_eq!(expired, "invalid_token: the access token has expired");
        let scoped = message(&AuthError::insufficient_scope("write"));
        assert!(
            scoped.starts_with("insufficient_scope: ") && scoped.ends_with("(required: write)")
        );
    }
}
