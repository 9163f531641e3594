//! Per-route layers derived from a [`JwtAuthLayer`]: [`require_scopes`](JwtAuthLayer::require_scopes) (with
//! [`try_require_scopes`](JwtAuthLayer::try_require_scopes) for configured scopes),
//! [`require`](JwtAuthLayer::require) and [`require_authentication`](JwtAuthLayer::require_authentication) take
//! its claims type, realm and responder. Written here, beside
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
    /// There is no `Result` to forget: scopes written in the code are checked when the router is built, and a
    /// scope that is not an RFC 6749 scope-token (empty, or with a space, quote or backslash) panics there, at
    /// start-up, naming the scope and the rule. Scopes read from configuration go through
    /// [`try_require_scopes`](Self::try_require_scopes) instead.
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
    ///     .route_layer(auth.require_scopes(["orders:write"]))
    ///     .layer(auth);
    /// ```
    ///
    /// # Panics
    ///
    /// When a scope is not a scope-token: `auth.require_scopes(["orders write"])` (two scopes in one string) stops
    /// the program at start-up with "invalid scope `orders write`: … pass each scope as its own item".
    #[track_caller]
    pub fn require_scopes<I, S>(&self, scopes: I) -> AuthorizeLayer<C, R>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match self.try_require_scopes(scopes) {
            Ok(layer) => layer,
            Err(error) => panic!("JwtAuthLayer::require_scopes: {error}"),
        }
    }

    /// [`require_scopes`](Self::require_scopes) for scopes that come from configuration: an invalid scope is
    /// [`ConfigError::InvalidScope`] instead of a panic.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, ConfigError, JwtAuthLayer, VerificationKey};
    /// # let auth = JwtAuthLayer::builder()
    /// #     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    /// #     .issuer("https://auth.example.com")
    /// #     .audience("api")
    /// #     .build()
    /// #     .unwrap();
    /// let from_config = "orders:write reports:read";
    /// let layer = auth.try_require_scopes(from_config.split_whitespace())?;
    /// assert!(matches!(
    ///     auth.try_require_scopes(["two words"]),
    ///     Err(ConfigError::InvalidScope(_))
    /// ));
    /// # let _ = layer;
    /// # Ok::<(), ConfigError>(())
    /// ```
    ///
    /// Its `Result` is not a layer, so forgetting the `?` is a compile error, never a route without the check:
    ///
    /// ```compile_fail
    /// # use axum::{routing::post, Router};
    /// # use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
    /// # let auth = JwtAuthLayer::builder()
    /// #     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    /// #     .issuer("https://auth.example.com")
    /// #     .audience("api")
    /// #     .build()
    /// #     .unwrap();
    /// let app: Router = Router::new()
    ///     .route("/orders", post(|| async { "created" }))
    ///     .route_layer(auth.try_require_scopes(["orders:write"]))
    ///     .layer(auth);
    /// ```
    pub fn try_require_scopes<I, S>(&self, scopes: I) -> Result<AuthorizeLayer<C, R>, ConfigError>
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
    /// `UNAUTHENTICATED`), in this layer's realm, through its responder. Requirements read from configuration go
    /// through [`try_require_authentication`](Self::try_require_authentication).
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
    ///     .route_layer(auth.require_authentication(recent_mfa))
    ///     .layer(auth);
    /// ```
    ///
    /// # Panics
    ///
    /// At start-up, for a requirement that asks for nothing or an `acr` value that can't stand in the challenge
    /// (not a scope-token: empty, or with a space, quote or backslash), naming the value and the rule.
    #[track_caller]
    pub fn require_authentication(&self, step_up: StepUp) -> AuthorizeLayer<C, R> {
        match self.try_require_authentication(step_up) {
            Ok(layer) => layer,
            Err(error) => panic!("JwtAuthLayer::require_authentication: {error}"),
        }
    }

    /// [`require_authentication`](Self::require_authentication) for requirements that come from configuration:
    /// one that asks for nothing, or an `acr` value that can't stand in the challenge, is a [`ConfigError`].
    pub fn try_require_authentication(
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
