//! Which keys verify tokens and which issuers are accepted: static keys, remote key sets, trusted issuers.

use jsonwebtoken::crypto::CryptoProvider;

use super::JwtAuthBuilder;
use crate::keys::trust::TrustedIssuer;
use crate::keys::verification::VerificationKey;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Adds a verification key. Several keys are selected by the token's `kid`.
    pub fn key(mut self, key: VerificationKey) -> Self {
        self.settings.default_keys.keys.push(key);
        self
    }

    /// Adds several verification keys.
    pub fn keys(mut self, keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        self.settings.default_keys.keys.extend(keys);
        self
    }

    /// Trusts a remote JWK Set (a URL, OpenID Connect discovery, or a static document) beside the static keys
    /// (feature `jwks`). See [`Jwks`](crate::keys::Jwks) for its cache and refresh rules.
    ///
    /// [`Jwks::oidc(issuer)`](crate::keys::Jwks::oidc) names its issuer: its keys verify only that issuer's tokens, and
    /// that issuer is accepted, as with [`trust_issuer`](Self::trust_issuer) (no [`issuer`](Self::issuer) needed).
    #[cfg(feature = "jwks")]
    pub fn jwks(mut self, jwks: crate::keys::jwks::Jwks) -> Self {
        let Some(issuer) = jwks.oidc_issuer().map(str::to_owned) else {
            self.settings.default_keys.remote.push(jwks);
            return self;
        };
        match self
            .settings
            .named_issuers
            .iter_mut()
            .find(|(i, _)| *i == issuer)
        {
            Some((_, trusted)) => {
                trusted.remote.push(jwks);
                self
            }
            None => self.trust_issuer(issuer, TrustedIssuer::new().jwks(jwks)),
        }
    }

    /// Trusts tokens whose `iss` is `issuer` — verified only with this issuer's own keys. Tokens are routed by
    /// their (not yet verified) `iss` before any signature check, so a token naming one issuer but signed with
    /// another's key is refused (RFC 8725 §3.8). The issuer is added to the accepted issuers.
    ///
    /// Trusting the same issuer twice is a build error ([`ConfigError::DuplicateIssuer`](crate::ConfigError::DuplicateIssuer)).
    pub fn trust_issuer(mut self, issuer: impl Into<String>, keys: TrustedIssuer) -> Self {
        let issuer = issuer.into();
        #[cfg(feature = "jwks")]
        if keys
            .remote
            .iter()
            .any(|jwks| jwks.oidc_issuer().is_some_and(|own| own != issuer))
        {
            return self.fail(crate::error::ConfigError::Conflict(
                "JwtAuthBuilder::trust_issuer: a Jwks::oidc(..) key set trusted for another issuer: its keys are the keys of the issuer it \
                 discovers; pass it to .jwks(..), or to trust_issuer(..) under that issuer's name",
            ));
        }
        if !self.settings.validation.issuers.contains(&issuer) {
            self.settings.validation.issuers.push(issuer.clone());
        }
        self.settings.named_issuers.push((issuer, keys));
        self
    }

    /// Requires `iss` to equal this issuer exactly (may be called again to accept several). A token without
    /// `iss` is refused. [`build`](Self::build) requires an issuer (this, [`sessions`](Self::sessions),
    /// [`trust_issuer`](Self::trust_issuer) or a `Jwks::oidc` key set), or [`allow_any_issuer`](Self::allow_any_issuer).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.validation.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whatever their `iss`, giving up the issuer check: any party whose tokens your keys verify
    /// (a shared HMAC secret, a multi-tenant key set) is trusted as every issuer. Without this,
    /// [`build`](Self::build) requires an accepted issuer (RFC 8725 §3.8).
    pub fn allow_any_issuer(mut self) -> Self {
        self.settings.any_issuer = true;
        self
    }

    /// Uses an explicit jsonwebtoken crypto provider instead of the one the crate features select.
    ///
    /// With the default (feature `aws-lc-rs`), the layer's keys are parsed once, when they are made, into
    /// aws-lc-rs's own form, and signatures are checked with them; a provider passed here (a FIPS build, a
    /// hardware module, one that counts) is asked for every signature instead, with the key as given.
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.settings.provider = Some(provider);
        self
    }
}
