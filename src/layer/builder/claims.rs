//! What a token must say: audience, time claims, type, required claims, size and JSON shape, scopes and
//! predicates.

use std::time::Duration;

use super::JwtAuthBuilder;
use crate::error::ConfigError;
use crate::jose::json::JsonLimits;
use crate::token::validation::MAX_LEEWAY;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Requires `aud` to name this audience (may be called again to accept several). A token without `aud`
    /// is refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.settings.validation.audiences.push(audience.into());
        self
    }

    /// Accepts tokens whatever their `aud`. Without this, [`build`](Self::build) requires at least one
    /// [`audience`](Self::audience): a token minted for another service of the same issuer must not work here
    /// (RFC 8725 §3.9).
    pub fn allow_any_audience(mut self) -> Self {
        self.settings.any_audience = true;
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        if leeway.as_secs() > MAX_LEEWAY {
            return self.fail(ConfigError::LeewayTooLarge);
        }
        self.settings.validation.leeway = leeway.as_secs() as i64;
        self
    }

    /// Accepts tokens without `exp`. Discouraged: such tokens can never be taken back by expiry, and no
    /// revocation can outlive them, so [`build`](Self::build) refuses this together with a
    /// [`revocation`](Self::revocation) store ([`ConfigError::MissingExpWithRevocation`]).
    pub fn allow_missing_exp(mut self) -> Self {
        self.settings.validation.require_exp = false;
        self
    }

    /// Requires the header `typ` to be `typ` (case-insensitive, `application/` prefix optional).
    pub fn require_type(mut self, typ: impl Into<String>) -> Self {
        self.settings
            .validation
            .types
            .push(typ.into().to_ascii_lowercase());
        self
    }

    /// RFC 9068 access tokens: requires `typ: at+jwt`, so ID tokens and other JWTs of the same issuer are
    /// refused (RFC 8725 §3.11–3.12).
    pub fn access_token_type(self) -> Self {
        self.require_type("at+jwt")
    }

    /// The RFC 9068 profile: `typ: at+jwt` and the claims `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`
    /// are required.
    pub fn rfc9068_profile(self) -> Self {
        self.access_token_type().require_claims([
            "iss",
            "exp",
            "aud",
            "sub",
            "client_id",
            "iat",
            "jti",
        ])
    }

    /// Makes registered claims mandatory (`sub`, `jti`, `iat`, `client_id`, …).
    pub fn require_claims<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for name in names {
            if let Err(e) = self.settings.validation.require_claim(name) {
                return self.fail(e);
            }
        }
        self
    }

    /// Refuses tokens issued (`iat`) longer than `max_age` ago, whatever their `exp` (and tokens without `iat`).
    /// Required beside a [`revocation`](Self::revocation) store: set it to the issuer's `max_ttl`, so no token
    /// outlives the revocation markers that cover it.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.settings.validation.max_age = Some(max_age.as_secs() as i64);
        self
    }

    /// Bounds on the JSON of a token's claims (headers always get the defaults): at most `max_members` members per object and elements
    /// per array (default [`DEFAULT_MAX_JSON_MEMBERS`](crate::layer::DEFAULT_MAX_JSON_MEMBERS), 1024: an Entra ID token
    /// with 200 `groups` passes), nested at most `max_depth` levels below the top (default
    /// [`DEFAULT_MAX_JSON_DEPTH`](crate::layer::DEFAULT_MAX_JSON_DEPTH), 16). Duplicate member names are refused at
    /// every level whatever the limits. The token size limit bounds the total work; these bound the shape. (An
    /// Entra ID token with 200 GUID `groups` is about 10 KiB: raise [`max_token_size`](Self::max_token_size) for
    /// it.)
    pub fn json_limits(mut self, max_members: usize, max_depth: usize) -> Self {
        if max_members == 0 {
            return self.fail(ConfigError::InvalidJsonLimits);
        }
        self.settings.json_limits = JsonLimits {
            max_members,
            max_depth,
        };
        self
    }

    /// Largest token accepted, in bytes (default 8 KiB); larger ones are refused before any decoding.
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        if bytes == 0 {
            return self.fail(ConfigError::InvalidSize {
                setting: "JwtAuthBuilder::max_token_size",
            });
        }
        self.settings.max_token_size = bytes;
        self
    }

    /// Requires every one of these scopes in the `scope` claim (403 `insufficient_scope` otherwise).
    pub fn require_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match self.requirements.add_scopes(scopes) {
            Ok(()) => self,
            Err(e) => self.fail(e),
        }
    }

    /// Requires `predicate` to hold for the claims (403 `insufficient_scope` otherwise); called again, every
    /// predicate must hold. Set the claims type with [`claims`](Self::claims) first: changing it afterwards is
    /// a build error ([`ConfigError::PredicateBeforeClaimsType`]), never a silently dropped check.
    pub fn require(mut self, predicate: impl Fn(&C) -> bool + Send + Sync + 'static) -> Self
    where
        C: 'static,
    {
        self.requirements.add_predicate(predicate);
        self
    }
}
