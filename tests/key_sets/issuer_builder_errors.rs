//! Each bad issuer setting is reported as itself, named for its builder, with what was expected.

use crate::common;

use std::time::Duration;

use crate::issuer_fixtures::{issuer, signing};
use jsonwebtoken::Algorithm;
use tower_jwt_auth::{clock::ManualClock, TokenIssuer};

/// The issuer's builder and its key ring name the setting that is wrong and say what to give instead: a kid in
/// use is reported as such (not as a malformed kid), a retire of an unknown kid names it.
#[test]
fn issuer_errors_name_their_setting() {
    use tower_jwt_auth::ConfigError;
    let clock = ManualClock::new(common::now());
    let key = || signing(Algorithm::ES256, "ec256_private.pem", "k1");
    let no_issuer = TokenIssuer::builder(key())
        .audience("api")
        .build()
        .unwrap_err();
    assert!(
        no_issuer.to_string().starts_with(
            "missing setting: TokenIssuerBuilder::issuer, the `iss` of every token: call .issuer("
        ),
        "{no_issuer}"
    );
    let ttl = TokenIssuer::builder(key())
        .issuer("https://auth.test")
        .audience("api")
        .ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        ttl,
        ConfigError::InvalidDuration {
            setting: "TokenIssuerBuilder::ttl",
            expected: "at least one second"
        }
    );
    let issuer = issuer(key(), &clock);
    let in_use = issuer
        .rotate(signing(Algorithm::EdDSA, "ed25519_private.pem", "k1"))
        .unwrap_err();
    assert_eq!(
        in_use.to_string(),
        "TokenIssuer::rotate: the kid `k1` already names another key of the issuer; give the new key a kid of \
         its own"
    );
    let unknown = issuer.retire("nope").unwrap_err();
    assert_eq!(unknown, ConfigError::UnknownKeyId("nope".into()));
    assert_eq!(unknown.setting(), Some("TokenIssuer::retire"));
}
