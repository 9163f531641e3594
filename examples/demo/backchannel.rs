//! Remote keys by issuer and OpenID Connect back-channel logout: `JWKS_URL`'s keys verify the tokens of
//! `JWKS_ISSUER`, and that provider's logout tokens, POSTed to `/backchannel-logout`, end its sessions here.

use tower_jwt_auth::keys::{Jwks, TrustedIssuer};
use tower_jwt_auth::session::BackchannelLogout;
use tower_jwt_auth::{JwtAuthBuilder, JwtAuthLayer, Sessions};

use crate::settings::env_or;
use crate::stores::Stores;
use crate::BoxError;

/// The remote identity provider: its JWK Set URL and its issuer (`JWKS_ISSUER`, default `JWT_ISSUER`).
pub(crate) struct Provider {
    url: String,
    issuer: String,
    /// The provider is the demo's own issuer (`JWKS_ISSUER` unset or equal to `JWT_ISSUER`).
    same_issuer: bool,
}

/// The provider `JWKS_URL` names, if any.
pub(crate) fn provider(own_issuer: &str) -> Option<Provider> {
    let url = std::env::var("JWKS_URL").ok()?;
    let issuer = env_or("JWKS_ISSUER", own_issuer);
    Some(Provider {
        url,
        same_issuer: issuer == own_issuer,
        issuer,
    })
}

impl Provider {
    /// Trusts the provider's keys: for the tokens of its own issuer when it has one (routed by `iss`), else
    /// beside the demo's keys, for the demo's issuer (as before `JWKS_ISSUER` existed).
    pub(crate) fn trust<C, R>(
        &self,
        auth: JwtAuthBuilder<C, R>,
    ) -> Result<JwtAuthBuilder<C, R>, BoxError> {
        eprintln!("also trusting the keys of {} for {}", self.url, self.issuer);
        // https, or http on a loopback host (a local identity provider); any other http URL is refused.
        let jwks = Jwks::url(&self.url)?.allow_http();
        Ok(match self.same_issuer {
            true => auth.jwks(jwks),
            false => auth.trust_issuer(&self.issuer, TrustedIssuer::new().jwks(jwks)),
        })
    }

    /// `POST /backchannel-logout` for the provider's logout tokens addressed to `audience`: its sessions are
    /// revoked in the demo's store, and logout tokens recorded in the shared store when there is one. Only for a
    /// provider with an issuer of its own: the demo's sessions never end by another party's word.
    pub(crate) fn backchannel_logout<C, R>(
        &self,
        auth: &JwtAuthLayer<C, R>,
        audience: &str,
        sessions: &Sessions,
        stores: &Stores,
    ) -> Result<Option<BackchannelLogout>, BoxError>
    where
        C: Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        if self.same_issuer {
            eprintln!(
                "/backchannel-logout refuses every logout token: set JWKS_ISSUER to the provider's issuer to take \
                 its logouts"
            );
            return Ok(None);
        }
        let mut logout =
            auth.backchannel_logout(&self.issuer, audience, sessions.store().clone())?;
        if let Some(replay) = &stores.1 {
            logout = logout.replay_cache(replay.clone());
        }
        Ok(Some(logout))
    }
}
