//! The demo's settings from the environment: variables, the algorithm, keys, DPoP policy.

use std::time::Duration;

use tower_jwt_auth::dpop::DpopPolicy;
use tower_jwt_auth::{Algorithm, JwtAuthLayer, SigningKey, TokenIssuer};

use crate::BoxError;

pub(crate) fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

pub(crate) fn env_secs(name: &str, default: u64) -> Result<Duration, BoxError> {
    let value = env_or(name, &default.to_string());
    Ok(Duration::from_secs(value.parse().map_err(|_| {
        format!("{name} must be a whole number of seconds")
    })?))
}

pub(crate) fn algorithm(name: &str) -> Result<Algorithm, BoxError> {
    let quoted = serde_json::Value::String(name.to_owned());
    serde_json::from_value(quoted).map_err(|_| format!("JWT_ALG {name} is not supported").into())
}

/// The signing key and the refresh-token server key (derived from the signing key material, so every demo process
/// sharing a store and a key recognises every refresh-token generation, across restarts too). The layer trusts
/// the issuer's keys through the sessions: no verification key is configured a second time.
pub(crate) fn keys(alg: Algorithm) -> Result<(SigningKey, [u8; 32]), BoxError> {
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        let secret = match std::env::var("JWT_SECRET") {
            Ok(secret) => secret.into_bytes(),
            Err(_) => {
                eprintln!("warning: JWT_SECRET is not set; using a random secret, so tokens die with this process");
                let mut secret = vec![0u8; 64];
                getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
                secret
            }
        };
        return Ok((SigningKey::hmac(alg, &secret)?, refresh_key(&secret)));
    }
    let read = |var: &str| -> Result<Vec<u8>, BoxError> {
        let path = std::env::var(var)
            .map_err(|_| format!("{var} must name a PEM file for JWT_ALG {alg:?}"))?;
        Ok(std::fs::read(&path).map_err(|e| format!("{var}={path}: {e}"))?)
    };
    let private = read("JWT_PRIVATE_KEY")?;
    Ok((SigningKey::from_pem(alg, &private)?, refresh_key(&private)))
}

/// `JWT_PUBLIC_KEY`, when set, must be the public half of `JWT_PRIVATE_KEY`: the demo verifies a token of its
/// issuer with it and refuses to start otherwise. (Layers wired to the sessions trust the issuer's key ring
/// itself, so the public key is never given to them a second time.)
pub(crate) fn check_public_key(
    alg: Algorithm,
    issuer: &TokenIssuer,
    name: &str,
) -> Result<(), BoxError> {
    let Ok(path) = std::env::var("JWT_PUBLIC_KEY") else {
        return Ok(());
    };
    let pem = std::fs::read(&path).map_err(|e| format!("JWT_PUBLIC_KEY={path}: {e}"))?;
    let mut public = tower_jwt_auth::VerificationKey::from_pem(alg, &pem)?;
    if let Some(kid) = issuer.active_kid() {
        public = public.with_kid(kid)?;
    }
    let token = issuer.issue("startup-check", &())?;
    let verifier = JwtAuthLayer::builder()
        .key(public)
        .issuer(name)
        .allow_any_audience()
        .build()?;
    verifier
        .verify_token(token.as_str())
        .map(drop)
        .map_err(|_| "JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY".into())
}

pub(crate) fn refresh_key(material: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new()
        .chain_update(b"tower-jwt-auth demo refresh key\0")
        .chain_update(material)
        .finalize()
        .into()
}

/// `DPOP`: `allowed` (default), `required` or `off`.
pub(crate) fn dpop_policy() -> Result<DpopPolicy, BoxError> {
    match env_or("DPOP", "allowed").as_str() {
        "allowed" => Ok(DpopPolicy::Allowed),
        "required" => Ok(DpopPolicy::Required),
        "off" => Ok(DpopPolicy::Off),
        other => Err(format!("DPOP must be allowed, required or off, not {other}").into()),
    }
}
