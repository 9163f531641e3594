//! Authorization after authentication: required scopes and claims predicates, on the whole layer
//! ([`JwtAuthBuilder::require_scopes`](crate::JwtAuthBuilder::require_scopes)) or per route
//! ([`AuthorizeLayer`]).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::future::ResponseFuture;
use crate::rejection::{reject, DefaultResponder, Responder};
use crate::{Claims, RegisteredClaims, TokenInfo};

type Predicate<C> = Arc<dyn Fn(&C) -> bool + Send + Sync>;

/// Scopes and predicates a verified token must satisfy.
pub(crate) struct Requirements<C> {
    scopes: Vec<String>,
    /// The required scopes joined by spaces, for the `scope="…"` challenge attribute.
    scope_text: String,
    predicate: Option<Predicate<C>>,
}

impl<C> Default for Requirements<C> {
    fn default() -> Self {
        Self {
            scopes: Vec::new(),
            scope_text: String::new(),
            predicate: None,
        }
    }
}

impl<C> Clone for Requirements<C> {
    fn clone(&self) -> Self {
        Self {
            scopes: self.scopes.clone(),
            scope_text: self.scope_text.clone(),
            predicate: self.predicate.clone(),
        }
    }
}

impl<C> fmt::Debug for Requirements<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requirements")
            .field("scopes", &self.scopes)
            .field("predicate", &self.predicate.is_some())
            .finish()
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

impl<C> Requirements<C> {
    pub(crate) fn add_scopes<I, S>(&mut self, scopes: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for scope in scopes {
            let scope = scope.into();
            if !is_scope_token(&scope) {
                return Err(ConfigError::InvalidScope(scope));
            }
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        self.scope_text = self.scopes.join(" ");
        Ok(())
    }

    /// Adds a predicate: every one given must hold (a second one never replaces the first).
    pub(crate) fn add_predicate(&mut self, predicate: impl Fn(&C) -> bool + Send + Sync + 'static)
    where
        C: 'static,
    {
        self.predicate = Some(match self.predicate.take() {
            None => Arc::new(predicate),
            Some(earlier) => Arc::new(move |claims: &C| earlier(claims) && predicate(claims)),
        });
    }

    /// Whether a claims predicate was given (it can't survive a change of the claims type).
    pub(crate) fn has_predicate(&self) -> bool {
        self.predicate.is_some()
    }

    pub(crate) fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// 403 `insufficient_scope` unless every required scope is granted and the predicate holds. Scopes need only
    /// the token's [`TokenInfo`]; a predicate without claims of type `C` to judge refuses.
    pub(crate) fn check(&self, info: &TokenInfo, claims: Option<&C>) -> Result<(), AuthError> {
        if !self.scopes.iter().all(|s| info.has_scope(s)) {
            return Err(AuthError::insufficient_scope(self.scope_text.clone()));
        }
        match (&self.predicate, claims) {
            (None, _) => Ok(()),
            (Some(predicate), Some(claims)) if predicate(claims) => Ok(()),
            _ => Err(AuthErrorKind::InsufficientScope.into()),
        }
    }
}

/// A per-route authorization layer: put it inside (after) a [`JwtAuthLayer`](crate::JwtAuthLayer), for example
/// with axum's `route_layer`. Scope checks work whatever claims type the layer uses; a predicate reads
/// `Claims<C>`, so give it the layer's `C`. Requests whose token lacks a scope, or fails the predicate, get 403
/// `insufficient_scope`; requests that carry no verified token (optional mode) get 401.
///
/// ```
/// use axum::{routing::post, Router};
/// use tower_jwt_auth::AuthorizeLayer;
///
/// let app: Router = Router::new()
///     .route("/posts", post(|| async { "created" }))
///     .route_layer(AuthorizeLayer::require_scopes(["write"]).unwrap());
/// ```
pub struct AuthorizeLayer<C = RegisteredClaims, R = DefaultResponder> {
    shared: Arc<AuthorizeShared<C, R>>,
}

struct AuthorizeShared<C, R> {
    requirements: Requirements<C>,
    responder: R,
    realm: String,
}

impl AuthorizeLayer {
    /// Requires every one of `scopes` in the token's `scope` claim.
    pub fn require_scopes<I, S>(scopes: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut requirements = Requirements::default();
        requirements.add_scopes(scopes)?;
        Ok(Self::from_parts(
            requirements,
            DefaultResponder,
            crate::builder::DEFAULT_REALM.to_owned(),
        ))
    }
}

impl<C: Send + Sync + 'static> AuthorizeLayer<C> {
    /// Requires `predicate` to hold for the token's claims (of the layer's claims type `C`).
    ///
    /// ```
    /// use tower_jwt_auth::{AuthorizeLayer, RegisteredClaims};
    /// let admins_only = AuthorizeLayer::require(|c: &RegisteredClaims| c.sub.as_deref() == Some("admin"));
    /// # let _ = admins_only;
    /// ```
    pub fn require(predicate: impl Fn(&C) -> bool + Send + Sync + 'static) -> Self {
        let mut requirements = Requirements::default();
        requirements.add_predicate(predicate);
        Self::from_parts(
            requirements,
            DefaultResponder,
            crate::builder::DEFAULT_REALM.to_owned(),
        )
    }
}

impl<C, R> AuthorizeLayer<C, R> {
    pub(crate) fn from_parts(requirements: Requirements<C>, responder: R, realm: String) -> Self {
        Self {
            shared: Arc::new(AuthorizeShared {
                requirements,
                responder,
                realm,
            }),
        }
    }

    /// Uses another responder for rejections (say [`JsonResponder`](crate::JsonResponder)).
    pub fn with_responder<R2>(self, responder: R2) -> AuthorizeLayer<C, R2> {
        let requirements = self.shared.requirements.clone();
        let realm = self.shared.realm.clone();
        AuthorizeLayer::from_parts(requirements, responder, realm)
    }
}

impl<C, R: Clone> AuthorizeLayer<C, R> {
    /// The `realm` of its challenges (default `api`; use the one of your [`JwtAuthLayer`](crate::JwtAuthLayer)).
    pub fn with_realm(self, realm: impl Into<String>) -> Result<Self, ConfigError> {
        let realm = realm.into();
        if !crate::rejection::is_header_safe(&realm) {
            return Err(ConfigError::InvalidName(realm));
        }
        let shared = &self.shared;
        Ok(Self::from_parts(
            shared.requirements.clone(),
            shared.responder.clone(),
            realm,
        ))
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
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let extensions = request.extensions();
        let claims = extensions.get::<Claims<C>>().map(|c| &**c);
        let outcome = match extensions.get::<TokenInfo>() {
            Some(info) => self.shared.requirements.check(info, claims),
            None => Err(AuthErrorKind::Missing.into()),
        };
        match outcome {
            Ok(()) => ResponseFuture::inner(self.inner.call(request)),
            Err(error) => {
                ResponseFuture::rejected(reject(&self.shared.responder, error, &self.shared.realm))
            }
        }
    }
}
