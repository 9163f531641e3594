//! RFC 7662 introspection, both ways: `POST /introspect` answers other services about the demo's own tokens
//! (clients from `INTROSPECT_CLIENTS`), and `INTROSPECTION_URL` lets the demo accept tokens it can't verify
//! itself — opaque tokens, or JWTs of `INTROSPECTION_ISSUER` — on a provider's introspection endpoint's word.

use tower_jwt_auth::introspection::Introspection;
use tower_jwt_auth::session::IntrospectionEndpoint;
use tower_jwt_auth::{JwtAuthLayer, Sessions};

use crate::settings::{env_or, env_secs};
use crate::BoxError;

/// `POST /introspect` for the demo's own tokens, open to the clients of `INTROSPECT_CLIENTS` (`id:secret,…`,
/// default `rs:rs-secret`), who authenticate with HTTP Basic.
pub(crate) fn introspect_endpoint<C, R>(
    sessions: &Sessions,
    auth: JwtAuthLayer<C, R>,
) -> Result<IntrospectionEndpoint, BoxError>
where
    C: serde::de::DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let mut endpoint = IntrospectionEndpoint::new(sessions.clone()).with_access_tokens(auth);
    for client in env_or("INTROSPECT_CLIENTS", "rs:rs-secret").split(',') {
        let (id, secret) = client
            .trim()
            .split_once(':')
            .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
            .ok_or("INTROSPECT_CLIENTS must be id:secret pairs separated by commas")?;
        endpoint = endpoint.client(id, secret);
    }
    Ok(endpoint)
}

/// The provider's introspection endpoint when `INTROSPECTION_URL` is set, called as
/// `INTROSPECTION_CLIENT_ID` with `INTROSPECTION_CLIENT_SECRET`; answers reused for at most
/// `INTROSPECTION_CACHE_SECS` (default 60). With `INTROSPECTION_ISSUER`, answers are that issuer's, and its JWTs
/// are introspected too.
pub(crate) fn remote_introspection() -> Result<Option<Introspection>, BoxError> {
    let Ok(url) = std::env::var("INTROSPECTION_URL") else {
        return Ok(None);
    };
    let required = |name: &str| {
        std::env::var(name).map_err(|_| format!("{name} must be set with INTROSPECTION_URL"))
    };
    eprintln!("accepting tokens through the introspection endpoint {url}");
    // https, or http on a loopback host (a local identity provider); any other http URL is refused.
    let mut introspection = Introspection::new(
        &url,
        required("INTROSPECTION_CLIENT_ID")?,
        required("INTROSPECTION_CLIENT_SECRET")?,
    )?
    .allow_http()
    .cache_ttl(env_secs("INTROSPECTION_CACHE_SECS", 60)?);
    if let Ok(issuer) = std::env::var("INTROSPECTION_ISSUER") {
        introspection = introspection.issuer(issuer).introspect_jwts();
    }
    Ok(Some(introspection))
}
