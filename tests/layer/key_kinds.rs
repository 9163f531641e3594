//! Key kinds (issue 27): a PEM key is checked for its half (public or private), family and curve when it is
//! made, and the error names what was expected, what was found and the fix — never jsonwebtoken's internals.

use crate::common::pem;
use crate::fixtures::der;
use jsonwebtoken::Algorithm;
use tower_jwt_auth::{ConfigError, SigningKey, VerificationKey};

/// Each algorithm's test key files and the family its messages name.
const PAIRS: [(Algorithm, &str, &str, &str); 4] = [
    (
        Algorithm::ES256,
        "ec256_public.pem",
        "ec256_private.pem",
        "EC P-256",
    ),
    (
        Algorithm::ES384,
        "ec384_public.pem",
        "ec384_private.pem",
        "EC P-384",
    ),
    (
        Algorithm::EdDSA,
        "ed25519_public.pem",
        "ed25519_private.pem",
        "Ed25519",
    ),
    (Algorithm::RS256, "rsa_public.pem", "rsa_private.pem", "RSA"),
];

/// The message of a `WrongKeyKind` error made by `setting`; anything else fails the test.
fn wrong_kind(error: ConfigError, setting: &str) -> String {
    assert!(
        matches!(error, ConfigError::WrongKeyKind { .. }),
        "{error:?}"
    );
    assert_eq!(error.setting(), Some(setting));
    let text = error.to_string();
    assert!(
        !text.contains("InvalidKeyFormat"),
        "no jsonwebtoken internals: {text}"
    );
    text
}

#[test]
fn a_private_key_pem_is_refused_as_a_verification_key() {
    let error = VerificationKey::from_pem(Algorithm::ES256, &pem("ec256_private.pem")).unwrap_err();
    assert_eq!(
        wrong_kind(error, "VerificationKey::from_pem"),
        "VerificationKey::from_pem: expected an EC P-256 public key PEM (-----BEGIN PUBLIC KEY-----), found an \
         EC P-256 private key (-----BEGIN PRIVATE KEY-----): pass the public half (openssl pkey -in key.pem \
         -pubout); the private key belongs to the issuer alone, in SigningKey::from_pem"
    );
    for (alg, public, private, family) in PAIRS {
        assert!(
            VerificationKey::from_pem(alg, &pem(public)).is_ok(),
            "{public}"
        );
        let error = VerificationKey::from_pem(alg, &pem(private)).unwrap_err();
        let text = wrong_kind(error, "VerificationKey::from_pem");
        assert!(
            text.contains(&format!(
                "expected an {family} public key PEM (-----BEGIN PUBLIC KEY-----"
            )) && text.contains(&format!(
                "found an {family} private key (-----BEGIN PRIVATE KEY-----)"
            )) && text.contains("pass the public half"),
            "{text}"
        );
    }
}

#[test]
fn a_public_key_pem_is_refused_as_a_signing_key() {
    for (alg, public, private, family) in PAIRS {
        assert!(
            SigningKey::from_pem(alg, &pem(private)).is_ok(),
            "{private}"
        );
        let error = SigningKey::from_pem(alg, &pem(public)).unwrap_err();
        let text = wrong_kind(error, "SigningKey::from_pem");
        assert!(
            text.contains(&format!(
                "expected an {family} private key PEM (-----BEGIN PRIVATE KEY-----"
            )) && text.contains(&format!(
                "found an {family} public key (-----BEGIN PUBLIC KEY-----)"
            )) && text.contains("pass the private key"),
            "{text}"
        );
    }
}

#[test]
fn a_key_of_another_family_or_curve_names_both() {
    let cases = [
        (
            VerificationKey::from_pem(Algorithm::ES256, &pem("ec384_public.pem")).unwrap_err(),
            "VerificationKey::from_pem",
            "expected an EC P-256 public key PEM",
            "found an EC P-384 public key",
        ),
        (
            VerificationKey::from_pem(Algorithm::RS256, &pem("ed25519_public.pem")).unwrap_err(),
            "VerificationKey::from_pem",
            "expected an RSA public key PEM",
            "found an Ed25519 public key",
        ),
        (
            SigningKey::from_pem(Algorithm::EdDSA, &pem("rsa_private.pem")).unwrap_err(),
            "SigningKey::from_pem",
            "expected an Ed25519 private key PEM",
            "found an RSA private key",
        ),
    ];
    for (error, setting, expected, found) in cases {
        let text = wrong_kind(error, setting);
        assert!(text.contains(expected) && text.contains(found), "{text}");
        assert!(
            text.contains("ES384 for P-384"),
            "the fix names the fitting algorithms: {text}"
        );
    }
}

#[test]
fn text_that_is_no_readable_pem_key_says_what_it_is() {
    let sec1 = b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    let text = wrong_kind(
        SigningKey::from_pem(Algorithm::ES256, sec1).unwrap_err(),
        "SigningKey::from_pem",
    );
    assert!(
        text.contains("found an EC private key in SEC1 form"),
        "{text}"
    );
    assert!(text.contains("openssl pkcs8 -topk8"), "{text}");
    let text = wrong_kind(
        VerificationKey::from_pem(Algorithm::ES256, &der("ec256_public.pem")).unwrap_err(),
        "VerificationKey::from_pem",
    );
    assert!(text.contains("found no PEM block"), "{text}");
    let damaged = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    let text = wrong_kind(
        VerificationKey::from_pem(Algorithm::ES256, damaged).unwrap_err(),
        "VerificationKey::from_pem",
    );
    assert!(
        text.contains("found a PEM block whose key can't be read"),
        "{text}"
    );
}
