//! One DPoP proof checked against one request (RFC 9449 §4.3): its JOSE header (`typ`, `alg`, a public `jwk`),
//! its claims (`htm`, `htu`, `iat`, `jti`, `ath`, `nonce`), the key a bound token names, an earlier use known at
//! once, and last its signature by that key. Each step refuses before the next, more expensive, one runs: a
//! proof that can't be for this request now costs no signature check. Nothing is accepted before the signature
//! verifies, and it covers the very bytes the claims were read from, so the claims checked are the signed
//! ones.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Method, Uri};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{htu, ReplayCache};
use crate::dpop::{Dpop, DpopInner, DpopProof};
use crate::error::{AuthError, AuthErrorKind};
use crate::jose::jws::{decode_segment, media_type_is, CompactJws};
use crate::jose::thumbprint::jwk_thumbprint;
use crate::keys::material::rsa_bits;

/// Longest `jti` accepted, in bytes (the RFC asks for at least 96 bits of randomness, about 16 characters).
const MAX_JTI_LEN: usize = 256;
/// Largest RSA proof key accepted, in bits: a larger modulus only costs the server time (an RSA-8192
/// verification costs several times a 4096 one), and no client needs one for a key that lives with its tokens.
const MAX_RSA_BITS: usize = 4096;
/// The one RSA public exponent accepted, 65537 (`AQAB`): what every library makes; a small exponent such as 3
/// invites the old signature-forgery attacks on lax verifiers, and a large one costs the server time.
const RSA_EXPONENT: &str = "AQAB";
/// How much longer than its window a used proof is remembered: instances sharing a replay cache may disagree
/// on the time by this much, and a record must outlive the proof's acceptance at all of them.
const REPLAY_MARGIN: i64 = 30;
/// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Where a proof is recorded: apart for requests with a verified access token and token-endpoint requests, so
/// self-signed proofs can't crowd out the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Partition {
    /// A request to a resource, recorded after its access token verified.
    Resource,
    /// A token-endpoint request (login, refresh), recorded after its credentials were checked.
    TokenEndpoint,
}

/// The request a proof must match.
#[derive(Clone, Copy)]
pub(crate) struct ProofTarget<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    /// The access token sent beside the proof (its hash is the proof's `ath`); `None` at the token endpoint.
    pub(crate) access_token: Option<&'a str>,
    /// The thumbprint the proof's key must have (a bound token's `cnf.jkt`), when known.
    pub(crate) key: Option<&'a str>,
    /// Where the proof will be recorded (and looked up before its signature is checked).
    pub(crate) partition: Partition,
}

fn refused(member: &'static str) -> AuthError {
    AuthError::of_claim(AuthErrorKind::InvalidDpopProof, member).with_dpop()
}

/// A part of the proof: a JSON object with unique member names at every level, within bounds.
fn strict_object(segment: &str, member: &'static str) -> Result<Map<String, Value>, AuthError> {
    let json = decode_segment(segment).map_err(|_| refused(member))?;
    crate::jose::json::strict_object(&json).ok_or_else(|| refused(member))
}

/// Whether `jwk` is a key of `alg`'s type and curve, of acceptable strength.
fn fits(alg: Algorithm, jwk: &Jwk) -> bool {
    match (&jwk.algorithm, alg.family()) {
        (AlgorithmParameters::EllipticCurve(ec), AlgorithmFamily::Ec) => matches!(
            (alg, &ec.curve),
            (Algorithm::ES256, EllipticCurve::P256) | (Algorithm::ES384, EllipticCurve::P384)
        ),
        (AlgorithmParameters::OctetKeyPair(okp), AlgorithmFamily::Ed) => {
            okp.curve == EllipticCurve::Ed25519
        }
        (AlgorithmParameters::RSA(rsa), AlgorithmFamily::Rsa) => {
            // 2048 to 4096 bits, e = 65537 exactly (its one canonical spelling).
            rsa.e == RSA_EXPONENT
                && URL_SAFE_NO_PAD
                    .decode(&rsa.n)
                    .is_ok_and(|n| (2048..=MAX_RSA_BITS).contains(&rsa_bits(&n)))
        }
        _ => false,
    }
}

/// `base64url(SHA-256(token))`, the `ath` of a proof sent with `token`.
pub(crate) fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Verifies `proof` for `target` at `now`. Recording its use is the caller's next step.
pub(crate) fn verify(
    config: &DpopInner,
    proof: &str,
    target: &ProofTarget<'_>,
    now: i64,
) -> Result<DpopProof, AuthError> {
    if proof.len() > config.max_proof_size {
        return Err(refused("size"));
    }
    // A refusal no later request can change is remembered by the proof's text (resource proofs): a flood of
    // one replayed, stale or forged proof costs a lookup each, not a parse. Refusals that depend on the request
    // (`htm`, `htu`, `ath`, the token's key) or may change (`iat` ahead, the nonce) are never kept.
    let memo = (target.partition == Partition::Resource).then_some(&config.refused);
    if let Some(error) = memo.and_then(|memo| memo.get(proof.as_bytes())) {
        return Err(error);
    }
    let remember = |error: &AuthError| {
        if let Some(memo) = memo {
            memo.insert(proof.into(), error.clone());
        }
    };
    let lasting = |error: AuthError| {
        remember(&error);
        error
    };
    let jws = CompactJws::split(proof).map_err(|_| lasting(refused("jws")))?;
    let (alg, jwk) = header_key(config, jws.header).map_err(lasting)?;

    // The claims, before the signature: a proof for another request, too old, or without the nonce is refused
    // for the price of a JSON parse. Nothing read here is accepted until the signature over it verifies.
    let claims = strict_object(jws.payload, "payload").map_err(lasting)?;
    let stale = |claims: &Map<String, Value>| {
        issued_at(claims).is_some_and(|iat| iat < now.saturating_sub(config.max_age))
    };
    // A stale proof is refused whatever request it comes with: remembered as stale, though this request may
    // have been refused first for another member (`htm`, `htu`…), which is what it is told.
    let (iat, jti) = check_claims(config, &claims, target, now).inspect_err(|_| {
        if stale(&claims) {
            remember(&refused("iat"));
        }
    })?;
    let thumbprint = jwk_thumbprint(&jwk).ok_or_else(|| lasting(refused("jwk")))?;
    if target.key.is_some_and(|expected| expected != thumbprint) {
        return Err(refused("jkt"));
    }
    let replay_key = replay_key(&thumbprint, jti);
    // A replay known here at once costs no signature either. This records nothing, so a forged proof can't
    // use up anybody's `jti`; it only tells whether a proof already used was used (its `jti` is random, and
    // whoever knows it has seen the proof).
    if config.known_used(target.partition, &replay_key, now) {
        return Err(lasting(refused("jti").replayed()));
    }

    check_signature(config, &jws, alg, &jwk).map_err(lasting)?;
    // The signature covers the payload segment the claims above were parsed from: they are the signed claims.
    Ok(DpopProof {
        thumbprint,
        issued_at: iat,
        replay_key,
        // Accepted while `iat` is at most `max_age` old: remembered that long, with a margin for instances whose
        // clocks differ.
        replay_until: iat
            .saturating_add(config.max_age)
            .saturating_add(config.max_skew)
            .saturating_add(REPLAY_MARGIN),
    })
}

/// The proof's JOSE header checked: `typ` is `dpop+jwt`, no `crit`, an accepted `alg`, and a public `jwk` of
/// that algorithm's type and strength. Returns the algorithm and the key.
fn header_key(config: &DpopInner, segment: &str) -> Result<(Algorithm, Jwk), AuthError> {
    let header = strict_object(segment, "header")?;
    let typ = header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|typ| media_type_is(typ, "dpop+jwt")) {
        return Err(refused("typ"));
    }
    if header.contains_key("crit") {
        return Err(refused("crit"));
    }
    let alg: Algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|alg| alg.parse().ok())
        .filter(|alg| config.algorithms.contains(alg))
        .ok_or_else(|| refused("alg"))?;
    let jwk_value = header.get("jwk").ok_or_else(|| refused("jwk"))?;
    let jwk_json = jwk_value.as_object().ok_or_else(|| refused("jwk"))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk_json.contains_key(*m)) {
        return Err(refused("jwk"));
    }
    // Read from the parsed header in place (no copy of the key).
    let jwk = Jwk::deserialize(jwk_value).map_err(|_| refused("jwk"))?;
    if !fits(alg, &jwk) {
        return Err(refused("jwk"));
    }
    Ok((alg, jwk))
}

/// Where a proof's use is recorded: a SHA-256 of its key's thumbprint and its `jti`.
fn replay_key(thumbprint: &str, jti: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"tower-jwt-auth dpop jti\0")
        .chain_update(thumbprint.as_bytes())
        .chain_update(b"\0")
        .chain_update(jti.as_bytes())
        .finalize()
        .into()
}

/// Verifies the proof's signature over `header.payload` with its own `jwk`.
fn check_signature(
    config: &DpopInner,
    jws: &CompactJws<'_>,
    alg: Algorithm,
    jwk: &Jwk,
) -> Result<(), AuthError> {
    let key = DecodingKey::from_jwk(jwk).map_err(|_| refused("jwk"))?;
    let signature = decode_segment(jws.signature).map_err(|_| refused("signature"))?;
    let verifier = (config.provider.verifier_factory)(&alg, &key).map_err(|_| refused("jwk"))?;
    verifier
        .verify(jws.signing_input.as_bytes(), &signature)
        .map_err(|_| refused("signature"))
}

/// The proof's `iat` (a number; a fraction is floored).
fn issued_at(claims: &Map<String, Value>) -> Option<i64> {
    claims.get("iat").and_then(|iat| {
        iat.as_i64().or_else(|| {
            iat.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i64)
        })
    })
}

/// The claims of a proof checked against `target` at `now`: `htm`, `htu`, the `iat` window, the `jti`'s
/// shape, `ath` and the nonce. Returns `iat` and `jti`.
fn check_claims<'c>(
    config: &DpopInner,
    claims: &'c Map<String, Value>,
    target: &ProofTarget<'_>,
    now: i64,
) -> Result<(i64, &'c str), AuthError> {
    let text = |name: &'static str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| refused(name))
    };
    if text("htm")? != target.method.as_str() {
        return Err(refused("htm"));
    }
    if !config.matches_htu(text("htu")?, target.uri.path()) {
        return Err(refused("htu"));
    }
    let iat = issued_at(claims).ok_or_else(|| refused("iat"))?;
    if iat < now.saturating_sub(config.max_age) || iat > now.saturating_add(config.max_skew) {
        return Err(refused("iat"));
    }
    let jti = text("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(refused("jti"));
    }
    if let Some(token) = target.access_token {
        let ath = text("ath")?;
        let expected = token_hash(token);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            ath.as_bytes(),
            expected.as_bytes(),
        )) {
            return Err(refused("ath"));
        }
    }
    if let Some(nonces) = &config.nonces {
        let fresh = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|nonce| nonces.accepts(nonce, now));
        if !fresh {
            return Err(AuthError::use_dpop_nonce(nonces.current(now)));
        }
    }
    Ok((iat, jti))
}

impl DpopInner {
    /// Whether the proof `key` is known to be used already, answered at once (before its signature is checked):
    /// in this process's record of token-endpoint proofs, or a resource replay cache that can tell.
    pub(crate) fn known_used(&self, partition: Partition, key: &[u8; 32], now: i64) -> bool {
        match partition {
            Partition::Resource => self.replay.known_used(key, now),
            Partition::TokenEndpoint => self.token_proofs.known_used(key, now),
        }
    }

    /// Whether the proof's `htu` names `path` under one of the public URLs. A request path with dot segments
    /// matches nothing: the router would see it raw.
    pub(crate) fn matches_htu(&self, htu_value: &str, path: &str) -> bool {
        if htu::is_unusual_path(path) {
            return false;
        }
        let (Some(htu_value), Some(path)) = (htu::normalize(htu_value), htu::normalize_path(path))
        else {
            return false;
        };
        self.bases.iter().any(|base| {
            htu_value
                .strip_prefix(base.as_str())
                .is_some_and(|rest| rest == path)
        })
    }
}

impl Dpop {
    /// Verifies a proof for `target` at `now` (no replay check yet).
    pub(crate) fn verify_at(
        &self,
        proof: &str,
        target: &ProofTarget<'_>,
        now: i64,
    ) -> Result<DpopProof, AuthError> {
        verify(&self.inner, proof, target, now)
    }
}
