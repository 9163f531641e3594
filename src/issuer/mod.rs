//! The issuer: [`TokenIssuer`] signs access tokens (RFC 9068 profile) with a [`SigningKey`], keeps its keys in a
//! ring (active, staged, retired) it rotates without a restart, lends that ring to the layers wired to its
//! sessions as their key source, and publishes its public keys with [`JwksEndpoint`].

mod access_token;
mod builder;
pub(crate) mod jwks_endpoint;
pub(crate) mod key_source;
pub(crate) mod ring;
mod rotation;
pub(crate) mod signing;
pub(crate) mod token_issuer;

pub(crate) use access_token::RESERVED_CLAIMS;
pub use access_token::{AccessToken, IssueError, SessionClaims};
pub use builder::{TokenIssuerBuilder, DEFAULT_ACCESS_TTL};
pub use jwks_endpoint::{JwksEndpoint, JWKS_PATH};
pub use signing::SigningKey;
pub use token_issuer::TokenIssuer;
