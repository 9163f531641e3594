//! The URI the client asked for, which sliding actions are written against and DPoP proofs name.

use http::{Request, Uri};

/// The URI the client requested: under axum's `Router::nest` the router in front strips the prefix from the
/// request's URI and keeps the original in `OriginalUri`.
pub(crate) fn client_uri<B>(request: &Request<B>) -> &Uri {
    #[cfg(feature = "axum")]
    if let Some(original) = request.extensions().get::<axum::extract::OriginalUri>() {
        return &original.0;
    }
    request.uri()
}
