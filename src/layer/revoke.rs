//! What the layer lends the session endpoints: [`RevokeEndpoint::with_access_tokens`] and
//! [`IntrospectionEndpoint::with_access_tokens`] verify access tokens the way a layer does. It is written here,
//! beside the layer, so that `session/` never depends on `layer/` (the layer depends on sessions, not the other
//! way round).

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::layer::auth_layer::JwtAuthLayer;
use crate::session::{AccessVerifier, IntrospectionEndpoint, RevokeEndpoint};

/// Verifies access tokens as `layer` does, waiting for one remote key-set fetch when needed.
fn access_verifier<C, R>(layer: JwtAuthLayer<C, R>) -> AccessVerifier
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    Arc::new(move |token: String| {
        let layer = layer.clone();
        Box::pin(async move { layer.verify_token_waiting(&token).await })
    })
}

impl RevokeEndpoint {
    /// Also revokes access tokens, verified the way `layer` verifies them (keys, algorithms, claims,
    /// requirements, as [`JwtAuthLayer::verify_token`] does). A DPoP-bound token is revoked without a proof of
    /// its key, as a bound refresh token is: revocation only takes access away, so possession is enough to
    /// give it up (RFC 7009 leaves authenticating the client to the deployment: put yours in front).
    pub fn with_access_tokens<C, R>(self, layer: JwtAuthLayer<C, R>) -> Self
    where
        C: DeserializeOwned + Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        self.access_verifier(access_verifier(layer))
    }
}

impl IntrospectionEndpoint {
    /// Introspects access tokens, verified the way `layer` verifies them (keys, algorithms, claims,
    /// requirements, as [`JwtAuthLayer::verify_token`] does; a DPoP-bound token is described, with its `cnf`,
    /// without a proof: the caller asks about the token, it does not use it). Only tokens signed by the
    /// sessions' own issuer can be active.
    pub fn with_access_tokens<C, R>(self, layer: JwtAuthLayer<C, R>) -> Self
    where
        C: DeserializeOwned + Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        self.access_verifier(access_verifier(layer))
    }
}
