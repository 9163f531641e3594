//! Tokens accepted through a remote RFC 7662 introspection endpoint (feature `introspection`).

use super::{JwtAuthBuilder, Settings};
use crate::error::ConfigError;
use crate::introspection::Introspection;
use crate::introspection::LayerIntrospection;
use crate::token::validation::Validation;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Accepts the tokens the layer can't verify itself — opaque tokens, and with
    /// [`Introspection::introspect_jwts`] the JWTs of the provider's issuer — through the provider's RFC 7662
    /// introspection endpoint (see the [`introspection`](crate::introspection) module). An active answer meets
    /// the layer's rules as a verified JWT's claims would: time claims, audience, the issuer (the provider's
    /// [`Introspection::issuer`] when given, which then counts as the layer's accepted issuer), requirements,
    /// DPoP binding, and the revocation store.
    ///
    /// One endpoint per layer (a second is [`ConfigError::Conflict`]); the provider's issuer must not be the
    /// layer's own session issuer ([`ConfigError::ProviderIsOwnIssuer`]).
    pub fn introspection(mut self, introspection: Introspection) -> Self {
        if self.settings.introspection.is_some() {
            return self.fail(ConfigError::Conflict(
                "JwtAuthBuilder::introspection: one introspection endpoint per layer",
            ));
        }
        self.settings.introspection = Some(introspection);
        self
    }
}

impl Settings {
    /// Whether the layer introspects the tokens of a named provider issuer (which then counts as accepted).
    pub(super) fn introspects_an_issuer(&self) -> bool {
        self.introspection
            .as_ref()
            .is_some_and(|i| i.issuer.is_some())
    }

    /// The layer's introspection, its answers held to `validation` (the provider's issuer in place of the
    /// accepted ones when named).
    pub(super) fn introspection<C>(
        &mut self,
        validation: &Validation,
    ) -> Result<Option<LayerIntrospection<C>>, ConfigError> {
        let Some(introspection) = self.introspection.take() else {
            return Ok(None);
        };
        let own = self.sessions.as_ref().map(|s| s.issuer().issuer_name());
        if let (Some(own), Some(provider)) = (own, introspection.issuer.as_deref()) {
            if own == provider {
                return Err(ConfigError::ProviderIsOwnIssuer(provider.to_owned()));
            }
        }
        LayerIntrospection::new(introspection, validation, self.json_limits).map(Some)
    }
}
