//! Per-route layers derived from a [`JwtAuthLayer`]: [`require_scopes`](JwtAuthLayer::require_scopes) and
//! [`require`](JwtAuthLayer::require) take its claims type, realm and responder. Written here, beside
//! [`AuthorizeLayer`], so that `layer/` never depends on `authorize/`.

use std::sync::Arc;

use http::{HeaderMap, Uri};

use crate::error::ConfigError;
use crate::layer::auth_layer::JwtAuthLayer;
use crate::token::requirements::Requirements;

use super::AuthorizeLayer;

impl<C: Send + Sync + 'static, R: Clone + Send + Sync + 'static> JwtAuthLayer<C, R> {
    /// A per-route layer (for axum's `route_layer`) requiring every one of `scopes`, with this layer's claims
    /// type, realm and responder, so its 403s look like this layer's rejections.
    ///
    /// ```
    /// use axum::{routing::post, Router};
    /// use tower_jwt_auth::{Algorithm, rejection::JsonResponder, JwtAuthLayer, VerificationKey};
    ///
    /// let auth = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .realm("orders")
    ///     .responder(JsonResponder)
    ///     .build()
    ///     .unwrap();
    /// let app: Router = Router::new()
    ///     .route("/orders", post(|| async { "created" }))
    ///     .route_layer(auth.require_scopes(["orders:write"]).unwrap())
    ///     .layer(auth);
    /// ```
    pub fn require_scopes<I, S>(&self, scopes: I) -> Result<AuthorizeLayer<C, R>, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut requirements = Requirements::default();
        requirements.add_scopes(scopes)?;
        Ok(self.authorize(requirements))
    }

    /// A per-route layer requiring `predicate` of the claims, with this layer's claims type, realm and responder.
    pub fn require(
        &self,
        predicate: impl Fn(&C) -> bool + Send + Sync + 'static,
    ) -> AuthorizeLayer<C, R> {
        let mut requirements = Requirements::default();
        requirements.add_predicate(predicate);
        self.authorize(requirements)
    }

    fn authorize(&self, requirements: Requirements<C>) -> AuthorizeLayer<C, R> {
        let config = Arc::clone(&self.config);
        AuthorizeLayer::from_parts(
            requirements,
            self.config.responder.clone(),
            &self.config.challenges,
            Arc::new(move |headers: &HeaderMap, uri: &Uri| {
                config.carries_credentials(headers, uri)
            }),
        )
    }
}
