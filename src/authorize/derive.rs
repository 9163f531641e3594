//! Per-route layers derived from a [`JwtAuthLayer`]: [`require_scopes`](JwtAuthLayer::require_scopes),
//! [`require`](JwtAuthLayer::require) and [`require_authentication`](JwtAuthLayer::require_authentication) take its claims type, realm and responder. Written here, beside
//! [`AuthorizeLayer`], so that `layer/` never depends on `authorize/`.

use std::sync::Arc;

use http::{HeaderMap, Uri};

use crate::error::ConfigError;
use crate::layer::auth_layer::JwtAuthLayer;
use crate::token::requirements::Requirements;

use super::{AuthorizeLayer, StepUp};

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

    /// A per-route layer requiring the user's authentication `step_up` describes (RFC 9470): an accepted
    /// `acr`, an `auth_time` recent enough by this layer's clock. A token that fails gets 401
    /// `insufficient_user_authentication` with the requirement's `acr_values="…"` and `max_age=N` (gRPC:
    /// `UNAUTHENTICATED`), in this layer's realm, through its responder. A requirement that asks for nothing, or
    /// an `acr` value that can't stand in the challenge, is a [`ConfigError`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum::{routing::post, Router};
    /// use tower_jwt_auth::{authorize::StepUp, Algorithm, JwtAuthLayer, VerificationKey};
    ///
    /// let auth = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .build()
    ///     .unwrap();
    /// let recent_mfa = StepUp::new()
    ///     .acr_values(["urn:example:mfa"])
    ///     .max_age(Duration::from_secs(300));
    /// let app: Router = Router::new()
    ///     .route("/payments", post(|| async { "paid" }))
    ///     .route_layer(auth.require_authentication(recent_mfa).unwrap())
    ///     .layer(auth);
    /// ```
    pub fn require_authentication(
        &self,
        step_up: StepUp,
    ) -> Result<AuthorizeLayer<C, R>, ConfigError> {
        let mut requirements = Requirements::default();
        requirements.set_step_up(step_up.into_check(Arc::clone(&self.config.clock))?);
        Ok(self.authorize(requirements))
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
