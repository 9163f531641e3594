//! [`JwtAuthLayer`]: the tower layer that authenticates requests.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use serde::de::DeserializeOwned;

use crate::error::AuthError;
use crate::layer::pipeline::certificate::check_certificate;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::pipeline::dpop::refuse_bound;
use crate::layer::pipeline::verify::{verify_now, verify_without_wait};
use crate::layer::rejection::DefaultResponder;
use crate::layer::service::JwtAuth;
use crate::token::claims::RegisteredClaims;
use crate::token::info::{Claims, TokenInfo};
use crate::token::verifier::Unverified;
use crate::well_known::resource_metadata::ProtectedResourceMetadata;

/// Verifies the bearer JWT of every request and hands its claims to the inner service.
///
/// Cloning is a pointer copy. Build one with [`JwtAuthLayer::builder`]; see the crate docs for axum and hyper
/// examples.
pub struct JwtAuthLayer<C = RegisteredClaims, R = DefaultResponder> {
    pub(crate) config: Arc<AuthConfig<C, R>>,
}

impl<C, R> JwtAuthLayer<C, R> {
    pub(crate) fn from_config(config: AuthConfig<C, R>) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl<C: DeserializeOwned + 'static, R> JwtAuthLayer<C, R> {
    /// Verifies a token the way the layer does for a request — size, structure, key, signature, claims,
    /// requirements, and the token cache — for tokens that arrive another way (a WebSocket message, a tonic
    /// interceptor, a job queue).
    ///
    /// Remote key sets are not fetched here: a `kid` they don't know yet is refused as unknown (the layer itself
    /// waits for a fetch). It does **not** consult the revocation store, which may need to wait: call
    /// [`RevocationCheck::is_revoked`](crate::store::RevocationCheck::is_revoked) with the returned [`TokenInfo`] when you
    /// configured one.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, AuthErrorKind, JwtAuthLayer, VerificationKey};
    /// let layer = JwtAuthLayer::builder()
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(layer.verify_token("not.a.token").unwrap_err().kind(), AuthErrorKind::InvalidToken);
    /// ```
    pub fn verify_token(&self, token: &str) -> Result<(Claims<C>, TokenInfo), AuthError> {
        // No proof nor certificate comes with it: a DPoP-bound token is refused, as the layer refuses it as a
        // bearer token, and so is a certificate-bound one.
        let now = self.config.clock.now();
        let mut unbound = |info: &TokenInfo| {
            refuse_bound(info)?;
            check_certificate(self.config.certificates.is_some(), None, info)
        };
        let verified = verify_without_wait(&self.config, token, now, &mut unbound)?;
        Ok((verified.claims, verified.info))
    }

    /// As [`verify_token`](Self::verify_token), but waits for one fetch of a remote key set when the token's
    /// key may arrive with it (so a key set not fetched yet is [`AuthErrorKind::Unavailable`], not a refusal).
    pub(crate) async fn verify_token_waiting(&self, token: &str) -> Result<TokenInfo, AuthError>
    where
        C: Send + Sync,
    {
        // Revocation only takes access away: a bound token is revoked without its proof.
        let mut any = |_: &TokenInfo| Ok(());
        let wait = match verify_now(&self.config, token, self.config.clock.now(), true, &mut any) {
            Ok(verified) => return Ok(verified.info),
            Err(Unverified::Refused(error)) => return Err(error),
            Err(Unverified::WaitForKeys(wait)) => wait,
        };
        wait.await;
        verify_without_wait(&self.config, token, self.config.clock.now(), &mut any)
            .map(|verified| verified.info)
    }
}

impl<C, R> JwtAuthLayer<C, R> {
    /// The RFC 9728 protected resource metadata of `resource` (this service's identifier, its `https` URL) as
    /// this layer sees it: its accepted issuers as `authorization_servers`, `bearer_methods_supported`
    /// from its token sources, and with DPoP its proof algorithms and whether bound tokens are required. Add scopes and names, then serve it with
    /// [`into_service`](ProtectedResourceMetadata::into_service):
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use tower_jwt_auth::{Algorithm, JwtAuthLayer, well_known::ProtectedResourceMetadata, VerificationKey};
    ///
    /// let resource = "https://api.example.com";
    /// let metadata_url = ProtectedResourceMetadata::well_known_url(resource);
    /// let auth = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience(resource)
    ///     .resource_metadata_url(&metadata_url) // named in every 401's challenge
    ///     .build()
    ///     .unwrap();
    /// let metadata = auth.resource_metadata(resource).scopes_supported(["read", "write"]);
    /// let app: Router = Router::new()
    ///     .route("/me", get(|| async { "me" }))
    ///     .route_layer(auth)
    ///     .route_service("/.well-known/oauth-protected-resource", metadata.into_service());
    /// ```
    pub fn resource_metadata(&self, resource: impl Into<String>) -> ProtectedResourceMetadata {
        let mut metadata = ProtectedResourceMetadata::new(resource);
        for issuer in &self.config.verifier.validation.issuers {
            metadata = metadata.authorization_server(issuer.as_str());
        }
        for method in self.config.sources.iter().filter_map(|s| s.bearer_method()) {
            metadata = metadata.bearer_method(method);
        }
        if self.config.certificates.is_some() {
            metadata = metadata.certificate_bound_tokens();
        }
        if let Some(dpop) = &self.config.dpop {
            metadata = metadata.dpop(dpop.rules.algorithm_names(), dpop.required);
        }
        metadata
    }

    /// How many verified tokens the layer's cache holds (0 when the cache is off).
    pub fn cached_tokens(&self) -> usize {
        self.config.cache.as_ref().map_or(0, |c| c.len())
    }

    /// How many remote introspection answers the layer's cache holds (feature `introspection`; 0 without an
    /// [introspection endpoint](crate::JwtAuthBuilder::introspection)); at most its
    /// [`cache_capacity`](crate::introspection::Introspection::cache_capacity).
    #[cfg(feature = "introspection")]
    pub fn cached_introspections(&self) -> usize {
        self.config.introspection.as_ref().map_or(0, |i| i.cached())
    }

    /// The cache's current weight, in the approximate bytes bounded by
    /// [`token_cache_size`](crate::JwtAuthBuilder::token_cache_size).
    pub fn token_cache_weight(&self) -> u64 {
        self.config.cache.as_ref().map_or(0, |c| c.weight())
    }
}

impl<C, R> Clone for JwtAuthLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
        }
    }
}

impl<C, R> fmt::Debug for JwtAuthLayer<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("config", &self.config)
            .finish()
    }
}

impl<S, C, R> Layer<S> for JwtAuthLayer<C, R> {
    type Service = JwtAuth<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth::from_parts(inner, Arc::clone(&self.config))
    }
}

impl<S, C, R> JwtAuth<S, C, R> {
    /// Wraps `inner` with the configuration of `layer`.
    pub fn new(inner: S, layer: &JwtAuthLayer<C, R>) -> Self {
        layer.layer(inner)
    }
}
