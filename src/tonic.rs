//! tonic integration (feature `tonic`): the layers' services are `NamedService`s, an [`AuthError`] is a
//! `tonic::Status`, and [`AuthorizeLayer::check_status`] checks one method's requirement inside its handler. See
//! [`grpc`](crate::grpc) for the whole picture.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::server::NamedService;

use crate::authorize::{Authorize, AuthorizeLayer};
use crate::error::AuthError;
use crate::layer::service::JwtAuth;

/// A protected tonic service keeps the name of the service it wraps, so `Server::add_service` routes to it.
impl<S: NamedService, C, R> NamedService for JwtAuth<S, C, R> {
    const NAME: &'static str = S::NAME;
}

/// A service behind a per-service requirement keeps the name of the service it wraps.
impl<S: NamedService, C, R> NamedService for Authorize<S, C, R> {
    const NAME: &'static str = S::NAME;
}

/// The `Status` of a refusal: the layer's code and message (`UNAUTHENTICATED`, `PERMISSION_DENIED` or
/// `UNAVAILABLE`; see [`AuthErrorKind::grpc_code`](crate::AuthErrorKind::grpc_code)), with no challenge (an
/// `AuthError` alone knows no realm: [`AuthorizeLayer::check_status`] adds the layer's). Counted and logged as
/// a rejection, like every answer the layer sends.
impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        status(&error, MetadataMap::new())
    }
}

fn status(error: &AuthError, metadata: MetadataMap) -> tonic::Status {
    crate::layer::rejection::observe(error, true);
    let code = tonic::Code::from_i32(error.kind().grpc_code());
    tonic::Status::with_metadata(code, crate::grpc::message(error), metadata)
}

impl<C: Send + Sync + 'static, R> AuthorizeLayer<C, R> {
    /// [`check`](Self::check), answered as the layer answers a gRPC call: `PERMISSION_DENIED` with the
    /// `insufficient_scope` challenge (the layer's realm and the required scopes) in the `www-authenticate`
    /// metadata, or `UNAUTHENTICATED` without a verified token. For a requirement of one tonic method, as
    /// in the example of the [`grpc`](crate::grpc) module: `self.needs_write.check_status(request.extensions())?`.
    pub fn check_status(&self, extensions: &http::Extensions) -> Result<(), tonic::Status> {
        self.check(extensions).map_err(|error| {
            let mut metadata = MetadataMap::new();
            let challenge = self
                .challenge(&error)
                .and_then(|value| MetadataValue::try_from(value.as_bytes()).ok());
            if let Some(challenge) = challenge {
                metadata.insert("www-authenticate", challenge);
            }
            status(&error, metadata)
        })
    }
}
