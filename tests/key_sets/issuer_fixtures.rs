//! What the issuer's JWK Set files share: signing keys from the test keys, and an issuer on a clock.

use crate::common;

use std::time::Duration;

use common::*;
use jsonwebtoken::Algorithm;
use tower_jwt_auth::{clock::ManualClock, SigningKey, TokenIssuer};

pub(crate) fn signing(alg: Algorithm, file: &str, kid: &str) -> SigningKey {
    SigningKey::from_pem(alg, &pem(file))
        .unwrap()
        .with_kid(kid)
        .unwrap()
}

pub(crate) fn issuer(key: SigningKey, clock: &ManualClock) -> TokenIssuer {
    TokenIssuer::builder(key)
        .issuer("demo")
        .audience("demo-api")
        .ttl(Duration::from_secs(600))
        .clock(clock.clone())
        .build()
        .unwrap()
}
