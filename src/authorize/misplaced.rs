//! A per-route layer placed outside (in front of) the [`JwtAuthLayer`](crate::JwtAuthLayer) it was derived from:
//! it sees a request that carries credentials before the layer has verified them. That is a wiring mistake,
//! not a missing token, so it is answered as one — a bare 500 and an error event naming the fix — instead of
//! the 401 challenge that would read as "no token sent".

use std::sync::Arc;

use http::header::{HeaderValue, CACHE_CONTROL};
use http::{HeaderMap, Request, Response, StatusCode, Uri};

/// Whether a request carries credentials the layer in front would read (a token its sources or its DPoP scheme
/// find).
pub(super) type CredentialsProbe = Arc<dyn Fn(&HeaderMap, &Uri) -> bool + Send + Sync>;

/// What the application is told (the error event, feature `tracing`); never sent to the client.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
const MISPLACED: &str =
    "an AuthorizeLayer saw a request with credentials but no verified token: it runs before the \
     JwtAuthLayer. Put it inside the JwtAuthLayer — in axum, add it with .route_layer(auth.require_scopes(..)) \
     *before* .layer(auth) (the layer added last runs first); with tower's ServiceBuilder, \
     .layer(auth).layer(authorize)";

/// Whether `request`, which has no verified token, reached the per-route layer because the layer is misplaced.
pub(super) fn is_misplaced<B>(probe: &CredentialsProbe, request: &Request<B>) -> bool {
    probe(request.headers(), request.uri())
}

/// The answer to a request that reached a misplaced per-route layer: 500 with an empty body (nothing of the
/// server's wiring), `Cache-Control: no-store`, and (feature `tracing`) an error event naming the fix.
pub(super) fn misplaced_response<B: Default>() -> Response<B> {
    #[cfg(feature = "tracing")]
    tracing::error!(error = MISPLACED, "AuthorizeLayer outside the JwtAuthLayer");
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
