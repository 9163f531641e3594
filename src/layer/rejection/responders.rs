//! [`Responder`]s: the bodies of rejection responses (empty, OAuth JSON, gRPC).

use http::header::{self, HeaderValue};
use http::Response;

use super::Rejection;
use crate::error::AuthErrorKind;

/// Turns a [`Rejection`] into a response with a body of type `B`.
///
/// [`DefaultResponder`] sends an empty body (for any `B: Default`); [`JsonResponder`] sends
/// `{"error":"…","error_description":"…"}`; [`GrpcResponder`] answers every request in gRPC form. gRPC calls
/// get a gRPC answer from any of them (see [`Rejection::is_grpc`]). Write your own for other formats:
///
/// ```
/// use http::Response;
/// use tower_jwt_auth::{rejection::Rejection, rejection::Responder};
///
/// #[derive(Debug, Clone)]
/// struct PlainText;
///
/// impl Responder<String> for PlainText {
///     fn respond(&self, rejection: Rejection) -> Response<String> {
///         // A gRPC call's answer is trailers-only: the layer adds its status, the body stays empty.
///         let text = match rejection.is_grpc() {
///             true => String::new(),
///             false => rejection.error().to_string(),
///         };
///         rejection.into_response(text)
///     }
/// }
/// ```
pub trait Responder<B>: Send + Sync + 'static {
    /// The response for this rejection. Keep the status of [`Rejection::into_response`] unless you have a
    /// reason not to. Whatever you return, the layer puts the [`AuthError`](crate::AuthError) into its extensions
    /// and adds the `WWW-Authenticate` challenge if you did not set one.
    fn respond(&self, rejection: Rejection) -> Response<B>;
}

/// Closures `Fn(Rejection) -> Response<B>` are responders too.
impl<B, F> Responder<B> for F
where
    F: Fn(Rejection) -> Response<B> + Send + Sync + 'static,
{
    fn respond(&self, rejection: Rejection) -> Response<B> {
        self(rejection)
    }
}

/// Empty-bodied RFC 6750 responses (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponder;

impl<B: Default> Responder<B> for DefaultResponder {
    fn respond(&self, rejection: Rejection) -> Response<B> {
        rejection.into_response(B::default())
    }
}

/// RFC 6750 responses with an OAuth-style JSON body: `{"error":"invalid_token","error_description":"…"}`. The
/// body of each kind is prepared once, not serialized per rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonResponder;

/// The JSON body of each error kind, in [`AuthErrorKind::index`] order, made once per process.
fn json_body(kind: AuthErrorKind) -> &'static str {
    static BODIES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        AuthErrorKind::ALL
            .iter()
            .map(|kind| {
                let code = kind.error_code().unwrap_or(match kind {
                    AuthErrorKind::Unavailable => "temporarily_unavailable",
                    _ => "unauthorized",
                });
                serde_json::json!({ "error": code, "error_description": kind.description() })
                    .to_string()
            })
            .collect()
    });
    &BODIES[kind.index()]
}

impl<B: From<&'static str>> Responder<B> for JsonResponder {
    fn respond(&self, rejection: Rejection) -> Response<B> {
        if rejection.is_grpc() {
            // Trailers-only: the outcome is in `grpc-status`, the body stays empty.
            return rejection.into_response(B::from(""));
        }
        let body = json_body(rejection.error().kind());
        let mut response = rejection.into_response(B::from(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// gRPC answers for every request, even one whose `content-type` does not say gRPC (behind a translating
/// proxy, say): HTTP 200, `content-type: application/grpc`, `grpc-status` 16, 7 or 14 and a `grpc-message`,
/// with an empty body. The built-in responders already answer gRPC calls this way; see [`grpc`](crate::grpc).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcResponder;

impl<B: Default> Responder<B> for GrpcResponder {
    fn respond(&self, rejection: Rejection) -> Response<B> {
        let error = rejection.error().clone();
        let mut response = rejection.into_response(B::default());
        crate::grpc::answer(&mut response, &error);
        response
    }
}
