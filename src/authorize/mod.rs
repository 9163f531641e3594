//! Authorization after authentication: required scopes and claims predicates, on the whole layer
//! ([`JwtAuthBuilder::require_scopes`](crate::JwtAuthBuilder::require_scopes)) or per route
//! ([`AuthorizeLayer`]).

mod derive;
mod future;
mod misplaced;

pub use crate::token::step_up::StepUp;
pub use future::AuthorizeFuture;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::rejection::{Challenges, DefaultResponder, Refused, Responder};
use crate::token::claims::RegisteredClaims;
use crate::token::info::{Claims, TokenInfo};
use crate::token::requirements::Requirements;
use misplaced::{is_misplaced, misplaced_response, CredentialsProbe};

/// A per-route authorization layer, derived from the [`JwtAuthLayer`](crate::JwtAuthLayer) in front with
/// [`require_scopes`](crate::JwtAuthLayer::require_scopes) or [`require`](crate::JwtAuthLayer::require), so it
/// has that layer's claims type, realm, responder and tracing: put it inside (after) the layer, for example with
/// axum's `route_layer`. Requests whose token lacks a scope, or fails the predicate, get 403
/// `insufficient_scope`; a token that fails a step-up requirement
/// ([`require_authentication`](crate::JwtAuthLayer::require_authentication)) gets 401
/// `insufficient_user_authentication`; requests that carry no token at all (optional mode) get 401.
///
/// Placed the wrong way round — outside the layer, so it runs before the token is verified — it sees requests
/// that carry credentials (a token the layer's sources or its DPoP scheme find, even a malformed one) but no
/// verified token. It answers those with a bare 500 (`Cache-Control: no-store`, empty body) instead of a 401
/// that would read as "no token sent", and (feature `tracing`) an error event naming the fix. Requests without
/// credentials still get the 401 challenge. In axum, the layer added last runs first:
/// `.route_layer(auth.require_scopes(..))` *before* `.layer(auth)`, as below.
///
/// ```
/// use axum::{routing::post, Router};
/// use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
///
/// let auth = JwtAuthLayer::builder()
///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
///     .issuer("https://auth.example.com")
///     .audience("api")
///     .optional()
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/posts", post(|| async { "created" }))
///     .route_layer(auth.require_scopes(["write"]))
///     .layer(auth);
/// ```
pub struct AuthorizeLayer<C = RegisteredClaims, R = DefaultResponder> {
    shared: Arc<AuthorizeShared<C, R>>,
}

struct AuthorizeShared<C, R> {
    requirements: Requirements<C>,
    responder: R,
    challenges: Challenges,
    /// Whether a request carries credentials the layer in front would read.
    credentials: CredentialsProbe,
}

impl<C, R> AuthorizeLayer<C, R> {
    /// A layer checking `requirements`, answering with `responder` in the realm of `challenges`; `credentials`
    /// tells a request with credentials (the layer in front would have verified them) from one without.
    pub(crate) fn from_parts(
        requirements: Requirements<C>,
        responder: R,
        challenges: &Challenges,
        credentials: CredentialsProbe,
    ) -> Self {
        let challenges = challenges.with_scope(requirements.scope_text());
        Self {
            shared: Arc::new(AuthorizeShared {
                requirements,
                responder,
                challenges,
                credentials,
            }),
        }
    }
}

impl<C: Send + Sync + 'static, R> AuthorizeLayer<C, R> {
    /// Checks the requirements against a request's extensions, as the layer's service does: `Ok` when the
    /// verified token satisfies them, 403 `insufficient_scope` when it does not, 401 when there is no verified
    /// token (it sees no headers, so it cannot tell a misplaced layer from a missing token). For a requirement
    /// that only one method of a service has — a tonic handler, a hyper match arm — where wrapping a service
    /// does not fit. The refusal is recorded in the request's `jwt_auth` span
    /// (feature `tracing`); it is counted and logged when it is answered: by
    /// [`check_status`](Self::check_status) (feature `tonic`, the `Status` the layer would send, challenge
    /// included), by `?` into `tonic::Status`, or by the `AuthError`'s axum response.
    ///
    /// ```
    /// use tower_jwt_auth::testing::token_info;
    /// use tower_jwt_auth::{Algorithm, AuthErrorKind, JwtAuthLayer, VerificationKey};
    ///
    /// let auth = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .build()
    ///     .unwrap();
    /// let needs_write = auth.require_scopes(["write"]);
    /// let mut request = http::Request::new(());
    /// request.extensions_mut().insert(token_info(&serde_json::json!({"sub": "ada", "scope": "read"})));
    /// let error = needs_write.check(request.extensions()).unwrap_err();
    /// assert_eq!(error.kind(), AuthErrorKind::InsufficientScope);
    /// ```
    pub fn check(&self, extensions: &http::Extensions) -> Result<(), AuthError> {
        let outcome = self.shared.evaluate(extensions);
        if let Err(error) = &outcome {
            crate::trace::RequestSpan::refused_in(extensions, error);
        }
        outcome
    }

    /// The `WWW-Authenticate` challenge the layer sends with `error` (its realm, and the required scopes).
    #[cfg(feature = "tonic")]
    pub(crate) fn challenge(&self, error: &AuthError) -> Option<http::HeaderValue> {
        self.shared.challenges.challenge(error)
    }
}

impl<C: Send + Sync + 'static, R> AuthorizeShared<C, R> {
    /// The requirements against the verified token in `extensions` (401 without one).
    fn evaluate(&self, extensions: &http::Extensions) -> Result<(), AuthError> {
        let claims = extensions.get::<Claims<C>>().map(|c| &**c);
        match extensions.get::<TokenInfo>() {
            Some(info) => self.requirements.check(info, claims),
            None => Err(AuthErrorKind::Missing.into()),
        }
    }
}

impl<C, R> Clone for AuthorizeLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C, R> fmt::Debug for AuthorizeLayer<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeLayer")
            .field("requirements", &self.shared.requirements)
            .finish()
    }
}

impl<S, C, R> Layer<S> for AuthorizeLayer<C, R> {
    type Service = Authorize<S, C, R>;
    fn layer(&self, inner: S) -> Self::Service {
        Authorize {
            inner,
            shared: Arc::clone(&self.shared),
            _claims: PhantomData,
        }
    }
}

/// The service of [`AuthorizeLayer`].
pub struct Authorize<S, C = RegisteredClaims, R = DefaultResponder> {
    inner: S,
    shared: Arc<AuthorizeShared<C, R>>,
    _claims: PhantomData<fn() -> C>,
}

impl<S: Clone, C, R> Clone for Authorize<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
            _claims: PhantomData,
        }
    }
}

impl<S: fmt::Debug, C, R> fmt::Debug for Authorize<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorize")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, C, R> Authorize<S, C, R> {
    inner_service_accessors!();
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for Authorize<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: Send + Sync + 'static,
    R: Responder<ResBody>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = AuthorizeFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self.shared.evaluate(request.extensions()) {
            Ok(()) => AuthorizeFuture::inner(self.inner.call(request)),
            Err(error)
                if error.kind() == AuthErrorKind::Missing
                    && is_misplaced(&self.shared.credentials, &request) =>
            {
                AuthorizeFuture::rejected(misplaced_response())
            }
            Err(error) => AuthorizeFuture::rejected({
                crate::trace::RequestSpan::refused_in(request.extensions(), &error);
                self.shared.challenges.respond(
                    &self.shared.responder,
                    error,
                    Refused::request(&request),
                )
            }),
        }
    }
}
