//! What the remote key set files share: the provider's keys, tokens they signed, a layer on a key set, quick
//! refresh settings, and a layer on a discovered issuer.
#![cfg(feature = "jwks")]

use crate::common;

use std::time::Duration;

use common::jwks_server::{jwk, ProviderServer};
use common::*;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower_jwt_auth::{keys::Jwks, keys::TrustedIssuer, JwtAuthLayer};

/// The RS256 test key as a JWK (with `alg`) named `kid`.
pub(crate) fn rsa_key(kid: &str) -> Value {
    jwk(Algorithm::RS256, &key_pair(Algorithm::RS256).0, kid, true)
}

pub(crate) fn key_a() -> Value {
    rsa_key("a")
}

pub(crate) fn key_b() -> Value {
    jwk(Algorithm::ES256, &key_pair(Algorithm::ES256).0, "b", true)
}

/// A token signed with the test key of `alg`, naming `kid`.
pub(crate) fn signed(alg: Algorithm, kid: &str) -> String {
    token_with(alg, json!({ "kid": kid }), &claims())
}

pub(crate) fn layer_for(jwks: Jwks) -> JwtAuthLayer {
    JwtAuthLayer::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks(jwks)
        .build()
        .unwrap()
}

/// Fast intervals for tests.
pub(crate) fn quick(provider: &ProviderServer) -> Jwks {
    Jwks::url(&provider.jwks_url())
        .unwrap()
        .allow_http()
        .timeout(Duration::from_millis(500))
        .refresh_bounds(Duration::from_millis(100), Duration::from_secs(3600))
        .unknown_kid_interval(Duration::from_millis(200))
}

/// A layer trusting `issuer` through OpenID Connect discovery, and an RS256 token of that issuer (kid `a`).
pub(crate) fn discovered(issuer: &str) -> (JwtAuthLayer, String) {
    // The test provider is on 127.0.0.1: plain http, allowed for loopback hosts only.
    let jwks = Jwks::oidc(issuer)
        .unwrap()
        .allow_http()
        .timeout(Duration::from_millis(500));
    let layer = JwtAuthLayer::builder()
        .trust_issuer(issuer, TrustedIssuer::new().jwks(jwks))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(
        Algorithm::RS256,
        json!({ "kid": "a" }),
        &with_claim(claims(), "iss", json!(issuer)),
    );
    (layer, token)
}
