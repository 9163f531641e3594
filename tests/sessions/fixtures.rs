//! What the session behaviour files share: the fixtures' lifetimes, a partner issuer, the facts of a token, and
//! `every_store!`, which runs a case against the memory store and a real Redis.

use crate::common::sessions::Fixture;
use crate::common::*;
use serde_json::json;
use tower_jwt_auth::{
    clock::ManualClock, keys::TrustedIssuer, TokenInfo, TokenIssuer, VerificationKey,
};

/// The access TTL and the layer's leeway in the fixtures.
pub(crate) const TTL: i64 = 600;
pub(crate) const LEEWAY: i64 = 30;

pub(crate) fn scope() -> serde_json::Value {
    json!({ "scope": "read write" })
}

pub(crate) const PARTNER: &str = "https://partner.test";
const PARTNER_SECRET: [u8; 32] = [9; 32];

/// The partner issuer's keys, for `trust_issuer(PARTNER, ..)`.
pub(crate) fn partner_keys() -> TrustedIssuer {
    TrustedIssuer::new()
        .key(VerificationKey::hmac(jsonwebtoken::Algorithm::HS256, &PARTNER_SECRET).unwrap())
}

/// A token the partner issuer signed.
pub(crate) fn partner_token(claims: &serde_json::Value) -> String {
    sign_raw(
        r#"{"alg":"HS256"}"#,
        &claims.to_string(),
        jsonwebtoken::Algorithm::HS256,
        &jsonwebtoken::EncodingKey::from_secret(&PARTNER_SECRET).unwrap(),
    )
}

/// The tests' issuer with the default lifetime (the clock does not matter to these cases).
pub(crate) fn test_issuer() -> TokenIssuer {
    crate::common::sessions::test_issuer(
        &ManualClock::new(now()),
        tower_jwt_auth::issuer::DEFAULT_ACCESS_TTL,
    )
}

/// The facts of a token this fixture accepts.
pub(crate) fn info(f: &Fixture, token: &str) -> TokenInfo {
    f.layer.verify_token(token).unwrap().1
}

/// Runs each case against the memory store, and against Redis with the `redis` feature.
macro_rules! every_store {
    ($($case:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(crate::common::sessions::fixture(std::time::Duration::ZERO)).await
                }
            )*
        }

        #[cfg(feature = "redis")]
        mod redis_store {
            $(
                #[tokio::test]
                async fn $case() {
                    if let Some(f) = crate::common::sessions::redis_fixture(std::time::Duration::ZERO).await {
                        super::$case(f).await
                    }
                }
            )*
        }
    };
}
pub(crate) use every_store;
