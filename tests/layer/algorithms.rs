//! Keys and algorithms: every family verifies its own tokens, and nothing else (RFC 7515, 7518, 7519 §7.2,
//! 8725 §3.1–3.10): the compact form, the JOSE header, signatures, key sizes and key selection.

use crate::common;

use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::{AuthErrorKind, ConfigError, JwtAuthLayer, SigningKey, VerificationKey};

const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The payload and signature segments of a valid token, to put another header in front of.
fn valid_rest() -> String {
    hs256(&claims()).split_once('.').unwrap().1.to_owned()
}

#[tokio::test]
async fn every_algorithm_family_round_trips() {
    for alg in ALL {
        let layer = builder_for(alg).build().unwrap();
        let token = token_with(alg, json!({}), &claims());
        let response = send(&layer, bearer(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{alg:?}");
        assert_eq!(response.body(), "alice", "{alg:?}");
    }
}

#[tokio::test]
async fn item_11_rfc7519_7_2_exactly_three_segments() {
    let layer = hs256_layer();
    let token = hs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    for bad in [
        format!("{h}.{p}"),
        format!("{token}.x"),
        format!("{token}.x.y"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"),
    ] {
        assert_rejected(
            &send(&layer, bearer(&bad)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_12_rfc7519_7_2_header_encoding_and_json() {
    let layer = hs256_layer();
    let payload = b64(claims().to_string());
    let signed = |header_segment: String| {
        sign_encoded(
            &header_segment,
            &payload,
            Algorithm::HS256,
            &EncodingKey::from_secret(SECRET).unwrap(),
        )
    };
    let good = b64(r#"{"alg":"HS256"}"#);
    assert_eq!(
        status_of(&layer, &signed(good.clone())).await,
        StatusCode::OK
    );
    for bad in [
        format!("{good}="),
        b64(r#"["HS256"]"#),
        b64([0x7b, 0xff, 0x7d]),
        b64(r#"{"alg":"HS256"} x"#),
    ] {
        // Padding even breaks the b64token grammar (400); the others are invalid tokens (401).
        let status = status_of(&layer, &signed(bad.clone())).await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&status),
            "{bad}: {status}"
        );
    }
    // A JSON array, or bytes that are no UTF-8, in front of a valid payload and signature.
    for header in [b64("[\"HS256\"]"), b64([0xff, 0xfe])] {
        assert_rejected(
            &send(&layer, bearer(&format!("{header}.{}", valid_rest()))).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_21_rfc7519_7_2_only_acceptable_algorithms() {
    let token = token_with(Algorithm::HS384, json!({}), &claims());
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn item_22_rfc7515_4_1_1_alg_is_required_and_case_sensitive() {
    let layer = hs256_layer();
    for header in [r#"{"typ":"JWT"}"#, r#"{"alg":"hs256"}"#] {
        assert_eq!(
            status_of(&layer, &hs256_raw(header, &claims().to_string())).await,
            StatusCode::UNAUTHORIZED,
            "{header}"
        );
    }
    // No alg in front of a valid payload and signature.
    let untyped = format!("{}.{}", b64("{\"typ\":\"JWT\"}"), valid_rest());
    assert_rejected(
        &send(&layer, bearer(&untyped)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn item_23_rfc7515_4_1_11_crit() {
    let layer = hs256_layer();
    for extra in [
        json!({"crit": ["x"], "x": 1}),
        json!({"crit": []}),
        json!({"crit": ["alg"]}),
        json!({"crit": "x"}),
    ] {
        let mut bare = json!({ "alg": "HS256" });
        bare.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        // In a typed header (alg, typ, crit) and in a bare one (alg, crit).
        for token in [
            token_with(Algorithm::HS256, extra.clone(), &claims()),
            hs256_raw(&bare.to_string(), &claims().to_string()),
        ] {
            let response = send(&layer, bearer(&token)).await;
            assert_invalid_token(&response, AuthErrorKind::UnsupportedHeader);
        }
    }
}

#[tokio::test]
async fn item_24_rfc7515_5_2_any_flipped_bit_is_refused() {
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let layer = builder_for(alg).build().unwrap();
        let token = token_with(alg, json!({}), &claims());
        let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
        // One position inside each of header, payload and signature.
        for position in [
            dots[0] / 2,
            (dots[0] + dots[1]) / 2,
            (dots[1] + token.len()) / 2,
        ] {
            let mut bytes = token.clone().into_bytes();
            bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            let response = send(&layer, bearer(&tampered)).await;
            assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
        }
    }
    // One bit flipped near the start, in the middle and near the end.
    let layer = hs256_layer();
    let token = hs256(&claims());
    for position in [3, token.len() / 2, token.len() - 3] {
        let mut bytes = token.clone().into_bytes();
        bytes[position] ^= 0x01;
        let Ok(flipped) = String::from_utf8(bytes) else {
            continue;
        };
        assert_eq!(
            status_of(&layer, &flipped).await.as_u16() / 100,
            4,
            "position {position}"
        );
        assert_ne!(status_of(&layer, &flipped).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn item_25_rfc7515_10_3_key_headers_are_never_followed() {
    // An attacker signs with their own key and points at it; only the configured key counts.
    let attacker = [1u8; 32];
    let layer = hs256_layer();
    for extra in [
        json!({ "jku": "http://127.0.0.1:1/jwks.json" }),
        json!({ "x5u": "http://127.0.0.1:1/cert.pem" }),
        json!({ "x5c": ["AAAA"] }),
        json!({ "jwk": { "kty": "oct", "k": b64(attacker) } }),
    ] {
        let mut header = json!({ "alg": "HS256" });
        header
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let token = sign_raw(
            &header.to_string(),
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&attacker).unwrap(),
        );
        assert_rejected(
            &send(&layer, bearer(&token)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_26_rfc7515_2_strict_base64url() {
    let layer = hs256_layer();
    let token = hs256(&claims());
    let (input, signature) = token.rsplit_once('.').unwrap();
    // Padding.
    assert_rejected(
        &send(&layer, bearer(&format!("{input}.{signature}="))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    // Non-canonical trailing bits: HS256 signatures are 43 characters, the last carrying 2 unused bits.
    let last = signature.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let twin = alphabet.chars().nth(index ^ 1).unwrap();
    let non_canonical = format!("{input}.{}{twin}", &signature[..signature.len() - 1]);
    assert_eq!(
        status_of(&layer, &non_canonical).await,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn item_27_rfc7518_3_2_hmac_key_size() {
    assert_eq!(
        VerificationKey::hmac(Algorithm::HS256, &[0; 31]).unwrap_err(),
        ConfigError::WeakHmacSecret {
            min_bytes: 32,
            got_bytes: 31
        }
    );
    assert!(matches!(
        VerificationKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
    assert!(matches!(
        SigningKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
    assert!(VerificationKey::hmac(Algorithm::HS512, &[0; 63]).is_err());
}

#[test]
fn item_28_rfc7518_3_3_rsa_key_size() {
    let weak = VerificationKey::from_pem(Algorithm::RS256, &pem("rsa1024_public.pem")).unwrap();
    assert_eq!(
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .key(weak)
            .build()
            .unwrap_err(),
        ConfigError::WeakRsaKey { bits: 1024 }
    );
}

#[tokio::test]
async fn item_29_rfc7518_3_4_ecdsa_signature_form() {
    let layer = builder_for(Algorithm::ES256).build().unwrap();
    let token = token_with(Algorithm::ES256, json!({}), &claims());
    assert_eq!(status_of(&layer, &token).await, StatusCode::OK);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
        .unwrap();
    let der = {
        let int = |bytes: &[u8]| {
            let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            let mut out = vec![0x02, v.len() as u8];
            out.extend(v);
            out
        };
        let body = [int(&raw[..32]), int(&raw[32..])].concat();
        [vec![0x30, body.len() as u8], body].concat()
    };
    let mut zero_r = raw.clone();
    zero_r[..32].fill(0);
    for bad in [der, raw[..63].to_vec(), zero_r] {
        assert_eq!(
            status_of(&layer, &format!("{input}.{}", b64(bad))).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn item_34_rfc7517_4_5_kid_is_bounded_and_only_selects_trusted_keys() {
    let other_secret = [9u8; 32];
    let layer = JwtAuthLayer::builder()
        .key(
            VerificationKey::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_kid("a")
                .unwrap(),
        )
        .key(
            VerificationKey::hmac(Algorithm::HS256, &other_secret)
                .unwrap()
                .with_kid("b")
                .unwrap(),
        )
        .key(
            VerificationKey::from_pem(Algorithm::ES256, &pem("ec256_public.pem"))
                .unwrap()
                .with_kid("c")
                .unwrap(),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let header = |kid: &str, alg: &str| json!({ "alg": alg, "kid": kid }).to_string();
    let payload = claims().to_string();
    let a = sign_raw(
        &header("a", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    let b = sign_raw(
        &header("b", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(&other_secret).unwrap(),
    );
    let (ec_key, _) = key_pair(Algorithm::ES256);
    let c = sign_raw(&header("c", "ES256"), &payload, Algorithm::ES256, &ec_key);
    for token in [a, b, c] {
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    }
    // Signed with key b's secret but naming key a.
    let wrong = sign_raw(
        &header("a", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(&other_secret).unwrap(),
    );
    assert_rejected(
        &send(&layer, bearer(&wrong)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    let unknown = sign_raw(
        &header("zzz", "HS256"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    let response = send(&layer, bearer(&unknown)).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert!(
        !challenge(&response).contains("zzz"),
        "the challenge must not echo key ids"
    );
    // No kid and several keys: nothing to select.
    let no_kid = sign_raw(
        &json!({"alg":"HS256"}).to_string(),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    assert_rejected(
        &send(&layer, bearer(&no_kid)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    // A kid is at most 256 bytes: a longer one selects nothing, and can't be configured.
    let long = "k".repeat(300);
    let token = token_with(Algorithm::HS256, json!({ "kid": long }), &claims());
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
    );
    assert!(VerificationKey::hmac(Algorithm::HS256, SECRET)
        .unwrap()
        .with_kid("k".repeat(257))
        .is_err());
}

#[tokio::test]
async fn item_35_rfc8725_3_1_each_key_one_algorithm() {
    // Another algorithm of the key's own family.
    let rsa = builder_for(Algorithm::RS256).build().unwrap();
    let response = send(
        &rsa,
        bearer(&token_with(Algorithm::RS512, json!({}), &claims())),
    )
    .await;
    assert_invalid_token(&response, AuthErrorKind::UnsupportedAlgorithm);
    let token = token_with(Algorithm::HS512, json!({}), &claims());
    assert_rejected(
        &send(&hs256_layer(), bearer(&token)).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    // The classic confusion: an attacker signs HS256 with the server's RSA public key bytes.
    let public_pem = pem("rsa_public.pem");
    for header in [r#"{"alg":"HS256","typ":"at+jwt"}"#, r#"{"alg":"HS256"}"#] {
        let token = sign_raw(
            header,
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&public_pem).unwrap(),
        );
        let response = send(&rsa, bearer(&token)).await;
        assert_invalid_token(&response, AuthErrorKind::UnsupportedAlgorithm);
    }
}

#[tokio::test]
async fn item_36_rfc8725_3_2_none_is_never_accepted() {
    let layer = hs256_layer();
    for none in ["none", "None", "NONE", "nOnE"] {
        for header in [json!({ "alg": none, "typ": "JWT" }), json!({ "alg": none })] {
            let token = format!("{}.{}.", b64(header.to_string()), b64(claims().to_string()));
            assert_rejected(
                &send(&layer, bearer(&token)).await,
                StatusCode::UNAUTHORIZED,
                Some("invalid_token"),
            );
            // With a (bogus) signature segment too.
            let token = format!("{token}c2ln");
            assert_rejected(
                &send(&layer, bearer(&token)).await,
                StatusCode::UNAUTHORIZED,
                Some("invalid_token"),
            );
        }
    }
}

#[tokio::test]
async fn item_37_rfc8725_3_3_jwe_and_nested_tokens_are_refused() {
    let inner = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(claims().to_string())
    );
    let jwe = format!(
        "{}.AAAA.AAAA.{}.AAAA",
        b64(r#"{"alg":"dir","enc":"A128GCM","cty":"JWT"}"#),
        b64(inner)
    );
    assert_eq!(
        status_of(&hs256_layer(), &jwe).await,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn item_39_rfc8725_3_5_hmac_keys_are_raw_bytes_of_hash_length() {
    assert!(VerificationKey::hmac(Algorithm::HS512, b"correct horse battery staple").is_err());
}

#[tokio::test]
async fn item_40_rfc8725_3_6_zip_is_refused() {
    let layer = hs256_layer();
    for token in [
        token_with(Algorithm::HS256, json!({"zip": "DEF"}), &claims()),
        hs256_raw(r#"{"alg":"HS256","zip":"DEF"}"#, &claims().to_string()),
    ] {
        let response = send(&layer, bearer(&token)).await;
        assert_invalid_token(&response, AuthErrorKind::UnsupportedHeader);
    }
}

#[tokio::test]
async fn item_41_rfc8725_3_7_utf8_only() {
    let payload = [br#"{"iss":""#.as_slice(), &[0xff, 0xfe], br#""}"#].concat();
    let token = sign_encoded(
        &b64(r#"{"alg":"HS256"}"#),
        &b64(payload),
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    );
    assert_eq!(
        status_of(&hs256_layer(), &token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_44_rfc8725_3_10_kid_and_key_urls() {
    // The kid only selects among configured keys (no lookup by path or URL), and jku/x5u are never fetched.
    let token = token_with(
        Algorithm::HS256,
        json!({ "kid": "../../etc/passwd", "jku": "http://127.0.0.1:1/" }),
        &claims(),
    );
    assert_eq!(
        rejection_kind(&send(&hs256_layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
    );
}

#[tokio::test]
async fn oversized_tokens_are_refused_before_decoding() {
    let layer = builder_for(Algorithm::HS256)
        .max_token_size(512)
        .build()
        .unwrap();
    let mut big = claims();
    big["pad"] = json!("x".repeat(600));
    let response = send(&layer, bearer(&hs256(&big))).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(
        rejection_kind(&response).unwrap(),
        tower_jwt_auth::AuthErrorKind::TooLarge
    );
    // The default limit is 8 KiB.
    let layer = hs256_layer();
    big["pad"] = json!("x".repeat(9 * 1024));
    assert_rejected(
        &send(&layer, bearer(&hs256(&big))).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[test]
fn mismatched_keys_missing_keys_and_repeated_issuers_are_build_errors() {
    assert!(VerificationKey::hmac(Algorithm::RS256, &[0; 64]).is_err());
    assert!(VerificationKey::from_pem(Algorithm::HS256, &pem("rsa_public.pem")).is_err());
    assert_eq!(
        JwtAuthLayer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::NoKeys
    );
    let dup = || {
        VerificationKey::hmac(Algorithm::HS256, SECRET)
            .unwrap()
            .with_kid("k")
            .unwrap()
    };
    // Keys may share a kid (a rotation overlap: see keys_sharing_a_kid_are_all_tried); a repeated trusted
    // issuer would silently replace the first, so it is refused.
    assert!(JwtAuthLayer::builder()
        .key(dup())
        .key(dup())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .is_ok());
    let partner = || tower_jwt_auth::keys::TrustedIssuer::new().key(dup());
    assert_eq!(
        JwtAuthLayer::builder()
            .trust_issuer("https://partner.test", partner())
            .trust_issuer("https://partner.test", partner())
            .audience(AUDIENCE)
            .build()
            .unwrap_err(),
        ConfigError::DuplicateIssuer("https://partner.test".into())
    );
}

#[tokio::test]
async fn keys_sharing_a_kid_are_all_tried() {
    // Rotation overlap: the old and the new secret are both published as kid "current".
    let old = [1u8; 32];
    let new = [2u8; 32];
    let keyed = |secret: &[u8]| {
        VerificationKey::hmac(Algorithm::HS256, secret)
            .unwrap()
            .with_kid("current")
            .unwrap()
    };
    let layer = JwtAuthLayer::builder()
        .key(keyed(&old))
        .key(keyed(&new))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    for secret in [old, new] {
        let token = sign_raw(
            r#"{"alg":"HS256","kid":"current"}"#,
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&secret).unwrap(),
        );
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    }
    let other = sign_raw(
        r#"{"alg":"HS256","kid":"current"}"#,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&[3u8; 32]).unwrap(),
    );
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&other)).await),
        Some(tower_jwt_auth::AuthErrorKind::InvalidSignature)
    );
}

#[tokio::test]
async fn keys_load_from_der_and_jwk() {
    use jsonwebtoken::jwk::Jwk;
    install_provider();
    // EC public key as the raw uncompressed point (the DER form jsonwebtoken expects), via its JWK.
    let (signing, _) = key_pair(Algorithm::ES256);
    let jwk = Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
    let from_jwk = VerificationKey::from_jwk(&jwk, None).unwrap();
    assert_eq!(from_jwk.algorithm(), Algorithm::ES256);
    let layer = JwtAuthLayer::builder()
        .key(from_jwk)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(Algorithm::ES256, json!({}), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
    // A JWK bound to RS256 can't be used for PS256.
    let (rsa, _) = key_pair(Algorithm::RS256);
    let rsa_jwk = Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap();
    assert_eq!(
        VerificationKey::from_jwk(&rsa_jwk, Some(Algorithm::PS256)).unwrap_err(),
        ConfigError::AlgorithmMismatch
    );
    // Ed25519 from the 32 raw bytes (DER form).
    let ed_jwk = Jwk::from_encoding_key(&key_pair(Algorithm::EdDSA).0, Algorithm::EdDSA).unwrap();
    let x = match &ed_jwk.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(p) => p.x.clone(),
        other => panic!("unexpected {other:?}"),
    };
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x).unwrap();
    let from_der = VerificationKey::from_der(Algorithm::EdDSA, &raw).unwrap();
    let layer = JwtAuthLayer::builder()
        .key(from_der)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = token_with(Algorithm::EdDSA, json!({}), &claims());
    assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
}

/// The DER inside a PEM test key.
fn der(name: &str) -> Vec<u8> {
    use base64::Engine as _;
    let pem = String::from_utf8(pem(name)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The base64 lines of a PEM file, without its header and footer.
fn base64_body(name: &str) -> Vec<u8> {
    let pem = String::from_utf8(pem(name)).unwrap();
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

#[test]
fn a_key_is_never_taken_as_an_hmac_secret() {
    let mut indented = b"  \n".to_vec();
    indented.extend(pem("rsa_public.pem"));
    let cases = [
        (pem("rsa_public.pem"), "from_pem"),
        (indented, "from_pem"),
        (pem("ec256_private.pem"), "from_pem"),
        (der("rsa_public.pem"), "from_der"),
        (der("rsa_private.pem"), "from_der"),
        (der("ec256_public.pem"), "from_der"),
        (der("ec384_private.pem"), "from_der"),
        (der("ed25519_public.pem"), "from_der"),
        (der("ed25519_private.pem"), "from_der"),
        (pem("rsa1024_public.jwk.json"), "from_jwk"),
        // A PEM body without its lines, the DER in hex, an OpenSSH public key.
        (base64_body("rsa_public.pem"), "from_der"),
        (base64_body("ec256_public.pem"), "from_der"),
        (hex(&der("rsa_public.pem")), "from_der"),
        (
            b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
                .to_vec(),
            "from_pem",
        ),
    ];
    for (secret, constructor) in &cases {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            for error in [
                VerificationKey::hmac(alg, secret).unwrap_err(),
                SigningKey::hmac(alg, secret).unwrap_err(),
            ] {
                assert!(
                    matches!(error, ConfigError::HmacSecretIsKeyText { .. }),
                    "{constructor}: {error:?}"
                );
                let text = error.to_string();
                assert!(text.contains(constructor), "{text}");
            }
        }
    }
    // Secrets from a CSPRNG pass (a fixed-seed generator here, so the run is repeatable), and so does
    // text that merely mentions a key.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for len in [32, 48, 64, 128] {
        for _ in 0..5_000 {
            let secret: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert!(VerificationKey::hmac(Algorithm::HS256, &secret).is_ok());
        }
    }
    // A DER-like prefix alone is not a key.
    let mut almost = der("ec256_public.pem");
    almost.push(0);
    assert!(VerificationKey::hmac(Algorithm::HS256, &almost).is_ok());
    assert!(
        VerificationKey::hmac(
            Algorithm::HS256,
            b"this secret is not a -----BEGINNING of anything"
        )
        .is_err(),
        "the PEM marker anywhere is refused"
    );
    assert!(VerificationKey::hmac(
        Algorithm::HS256,
        b"{\"secret\": \"not a jwk at all, no key type\"}"
    )
    .is_ok());
}
