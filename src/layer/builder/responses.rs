//! Where the token is read from, who may pass without one, and what the challenges of a rejection say.

use super::JwtAuthBuilder;
use crate::error::ConfigError;
use crate::layer::rejection::is_header_safe;
use crate::token::source::{CookieSource, TokenSource};

impl<C, R> JwtAuthBuilder<C, R> {
    /// Replaces the token sources with this one (the default is the bearer header).
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.settings.sources = vec![Box::new(source)];
        self
    }

    /// Also reads the token from the cookie `name`, beside the current sources. A request that sends both
    /// a bearer header and the cookie is refused (400). A cookie needs a CSRF guard: wire
    /// [`browser_sessions`](Self::browser_sessions) instead (its access cookie, guarded), or `build()` fails
    /// unless you opt out with [`allow_cookies_without_csrf`](Self::allow_cookies_without_csrf).
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        match CookieSource::new(name) {
            Ok(source) => {
                self.settings.sources.push(Box::new(source));
                self
            }
            Err(e) => self.fail(e.in_setting("JwtAuthBuilder::cookie")),
        }
    }

    /// Lets CORS preflight requests (`OPTIONS` with `Access-Control-Request-Method`) through without a token, as
    /// Envoy's `bypass_cors_preflight`: browsers never send credentials on a preflight. Needed when the layer sits
    /// outside tower-http's `CorsLayer`; with `CorsLayer` outside the layer (the recommended order) it never
    /// sees a preflight.
    pub fn bypass_cors_preflight(mut self) -> Self {
        self.settings.bypass_cors_preflight = true;
        self
    }

    /// Lets requests without any token through, without claims (handlers see `Option<Claims<C>>` as
    /// `None`). A token that is present but invalid is still refused.
    pub fn optional(mut self) -> Self {
        self.settings.optional = true;
        self
    }

    /// The `realm` of `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        if !is_header_safe(&realm) {
            return self.fail(ConfigError::InvalidName {
                setting: "JwtAuthBuilder::realm",
                name: realm,
            });
        }
        self.settings.realm = realm;
        self
    }

    /// RFC 9728 §5.1: every challenge names the URL of this resource's protected resource metadata
    /// (`resource_metadata="…"`), so a client that meets a 401 can find which authorization servers and
    /// scopes apply (the Model Context Protocol's authorization flow starts there). Serve the document with
    /// [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata); its URL for a resource is
    /// [`ProtectedResourceMetadata::well_known_url`](crate::well_known::ProtectedResourceMetadata::well_known_url). An
    /// `http`/`https` URL without quotes or controls, checked by `build`.
    pub fn resource_metadata_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        if !absolute || !is_header_safe(&url) {
            return self.fail(ConfigError::InvalidUrl {
                setting: "JwtAuthBuilder::resource_metadata_url",
                url,
            });
        }
        self.settings.resource_metadata = Some(url);
        self
    }
}
