//! What the layer puts into request extensions for handlers: the typed claims and the token's registered facts.

use std::ops::Deref;
use std::sync::Arc;

use crate::token::claims::ClaimsView;
use crate::RegisteredClaims;

/// The verified claims of the request's token, as the type the layer was built for.
///
/// Cloning is a pointer copy. With the `axum` feature, `Claims<C>` and `Option<Claims<C>>` are extractors.
///
/// ```
/// use tower_jwt_auth::{Claims, RegisteredClaims};
///
/// fn whoami(request: &http::Request<()>) -> Option<String> {
///     let claims = request.extensions().get::<Claims<RegisteredClaims>>()?;
///     claims.sub.clone()
/// }
/// # assert_eq!(whoami(&http::Request::new(())), None);
/// ```
#[derive(Debug)]
pub struct Claims<C = RegisteredClaims>(Arc<C>);

impl<C> Claims<C> {
    /// Wraps claims (the layer does this; handy in tests).
    pub fn new(claims: C) -> Self {
        Self(Arc::new(claims))
    }

    /// The shared claims.
    pub fn into_arc(self) -> Arc<C> {
        self.0
    }
}

impl<C> Clone for Claims<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C> Deref for Claims<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.0
    }
}

/// The registered facts of the verified token, inserted beside [`Claims`] whatever the claims type is; used by
/// revocation, scope checks and sliding sessions. Cloning is a pointer copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo(Arc<Facts>);

#[derive(Debug, Default, PartialEq, Eq)]
struct Facts {
    sub: Option<String>,
    jti: Option<String>,
    sid: Option<String>,
    scope: Option<String>,
    iat: Option<i64>,
    nbf: Option<i64>,
    exp: Option<i64>,
    auth_time: Option<i64>,
}

impl TokenInfo {
    pub(crate) fn from_view(view: &ClaimsView<'_>) -> Self {
        Self(Arc::new(Facts {
            sub: view.sub.as_deref().map(str::to_owned),
            jti: view.jti.as_deref().map(str::to_owned),
            sid: view.sid.as_deref().map(str::to_owned),
            scope: view.scope.as_deref().map(str::to_owned),
            iat: view.iat,
            nbf: view.nbf,
            exp: view.exp,
            auth_time: view.auth_time,
        }))
    }

    #[cfg(test)]
    pub(crate) fn for_tests(iat: i64, exp: i64, auth_time: Option<i64>) -> Self {
        Self(Arc::new(Facts {
            iat: Some(iat),
            exp: Some(exp),
            auth_time,
            ..Facts::default()
        }))
    }

    /// The subject (`sub`).
    pub fn subject(&self) -> Option<&str> {
        self.0.sub.as_deref()
    }

    /// The token id (`jti`).
    pub fn token_id(&self) -> Option<&str> {
        self.0.jti.as_deref()
    }

    /// The session id (`sid`).
    pub fn session_id(&self) -> Option<&str> {
        self.0.sid.as_deref()
    }

    /// The space-separated `scope` claim.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// Whether the `scope` claim lists `wanted`.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.0
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == wanted))
    }

    /// Issued-at time (`iat`).
    pub fn issued_at(&self) -> Option<i64> {
        self.0.iat
    }

    /// Not-before time (`nbf`).
    pub fn not_before(&self) -> Option<i64> {
        self.0.nbf
    }

    /// Expiry time (`exp`).
    pub fn expires_at(&self) -> Option<i64> {
        self.0.exp
    }

    /// Session start (`auth_time`).
    pub fn auth_time(&self) -> Option<i64> {
        self.0.auth_time
    }
}
