//! [`JwtAuthBuilder::build`]: the checks that need every setting at once, then the layer's configuration.

use std::marker::PhantomData;
use std::sync::Arc;

use http::HeaderName;
use jsonwebtoken::crypto::CryptoProvider;

use super::{JwtAuthBuilder, Settings};
use crate::clock::{SharedClock, SystemClock};
use crate::error::ConfigError;
use crate::issuer::key_source::IssuerKeys;
use crate::keys::source::KeySource;
use crate::keys::trust::TrustDomains;
use crate::layer::auth_layer::JwtAuthLayer;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::rejection::{Challenges, DpopChallenge};
use crate::session::sliding::Sliding;
use crate::session::Sessions;
use crate::store::RevocationCheck;
use crate::token::cache::TokenCache;
use crate::token::source::BearerHeader;
use crate::token::verifier::Verifier;
use crate::trace::PreflightWarning;

/// The revocation store and clock the layer checks with: its own, or its sessions'.
type StoreAndClock = (Option<Arc<dyn RevocationCheck>>, Option<SharedClock>);

/// The sessions' issuer's name and its key ring as a key source.
type OwnKeys = Option<(String, Box<dyn KeySource>)>;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Checks the configuration and builds the layer.
    pub fn build(self) -> Result<JwtAuthLayer<C, R>, ConfigError> {
        let mut settings = self.settings;
        if let Some(error) = settings.error.take() {
            return Err(error);
        }
        settings.check_accepted_parties()?;
        let provider = match settings.provider {
            Some(provider) => provider,
            None => crate::crypto::feature_provider()?,
        };
        let (revocation, clock) = settings.store_and_clock()?;
        settings.check_revocation_bounds(revocation.is_some())?;
        let mut validation = std::mem::take(&mut settings.validation);
        // A token of a session can only be logged out where its session is checked.
        validation.refuse_sid = revocation.is_none() && !settings.unchecked_sessions;
        // The longest lifetime of the issuer's tokens, which its revocation markers are sized by (whichever key
        // verifies a token that names the issuer).
        validation.own_lifetime = settings.sessions.as_ref().map(|sessions| {
            let issuer = sessions.issuer();
            (issuer.issuer_name().to_owned(), issuer.max_ttl_secs())
        });
        #[cfg(feature = "introspection")]
        let introspection = settings.introspection(&validation)?;
        let own = settings.own_keys(provider)?;
        let domains = TrustDomains::build(
            std::mem::take(&mut settings.default_keys),
            own,
            std::mem::take(&mut settings.named_issuers),
            provider,
        );
        #[cfg(feature = "introspection")]
        // A layer that only introspects needs no keys: every JWT is then refused as signed by an unknown key.
        let domains = match domains {
            Err(ConfigError::NoKeys) if introspection.is_some() => Ok(TrustDomains::default()),
            other => other,
        };
        let domains = domains?;
        let sliding = settings.sliding()?;
        // Refused DPoP replays go to the sessions' audit hook (the one place it is configured).
        if let (Some(dpop), Some(sessions)) = (&mut settings.dpop, &settings.sessions) {
            dpop.audit = sessions.auditor().clone();
        }
        let csrf = settings.csrf_guard()?;
        let verifier = Verifier {
            domains,
            provider,
            validation,
            max_token_size: settings.max_token_size,
            json_limits: settings.json_limits,
        };
        Ok(JwtAuthLayer::from_config(AuthConfig {
            verifier,
            sensitive_headers: settings.sensitive_headers(),
            challenges: settings
                .challenges()
                .with_scope(self.requirements.scope_text()),
            bearer_header_only: settings.bearer_header_only(),
            sources: settings.sources,
            websocket: settings.websocket,
            csrf,
            optional: settings.optional,
            bypass_cors_preflight: settings.bypass_cors_preflight,
            preflight_warning: PreflightWarning::default(),
            dpop: settings.dpop,
            requirements: self.requirements,
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            revocation,
            sliding,
            cache: (settings.cache_bytes > 0).then(|| TokenCache::new(settings.cache_bytes)),
            certificates: settings.certificates,
            #[cfg(feature = "introspection")]
            introspection,
            // The sessions' audit hook, for the endpoints the layer lends its keys to (back-channel logout).
            audit: settings
                .sessions
                .as_ref()
                .map(|sessions| sessions.auditor().clone())
                .unwrap_or_default(),
            responder: self.responder,
            _claims: PhantomData,
        }))
    }
}

impl Settings {
    /// An audience and an issuer are required, unless any is accepted on purpose.
    fn check_accepted_parties(&self) -> Result<(), ConfigError> {
        if self.validation.audiences.is_empty() && !self.any_audience {
            return Err(ConfigError::Missing(
                "JwtAuthBuilder::audience, the `aud` tokens must name: call .audience(..), or \
                 .allow_any_audience() on purpose",
            ));
        }
        #[cfg(feature = "introspection")]
        let introspected = self.introspects_an_issuer();
        #[cfg(not(feature = "introspection"))]
        let introspected = false;
        if self.validation.issuers.is_empty() && !self.any_issuer && !introspected {
            return Err(ConfigError::Missing(
                "JwtAuthBuilder::issuer, the `iss` tokens must name: call .issuer(..), wire .sessions(..), or \
                 .allow_any_issuer() on purpose",
            ));
        }
        Ok(())
    }

    /// The layer's own store and clock, or its sessions' (never both).
    fn store_and_clock(&mut self) -> Result<StoreAndClock, ConfigError> {
        let Some(sessions) = &self.sessions else {
            return Ok((self.revocation.take(), self.clock.take()));
        };
        if self.revocation.is_some() {
            return Err(ConfigError::Conflict(
                "JwtAuthBuilder::revocation beside .sessions(..), which check their own store: remove \
                 .revocation(..)",
            ));
        }
        if self.clock.is_some() {
            return Err(ConfigError::Conflict(
                "JwtAuthBuilder::clock beside .sessions(..), which bring their issuer's clock: remove .clock(..)",
            ));
        }
        let store: Arc<dyn RevocationCheck> = sessions.store().clone();
        Ok((Some(store), Some(Arc::clone(sessions.clock()))))
    }

    /// With a revocation store, no token may outlive the markers that revoke it.
    fn check_revocation_bounds(&self, revocation: bool) -> Result<(), ConfigError> {
        if revocation && !self.validation.require_exp {
            return Err(ConfigError::MissingExpWithRevocation);
        }
        if self.sessions.is_none()
            && revocation
            && self.validation.max_age.is_none()
            && !self.unbounded_lifetime
        {
            return Err(ConfigError::Missing(
                "JwtAuthBuilder::max_age, the longest lifetime of the tokens a revocation store covers: .max_age(..) set to their \
                 issuer's max_ttl, so no token outlives the marker that revokes it (or \
                 .allow_unbounded_token_lifetime() for a store whose revocations never lapse)",
            ));
        }
        Ok(())
    }

    /// The sessions' issuer's own keys, rotations and retirements included, trusted without being given again;
    /// a static copy would outlive `TokenIssuer::retire`, so it is refused.
    fn own_keys(&self, provider: &'static CryptoProvider) -> Result<OwnKeys, ConfigError> {
        let Some(sessions) = &self.sessions else {
            return Ok(None);
        };
        let own = IssuerKeys(sessions.issuer().clone());
        let static_keys = self
            .default_keys
            .keys
            .iter()
            .chain(self.named_issuers.iter().flat_map(|(_, t)| &t.keys));
        if own.holds_any(static_keys, provider) {
            return Err(ConfigError::Conflict(
                "JwtAuthBuilder::key: a key of the sessions' issuer given again with .key(..) or trust_issuer: a layer \
                 wired to .sessions(..) trusts that issuer's keys through its key ring (rotate, stage, \
                 retire), and a static copy would keep a retired key trusted; remove the static key",
            ));
        }
        let name = sessions.issuer().issuer_name().to_owned();
        Ok(Some((name, Box::new(own) as Box<dyn KeySource>)))
    }

    /// The sliding policy, checked, with the sessions whose tokens it renews.
    fn sliding(&mut self) -> Result<Option<Arc<Sliding>>, ConfigError> {
        match (self.sliding.take(), &self.sessions) {
            (None, _) => Ok(None),
            (Some(_), None) => Err(ConfigError::SlidingWithoutSessions),
            (Some(policy), Some(sessions)) => {
                policy.validate()?;
                Ok(Some(Arc::new(Sliding {
                    policy,
                    sessions: Sessions::clone(sessions),
                    browser: self.browser.clone(),
                })))
            }
        }
    }

    /// Whether the one token source is the default bearer header (the layer then reads it without the general
    /// source path; see `find_token`). Told by the sources themselves, so no setting can leave it stale.
    fn bearer_header_only(&self) -> bool {
        matches!(&self.sources[..], [only] if (&**only as &dyn std::any::Any).is::<BearerHeader>())
    }

    /// The headers that carry credentials (kept out of logs): the sources', with DPoP the `Authorization: DPoP`
    /// header and the proof, with browser sessions the CSRF header.
    fn sensitive_headers(&self) -> Vec<HeaderName> {
        let dpop = self
            .dpop
            .iter()
            .flat_map(|_| [http::header::AUTHORIZATION, crate::dpop::DPOP_HEADER]);
        let protocol = self
            .websocket
            .protocol
            .then_some(http::header::SEC_WEBSOCKET_PROTOCOL);
        let csrf = self
            .browser
            .iter()
            .map(|browser| browser.csrf().header().clone());
        self.sources
            .iter()
            .flat_map(|source| source.headers().iter().cloned())
            .chain(dpop)
            .chain(protocol)
            .chain(csrf)
            .collect()
    }

    /// The challenges of the layer's rejections: realm, resource metadata URL, DPoP algorithms.
    fn challenges(&self) -> Challenges {
        let dpop = self.dpop.as_ref().map(|dpop| DpopChallenge {
            algs: dpop.rules.algs().into(),
            required: dpop.required,
        });
        Challenges::new(&self.realm, self.resource_metadata.as_deref(), dpop)
    }
}
