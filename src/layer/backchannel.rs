//! What the layer lends the back-channel logout endpoint: [`JwtAuthLayer::backchannel_logout`] verifies logout
//! tokens with the layer's keys (the provider's remote key set, routed by `iss`), written beside the layer so
//! that `session/` never depends on `layer/`.

use std::sync::Arc;

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::layer::auth_layer::JwtAuthLayer;
use crate::layer::pipeline::config::AuthConfig;
use crate::session::{BackchannelLogout, LentVerification, LogoutVerifier};
use crate::store::SessionStore;
use crate::token::verifier::Unverified;

impl<C, R> JwtAuthLayer<C, R>
where
    C: Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    /// The OpenID Connect back-channel logout endpoint for provider `issuer` and this client, `audience` (its
    /// client id at the provider), revoking through `store` (share the one your layers check, e.g. your
    /// sessions' [`Sessions::store`](crate::Sessions::store)). Logout tokens are verified with this layer's
    /// keys for `issuer` — the remote key set it trusts for that provider — waiting for one key-set fetch when
    /// their `kid` is new. See [`BackchannelLogout`] for the rules and answers. Each logout it takes is a
    /// `backchannel_logout` [audit event](crate::audit) of the sessions the layer is wired to.
    ///
    /// `issuer` must not be the layer's own session issuer (its sessions end through
    /// [`Sessions`](crate::Sessions), never by a provider's word): [`ConfigError::ProviderIsOwnIssuer`]; an
    /// empty `issuer` or `audience` is [`ConfigError::Missing`].
    pub fn backchannel_logout(
        &self,
        issuer: impl Into<String>,
        audience: impl Into<String>,
        store: impl SessionStore,
    ) -> Result<BackchannelLogout, ConfigError> {
        let (issuer, audience) = (issuer.into(), audience.into());
        let validation = &self.config.verifier.validation;
        if validation
            .own_lifetime
            .as_ref()
            .is_some_and(|(own, _)| *own == issuer)
        {
            return Err(ConfigError::ProviderIsOwnIssuer(issuer));
        }
        if audience.is_empty() || issuer.is_empty() {
            return Err(ConfigError::Missing(
                "JwtAuthLayer::backchannel_logout: the provider's issuer and this client's id at the provider \
                 (both non-empty)",
            ));
        }
        let config = Arc::clone(&self.config);
        let verify: LogoutVerifier = Arc::new(move |token: String| {
            let config = Arc::clone(&config);
            Box::pin(async move { verify_logout_token(&config, &token).await })
        });
        let lent = LentVerification {
            verify,
            clock: Arc::clone(&self.config.clock),
            leeway: validation.leeway,
            audit: self.config.audit.clone(),
        };
        Ok(BackchannelLogout::new(
            lent,
            issuer,
            audience,
            Arc::new(store),
        ))
    }
}

/// The payload of a logout token whose signature one of the layer's keys verifies, after at most one wait for
/// a remote key-set fetch.
async fn verify_logout_token<C, R>(
    config: &AuthConfig<C, R>,
    token: &str,
) -> Result<Vec<u8>, AuthError> {
    let wait = match config.verifier.verify_logout_token(token, true) {
        Ok(payload) => return Ok(payload),
        Err(Unverified::Refused(error)) => return Err(error),
        Err(Unverified::WaitForKeys(wait)) => wait,
    };
    wait.await;
    match config.verifier.verify_logout_token(token, false) {
        Ok(payload) => Ok(payload),
        Err(Unverified::Refused(error)) => Err(error),
        Err(Unverified::WaitForKeys(_)) => Err(AuthErrorKind::UnknownKey.into()),
    }
}
