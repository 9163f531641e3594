//! RFC 9728 protected resource metadata: the JSON document that tells a client which authorization servers,
//! scopes and token methods a resource accepts, and the tower service that serves it.

use bytes::Bytes;
use serde::Serialize;

/// The path RFC 9728 §3.1 puts the document under, between the host and the resource's own path.
pub const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// An RFC 9728 protected resource metadata document. [`JwtAuthLayer::resource_metadata`] fills it from the
/// layer (its issuers as `authorization_servers`, how its token sources take tokens as
/// `bearer_methods_supported`); add the rest, then serve it with [`into_service`](Self::into_service) at
/// [`well_known_url`](Self::well_known_url), and name that URL in the layer's challenges with
/// [`JwtAuthBuilder::resource_metadata_url`](crate::JwtAuthBuilder::resource_metadata_url).
///
/// ```
/// use tower_jwt_auth::well_known::ProtectedResourceMetadata;
///
/// let metadata = ProtectedResourceMetadata::new("https://api.example.com/v1")
///     .authorization_server("https://auth.example.com")
///     .scopes_supported(["read", "write"]);
/// assert_eq!(
///     ProtectedResourceMetadata::well_known_url("https://api.example.com/v1"),
///     "https://api.example.com/.well-known/oauth-protected-resource/v1"
/// );
/// let json = serde_json::to_value(&metadata).unwrap();
/// assert_eq!(json["resource"], "https://api.example.com/v1");
/// assert_eq!(json["scopes_supported"][1], "write");
/// ```
///
/// [`JwtAuthLayer::resource_metadata`]: crate::JwtAuthLayer::resource_metadata
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    resource: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bearer_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dpop_signing_alg_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_bound_access_tokens_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_certificate_bound_access_tokens: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    acr_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
}

impl ProtectedResourceMetadata {
    /// A document for the resource identifier `resource` (its `https` URL, RFC 9728 §2).
    pub fn new(resource: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            jwks_uri: None,
            scopes_supported: Vec::new(),
            bearer_methods_supported: Vec::new(),
            dpop_signing_alg_values_supported: Vec::new(),
            dpop_bound_access_tokens_required: None,
            tls_client_certificate_bound_access_tokens: None,
            acr_values_supported: Vec::new(),
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// Where RFC 9728 §3.1 publishes the document of `resource`: the well-known path inserted between its host
    /// and its path (`https://h/v1` → `https://h/.well-known/oauth-protected-resource/v1`).
    pub fn well_known_url(resource: &str) -> String {
        let resource = resource.split(['?', '#']).next().unwrap_or_default();
        let after_scheme = resource.find("://").map_or(0, |i| i + 3);
        let (origin, path) = match resource[after_scheme..].find('/') {
            Some(slash) => resource.split_at(after_scheme + slash),
            None => (resource, ""),
        };
        let path = path.trim_end_matches('/');
        format!("{origin}{RESOURCE_METADATA_PATH}{path}")
    }

    /// Adds an authorization server's issuer identifier (`authorization_servers`).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        if !self.authorization_servers.contains(&issuer) {
            self.authorization_servers.push(issuer);
        }
        self
    }

    /// The scopes clients may ask for to use this resource (`scopes_supported`).
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// How clients may send tokens: `header`, `body`, `query` (`bearer_methods_supported`).
    pub fn bearer_method(mut self, method: impl Into<String>) -> Self {
        let method = method.into();
        if !self.bearer_methods_supported.contains(&method) {
            self.bearer_methods_supported.push(method);
        }
        self
    }

    /// The DPoP proof algorithms the resource accepts (`dpop_signing_alg_values_supported`, RFC 9728 §2),
    /// and whether it takes only DPoP-bound tokens (`dpop_bound_access_tokens_required`).
    pub fn dpop<I, S>(mut self, algorithms: I, bound_tokens_required: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dpop_signing_alg_values_supported = algorithms.into_iter().map(Into::into).collect();
        self.dpop_bound_access_tokens_required = Some(bound_tokens_required);
        self
    }

    /// Says the resource supports certificate-bound access tokens (`tls_client_certificate_bound_access_tokens:
    /// true`, RFC 9728 §2 and RFC 8705 §3.4);
    /// [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata) sets it when the layer reads
    /// client certificates ([`JwtAuthBuilder::client_certificates`](crate::JwtAuthBuilder::client_certificates)).
    pub fn certificate_bound_tokens(mut self) -> Self {
        self.tls_client_certificate_bound_access_tokens = Some(true);
        self
    }

    /// The authentication context classes the resource's step-up requirements ask for (`acr_values_supported`,
    /// RFC 9728 §2), as [`StepUp::acr_values`](crate::authorize::StepUp::acr_values) names them.
    pub fn acr_values_supported<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.acr_values_supported = values.into_iter().map(Into::into).collect();
        self
    }

    /// The URL of the resource's own JWK Set (`jwks_uri`), if it signs responses.
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }

    /// A human-readable name (`resource_name`).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A page for developers (`resource_documentation`).
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// The tower service that answers `GET` (and `HEAD`) with the document (`application/json`, cacheable
    /// for an hour), and anything else with 405. Mount it at [`well_known_url`](Self::well_known_url)'s path,
    /// outside the layer: clients read it before they have a token.
    pub fn into_service(self) -> ResourceMetadataService {
        let json = serde_json::to_string(&self).expect("metadata serializes");
        ResourceMetadataService {
            body: Bytes::from(json),
        }
    }
}

/// Serves a [`ProtectedResourceMetadata`] document (see [`ProtectedResourceMetadata::into_service`]).
#[derive(Debug, Clone)]
pub struct ResourceMetadataService {
    /// The document's JSON, serialized once.
    body: Bytes,
}

crate::well_known::document::document_service!(
    ResourceMetadataService,
    |service| service.body.clone(),
    "application/json",
    "max-age=3600"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_url_goes_between_host_and_path() {
        for (resource, url) in [
            (
                "https://api.example.com",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com/",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com:8443/v1/?x#y",
                "https://api.example.com:8443/.well-known/oauth-protected-resource/v1",
            ),
        ] {
            assert_eq!(ProtectedResourceMetadata::well_known_url(resource), url);
        }
    }
}
