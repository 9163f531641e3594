//! tonic integration (feature `tonic`): the layers' services are `NamedService`s, and an [`AuthError`] is a
//! `tonic::Status`. See [`grpc`](crate::grpc) for the whole picture.

use tonic::server::NamedService;

use crate::authorize::Authorize;
use crate::error::AuthError;
use crate::service::JwtAuth;

/// A protected tonic service keeps the name of the service it wraps, so `Server::add_service` routes to it.
impl<S: NamedService, C, R> NamedService for JwtAuth<S, C, R> {
    const NAME: &'static str = S::NAME;
}

/// A service behind a per-service requirement keeps the name of the service it wraps.
impl<S: NamedService, C, R> NamedService for Authorize<S, C, R> {
    const NAME: &'static str = S::NAME;
}

/// The `Status` the layer answers this error with: the same code and message (`UNAUTHENTICATED`,
/// `PERMISSION_DENIED` or `UNAVAILABLE`; see [`AuthErrorKind::grpc_code`](crate::AuthErrorKind::grpc_code)).
impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        let code = tonic::Code::from_i32(error.kind().grpc_code());
        tonic::Status::new(code, crate::grpc::message(&error))
    }
}
