//! [`JwksEndpoint`]: the issuer's public signing keys as a JWK Set, for other services to verify its tokens.

use bytes::Bytes;

use crate::issuer::TokenIssuer;

/// The path the issuer's JWK Set is conventionally served at.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Serves [`TokenIssuer::jwks`] (`application/jwk-set+json`): the active key and the keys retired by a
/// [`rotate`](TokenIssuer::rotate) that still verify live tokens, each with its `kid`. HMAC secrets are never
/// published (the set is empty). `GET` and `HEAD`; anything else is 405. Every answer reads the issuer's keys
/// as they are now, so a rotation shows at once; `Cache-Control: public, max-age=300` lets verifiers keep it
/// five minutes, and a verifier that meets a new `kid` refetches (as [`Jwks`](crate::keys::Jwks) does).
///
/// ```
/// use axum::Router;
/// use tower_jwt_auth::{Algorithm, issuer::JwksEndpoint, SigningKey, TokenIssuer, issuer::JWKS_PATH};
///
/// let key = SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap();
/// let issuer = TokenIssuer::builder(key).issuer("demo").audience("api").build().unwrap();
/// let app: Router = Router::new().route_service(JWKS_PATH, JwksEndpoint::new(issuer));
/// ```
#[derive(Debug, Clone)]
pub struct JwksEndpoint {
    issuer: TokenIssuer,
}

impl JwksEndpoint {
    /// The endpoint publishing `issuer`'s keys.
    pub fn new(issuer: TokenIssuer) -> Self {
        Self { issuer }
    }
}

crate::well_known::document::document_service!(
    JwksEndpoint,
    |endpoint| Bytes::from(
        serde_json::to_vec(&endpoint.issuer.jwks()).expect("a JWK Set serializes")
    ),
    "application/jwk-set+json",
    "public, max-age=300"
);
