//! RFC 7638 JWK thumbprints (SHA-256, base64url), over the required members of the key type in
//! lexicographic order.
//!
//! jsonwebtoken's `Jwk::thumbprint` hashes through the process-wide crypto provider, which panics when both of
//! its providers are compiled in (as with this crate's `--all-features`); the canonical form is six lines, so
//! it is made here with `sha2`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use sha2::{Digest, Sha256};

/// The RFC 7638 SHA-256 thumbprint of a public key (base64url), what a DPoP-bound token's `cnf.jkt` names;
/// `None` for a key type without one (symmetric keys).
///
/// ```
/// use tower_jwt_auth::dpop::jwk_thumbprint;
/// let jwk = serde_json::from_str(r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#).unwrap();
/// assert_eq!(jwk_thumbprint(&jwk).unwrap(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
/// ```
pub fn jwk_thumbprint(jwk: &Jwk) -> Option<String> {
    let quoted = |s: &str| serde_json::to_string(s).ok();
    let canonical = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            serde_json::to_string(&ec.curve).ok()?,
            quoted(&ec.x)?,
            quoted(&ec.y)?
        ),
        AlgorithmParameters::RSA(rsa) => format!(
            r#"{{"e":{},"kty":"RSA","n":{}}}"#,
            quoted(&rsa.e)?,
            quoted(&rsa.n)?
        ),
        AlgorithmParameters::OctetKeyPair(okp) => format!(
            r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
            serde_json::to_string(&okp.curve).ok()?,
            quoted(&okp.x)?
        ),
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example() {
        // The RSA key of RFC 7638 §3.1 and its published thumbprint.
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
        )
        .unwrap();
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
