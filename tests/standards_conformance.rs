//! The standards checklist (`shared/reference/standards-checklist.md`), item by item: one test per applicable
//! item, named `item_NN_<rfc>_<section>_<what>`, through the public API.
//!
//! Items that do not apply, and why:
//! - 38 (RFC 8725 §3.4, validating ECDH-ES inputs) and 50 (RFC 9068 §4, encrypted tokens): the crate does not
//!   decrypt JWE at all — five-segment tokens are refused (item 11, item 37).
//! - 52 (RFC 6749 §6, refresh tokens bound to OAuth clients): `Sessions` serves one first-party application;
//!   there are no OAuth clients to bind a token to. Put client authentication in front of the endpoint if you
//!   have clients.
//! - 57 (RFC 9700 §2.2.1, sender-constrained tokens, DPoP/mTLS): not implemented yet; `TokenInfo` and the
//!   extractor leave room for a `cnf.jkt` check.
//!
//! Partially applicable, as tested below: 39 (the crate refuses HMAC secrets shorter than the hash; it can't tell
//! a password from random bytes of that length), 53 (the refresh grant takes no `scope` parameter: the scope is
//! carried unchanged and a `scope` parameter can't widen it).

mod common;

use std::time::Duration;

use common::sessions::fixture;
use common::*;
use http::{Request, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::{
    AuthErrorKind, ConfigError, JwtAuthLayer, ManualClock, RefreshEndpoint, RevokeEndpoint,
    SigningKey, TokenIssuer, TrustedIssuer, VerificationKey,
};

async fn status_of(layer: &JwtAuthLayer, token: &str) -> StatusCode {
    send(layer, bearer(token)).await.status()
}

fn hs(header: &str, payload: &str) -> String {
    sign_raw(
        header,
        payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET).unwrap(),
    )
}

fn layer() -> JwtAuthLayer {
    builder_for(Algorithm::HS256).build().unwrap()
}

// ---------------------------------------------------------------- RFC 6750

#[tokio::test]
async fn item_01_rfc6750_2_1_b64token_syntax() {
    let layer = layer();
    let token = hs256(&claims());
    let lower = request_with("/", &[("authorization", &*format!("bearer {token}"))]);
    assert_eq!(send(&layer, lower).await.status(), StatusCode::OK);
    for bad in ["Bearer a b", "Bearer a,b", "Bearer \"a\""] {
        let request = request_with("/", &[("authorization", bad)]);
        assert_rejected(
            &send(&layer, request).await,
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        );
    }
    assert_rejected(
        &send(&layer, bearer("abc.def")).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

#[tokio::test]
async fn item_02_rfc6750_2_one_method_per_request() {
    let layer = layer();
    let token = hs256(&claims());
    let both = request_with(
        &format!("/?access_token={token}"),
        &[("authorization", &*format!("Bearer {token}"))],
    );
    assert_rejected(
        &send(&layer, both).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    let two = request_with(
        "/",
        &[
            ("authorization", &*format!("Bearer {token}")),
            ("authorization", &*format!("Bearer {token}")),
        ],
    );
    assert_rejected(
        &send(&layer, two).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
}

#[tokio::test]
async fn item_03_rfc6750_2_2_form_body_tokens_are_off() {
    let form = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={}", hs256(&claims())))
        .unwrap();
    assert_rejected(&send(&layer(), form).await, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn item_04_rfc6750_2_3_query_tokens_are_off() {
    let query = Request::get(format!("/?access_token={}", hs256(&claims())))
        .body(String::new())
        .unwrap();
    assert_rejected(&send(&layer(), query).await, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn item_05_rfc6750_3_challenge_attributes_appear_once() {
    let scoped = builder_for(Algorithm::HS256)
        .require_scopes(["admin"])
        .build()
        .unwrap();
    let responses = [
        send(&layer(), Request::new(String::new())).await,
        send(&layer(), bearer("a.b.c")).await,
        send(&layer(), bearer("a b")).await,
        send(&scoped, bearer(&hs256(&claims()))).await,
    ];
    for response in &responses {
        let challenge = challenge(response);
        assert!(challenge.starts_with("Bearer "));
        assert_attributes_once(&challenge);
    }
}

#[tokio::test]
async fn item_06_rfc6750_3_error_description_characters() {
    for kind in [
        AuthErrorKind::Malformed,
        AuthErrorKind::Expired,
        AuthErrorKind::InvalidSignature,
        AuthErrorKind::InsufficientScope,
    ] {
        assert!(kind
            .description()
            .chars()
            .all(|c| matches!(c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
    }
    // A scope with a quote or backslash can't be configured, so it can't reach the header.
    assert!(matches!(
        builder_for(Algorithm::HS256)
            .require_scopes(["a\"b"])
            .build(),
        Err(ConfigError::InvalidScope(_))
    ));
    assert!(matches!(
        builder_for(Algorithm::HS256).realm("r\\").build(),
        Err(ConfigError::InvalidName(_))
    ));
}

#[tokio::test]
async fn item_07_rfc6750_3_1_no_credentials_no_error_code() {
    let response = send(&layer(), Request::new(String::new())).await;
    assert_eq!(challenge(&response), "Bearer realm=\"api\"");
}

#[tokio::test]
async fn item_08_rfc6750_3_1_error_codes_and_statuses() {
    assert_rejected(
        &send(&layer(), bearer("a b")).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    assert_rejected(
        &send(&layer(), bearer("x.y.z")).await,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
    let scoped = builder_for(Algorithm::HS256)
        .require_scopes(["admin"])
        .build()
        .unwrap();
    let response = send(&scoped, bearer(&hs256(&claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"admin\""));
}

#[tokio::test]
async fn item_09_rfc6750_5_3_token_cookies_are_secure_with_samesite() {
    use tower_jwt_auth::{Clock, MemoryStore};
    use tower_jwt_auth::{SameSite, SessionClaims, Sessions};
    let clock = ManualClock::new(2_000_000_000);
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .ttl(Duration::from_secs(100))
        .clock(clock.clone())
        .build()
        .unwrap();
    let store = MemoryStore::new().with_clock(clock.clone());
    let sessions = Sessions::builder(issuer.clone(), store.clone())
        .max_session(Duration::from_secs(3600))
        .clock(clock.clone())
        .build()
        .unwrap();
    let policy = sessions
        .sliding()
        .action(http::Method::POST, "/")
        .cookie("at", SameSite::Lax)
        .unwrap();
    let layer = builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .revocation(store)
        .sliding(policy)
        .build()
        .unwrap();
    let session = SessionClaims {
        session_id: Some("s1"),
        auth_time: Some(clock.now()),
        not_after: None,
    };
    let token = issuer.issue_for_session("alice", &(), session).unwrap();
    clock.advance(60);
    let request = Request::post("/")
        .header("authorization", format!("Bearer {}", token.as_str()))
        .body(String::new())
        .unwrap();
    let response = send(&layer, request).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("; Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[test]
fn item_10_rfc6750_5_3_short_lived_tokens_with_audience() {
    assert!(tower_jwt_auth::DEFAULT_ACCESS_TTL <= Duration::from_secs(15 * 60));
    let no_audience = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .build();
    assert!(matches!(no_audience, Err(ConfigError::Missing(_))));
}

// ---------------------------------------------------------------- RFC 7519

#[tokio::test]
async fn item_11_rfc7519_7_2_exactly_three_segments() {
    let token = hs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    for bad in [
        parts[..2].join("."),
        format!("{token}.x"),
        format!("{token}.x.y"),
    ] {
        assert_rejected(
            &send(&layer(), bearer(&bad)).await,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        );
    }
}

#[tokio::test]
async fn item_12_rfc7519_7_2_header_encoding_and_json() {
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
        status_of(&layer(), &signed(good.clone())).await,
        StatusCode::OK
    );
    for bad in [
        format!("{good}="),
        b64(r#"["HS256"]"#),
        b64([0x7b, 0xff, 0x7d]),
        b64(r#"{"alg":"HS256"} x"#),
    ] {
        // Padding even breaks the b64token grammar (400); the others are invalid tokens (401).
        let status = status_of(&layer(), &signed(bad.clone())).await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&status),
            "{bad}: {status}"
        );
    }
}

#[tokio::test]
async fn item_13_rfc7519_4_duplicate_claims_are_refused() {
    let exp = now() + 600;
    for payload in [
        format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"sub":"a","sub":"admin"}}"#),
        format!(
            r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"role":"user","role":"admin"}}"#
        ),
        format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"x":{{"a":1,"a":2}}}}"#),
    ] {
        assert_eq!(
            status_of(&layer(), &hs(r#"{"alg":"HS256"}"#, &payload)).await,
            StatusCode::UNAUTHORIZED,
            "{payload}"
        );
    }
    let header = r#"{"alg":"HS256","kid":"a","kid":"b"}"#;
    assert_eq!(
        status_of(&layer(), &hs(header, &claims().to_string())).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_14_rfc7519_4_1_4_exp_with_and_without_leeway() {
    let clock = ManualClock::new(1_000_000);
    let strict = builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let at = |exp: i64| {
        hs256(
            &with_claim(claims(), "exp", json!(exp))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("iat".into(), json!(999_000));
                    Value::Object(o)
                })
                .unwrap(),
        )
    };
    assert_eq!(
        status_of(&strict, &at(1_000_000)).await,
        StatusCode::UNAUTHORIZED,
        "now == exp"
    );
    let skewed = builder_for(Algorithm::HS256)
        .clock(clock.clone())
        .leeway(Duration::from_secs(20))
        .build()
        .unwrap();
    assert_eq!(
        status_of(&skewed, &at(1_000_000 - 20 + 1)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&skewed, &at(1_000_000 - 20)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn item_15_rfc7519_4_1_5_nbf_with_leeway() {
    let clock = ManualClock::new(1_000_000);
    let layer = builder_for(Algorithm::HS256)
        .clock(clock)
        .leeway(Duration::from_secs(20))
        .build()
        .unwrap();
    let token =
        |nbf: i64| hs256(&json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 2_000_000, "nbf": nbf }));
    assert_eq!(
        status_of(&layer, &token(1_000_000 + 21)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&layer, &token(1_000_000 + 20)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn item_16_rfc7519_4_1_6_iat_in_the_future_and_max_age() {
    assert_eq!(
        rejection_kind(
            &send(
                &layer(),
                bearer(&hs256(&with_claim(claims(), "iat", json!(now() + 3600))))
            )
            .await
        ),
        Some(AuthErrorKind::NotYetValid)
    );
    let aged = builder_for(Algorithm::HS256)
        .max_age(Duration::from_secs(60))
        .build()
        .unwrap();
    let old = with_claim(claims(), "iat", json!(now() - 3600));
    assert_eq!(
        rejection_kind(&send(&aged, bearer(&hs256(&old))).await),
        Some(AuthErrorKind::Expired)
    );
}

#[tokio::test]
async fn item_17_rfc7519_2_numeric_dates_are_numbers() {
    for bad in [json!("9999999999"), Value::Null, json!([1]), json!(1e300)] {
        let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{bad}}}"#);
        assert_eq!(
            status_of(&layer(), &hs(r#"{"alg":"HS256"}"#, &payload)).await,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
    let clock = ManualClock::new(1_600_000_000);
    let layer = builder_for(Algorithm::HS256).clock(clock).build().unwrap();
    let payload = format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":1.7e9}}"#);
    assert_eq!(
        status_of(&layer, &hs(r#"{"alg":"HS256"}"#, &payload)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn item_18_rfc7519_4_1_3_audience() {
    assert_eq!(
        status_of(
            &layer(),
            &hs256(&with_claim(claims(), "aud", json!(["other", AUDIENCE])))
        )
        .await,
        StatusCode::OK
    );
    for bad in [json!({}), json!([1]), json!("other")] {
        assert_eq!(
            status_of(&layer(), &hs256(&with_claim(claims(), "aud", bad.clone()))).await,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn item_19_rfc7519_4_1_1_issuer_is_compared_exactly() {
    let layer = builder_for(Algorithm::HS256)
        .issuer("https://a")
        .build()
        .unwrap();
    for iss in ["https://A", "https://a/", "https://a.evil"] {
        let c = with_claim(with_claim(claims(), "iss", json!(iss)), "iss", json!(iss));
        assert_eq!(
            status_of(&layer, &hs256(&c)).await,
            StatusCode::UNAUTHORIZED,
            "{iss}"
        );
    }
    assert_eq!(
        status_of(
            &layer,
            &hs256(&with_claim(claims(), "iss", json!("https://a")))
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn item_20_rfc7519_4_unknown_claims_are_ignored() {
    let c = with_claim(claims(), "favourite_colour", json!({ "deep": [1, 2] }));
    assert_eq!(status_of(&layer(), &hs256(&c)).await, StatusCode::OK);
}

#[tokio::test]
async fn item_21_rfc7519_7_2_only_acceptable_algorithms() {
    let token = token_with(Algorithm::HS384, json!({}), &claims());
    assert_eq!(
        rejection_kind(&send(&layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

// ---------------------------------------------------------------- RFC 7515

#[tokio::test]
async fn item_22_rfc7515_4_1_1_alg_is_required_and_case_sensitive() {
    for header in [r#"{"typ":"JWT"}"#, r#"{"alg":"hs256"}"#] {
        assert_eq!(
            status_of(&layer(), &hs(header, &claims().to_string())).await,
            StatusCode::UNAUTHORIZED,
            "{header}"
        );
    }
}

#[tokio::test]
async fn item_23_rfc7515_4_1_11_crit() {
    for header in [
        r#"{"alg":"HS256","crit":["x"],"x":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":["alg"]}"#,
        r#"{"alg":"HS256","crit":"x"}"#,
    ] {
        assert_eq!(
            rejection_kind(&send(&layer(), bearer(&hs(header, &claims().to_string()))).await),
            Some(AuthErrorKind::UnsupportedHeader),
            "{header}"
        );
    }
}

#[tokio::test]
async fn item_24_rfc7515_5_2_any_flipped_bit_is_refused() {
    let token = hs256(&claims());
    for position in [3, token.len() / 2, token.len() - 3] {
        let mut bytes = token.clone().into_bytes();
        bytes[position] ^= 0x01;
        let Ok(flipped) = String::from_utf8(bytes) else {
            continue;
        };
        assert_eq!(
            status_of(&layer(), &flipped).await.as_u16() / 100,
            4,
            "position {position}"
        );
        assert_ne!(status_of(&layer(), &flipped).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn item_25_rfc7515_10_3_key_headers_are_never_followed() {
    let attacker = [1u8; 32];
    for extra in [
        r#""jku":"http://127.0.0.1:1/k""#,
        r#""x5u":"http://127.0.0.1:1/c""#,
        r#""x5c":["AAAA"]"#,
    ] {
        let header = format!(r#"{{"alg":"HS256",{extra}}}"#);
        let token = sign_raw(
            &header,
            &claims().to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(&attacker).unwrap(),
        );
        assert_eq!(status_of(&layer(), &token).await, StatusCode::UNAUTHORIZED);
    }
    let header = format!(
        r#"{{"alg":"HS256","jwk":{{"kty":"oct","k":"{}"}}}}"#,
        b64(attacker)
    );
    let token = sign_raw(
        &header,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&attacker).unwrap(),
    );
    assert_eq!(status_of(&layer(), &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn item_26_rfc7515_2_strict_base64url() {
    let token = hs256(&claims());
    let (input, signature) = token.rsplit_once('.').unwrap();
    assert_eq!(
        status_of(&layer(), &format!("{input}.{signature}=")).await,
        StatusCode::UNAUTHORIZED,
        "padding"
    );
    // Non-canonical trailing bits: HS256 signatures are 43 characters, the last carrying 2 unused bits.
    let last = signature.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let twin = alphabet.chars().nth(index ^ 1).unwrap();
    let non_canonical = format!("{input}.{}{twin}", &signature[..signature.len() - 1]);
    assert_eq!(
        status_of(&layer(), &non_canonical).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- RFC 7518

#[test]
fn item_27_rfc7518_3_2_hmac_key_size() {
    assert!(matches!(
        VerificationKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
    assert!(matches!(
        SigningKey::hmac(Algorithm::HS256, &[9; 31]),
        Err(ConfigError::WeakHmacSecret { .. })
    ));
}

#[test]
fn item_28_rfc7518_3_3_rsa_key_size() {
    let weak = VerificationKey::from_pem(Algorithm::RS256, &pem("rsa1024_public.pem")).unwrap();
    assert_eq!(
        JwtAuthLayer::builder()
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

// ---------------------------------------------------------------- RFC 7517

fn rsa_jwk(kid: &str) -> Value {
    common::jwks_server::jwk(Algorithm::RS256, &key_pair(Algorithm::RS256).0, kid, true)
}

fn jwks_layer(keys: Vec<Value>) -> JwtAuthLayer {
    let document = json!({ "keys": keys }).to_string();
    builder_for(Algorithm::HS256)
        .jwks(tower_jwt_auth::Jwks::document(document))
        .build()
        .unwrap()
}

#[tokio::test]
async fn item_30_rfc7517_5_unknown_key_types_are_skipped() {
    let layer = jwks_layer(vec![json!({ "kty": "XYZ", "kid": "x" }), rsa_jwk("good")]);
    let token = token_with(Algorithm::RS256, json!({ "kid": "good" }), &claims());
    assert_eq!(status_of(&layer, &token).await, StatusCode::OK);
}

#[tokio::test]
async fn item_31_rfc7517_4_duplicate_jwk_members_are_refused() {
    let good = rsa_jwk("dup").to_string();
    let duplicated = good.replacen("{", r#"{"kid":"other","#, 1);
    let document = format!(r#"{{"keys":[{duplicated}]}}"#);
    let layer = builder_for(Algorithm::HS256)
        .jwks(tower_jwt_auth::Jwks::document(document))
        .build()
        .unwrap();
    for kid in ["dup", "other"] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(
            status_of(&layer, &token).await,
            StatusCode::UNAUTHORIZED,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn item_32_rfc7517_4_2_use_and_key_ops() {
    let mut encryption = rsa_jwk("enc");
    encryption["use"] = json!("enc");
    let mut sign_only = rsa_jwk("ops");
    sign_only["key_ops"] = json!(["sign"]);
    let mut verify = rsa_jwk("verify");
    verify["key_ops"] = json!(["verify"]);
    let layer = jwks_layer(vec![encryption, sign_only, verify]);
    for (kid, expected) in [
        ("enc", StatusCode::UNAUTHORIZED),
        ("ops", StatusCode::UNAUTHORIZED),
        ("verify", StatusCode::OK),
    ] {
        let token = token_with(Algorithm::RS256, json!({ "kid": kid }), &claims());
        assert_eq!(status_of(&layer, &token).await, expected, "{kid}");
    }
}

#[tokio::test]
async fn item_33_rfc7517_4_4_jwk_alg_binds_the_key() {
    let layer = jwks_layer(vec![rsa_jwk("a")]);
    let token = token_with(Algorithm::PS256, json!({ "kid": "a" }), &claims());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn item_34_rfc7517_4_5_kid_is_bounded_and_only_selects_trusted_keys() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let long = "k".repeat(300);
    let token = token_with(Algorithm::HS256, json!({ "kid": long }), &claims());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
    );
    assert!(VerificationKey::hmac(Algorithm::HS256, SECRET)
        .unwrap()
        .with_kid("k".repeat(257))
        .is_err());
}

// ---------------------------------------------------------------- RFC 8725

#[tokio::test]
async fn item_35_rfc8725_3_1_each_key_one_algorithm() {
    let layer = builder_for(Algorithm::RS256).build().unwrap();
    let token = token_with(Algorithm::RS512, json!({}), &claims());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedAlgorithm)
    );
    // HMAC with the RSA public key as secret.
    let token = sign_raw(
        r#"{"alg":"HS256"}"#,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&pem("rsa_public.pem")).unwrap(),
    );
    assert_eq!(status_of(&layer, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn item_36_rfc8725_3_2_none_is_never_accepted() {
    for none in ["none", "None", "NONE", "nOnE"] {
        let token = format!(
            "{}.{}.",
            b64(json!({ "alg": none }).to_string()),
            b64(claims().to_string())
        );
        assert_eq!(
            status_of(&layer(), &token).await,
            StatusCode::UNAUTHORIZED,
            "{none}"
        );
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
    assert_eq!(status_of(&layer(), &jwe).await, StatusCode::UNAUTHORIZED);
}

#[test]
fn item_39_rfc8725_3_5_hmac_keys_are_raw_bytes_of_hash_length() {
    assert!(VerificationKey::hmac(Algorithm::HS512, b"correct horse battery staple").is_err());
}

#[tokio::test]
async fn item_40_rfc8725_3_6_zip_is_refused() {
    let token = hs(r#"{"alg":"HS256","zip":"DEF"}"#, &claims().to_string());
    assert_eq!(
        rejection_kind(&send(&layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnsupportedHeader)
    );
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
    assert_eq!(status_of(&layer(), &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn item_42_rfc8725_3_8_keys_belong_to_the_issuer() {
    let other_secret = [5u8; 32];
    let layer = JwtAuthLayer::builder()
        .audience(AUDIENCE)
        .trust_issuer(
            "https://a.test",
            TrustedIssuer::new().key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap()),
        )
        .trust_issuer(
            "https://b.test",
            TrustedIssuer::new()
                .key(VerificationKey::hmac(Algorithm::HS256, &other_secret).unwrap()),
        )
        .build()
        .unwrap();
    let for_issuer = |iss: &str, secret: &[u8]| {
        sign_raw(
            r#"{"alg":"HS256"}"#,
            &with_claim(claims(), "iss", json!(iss)).to_string(),
            Algorithm::HS256,
            &EncodingKey::from_secret(secret).unwrap(),
        )
    };
    assert_eq!(
        status_of(&layer, &for_issuer("https://a.test", SECRET)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", &other_secret)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&layer, &for_issuer("https://b.test", SECRET)).await,
        StatusCode::UNAUTHORIZED,
        "B's name, A's key"
    );
}

#[tokio::test]
async fn item_43_rfc8725_3_9_audience_is_mandatory_by_default() {
    let no_audience = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .build();
    assert!(matches!(no_audience, Err(ConfigError::Missing(_))));
    assert_eq!(
        rejection_kind(
            &send(
                &layer(),
                bearer(&hs256(&with_claim(claims(), "aud", Value::Null)))
            )
            .await
        ),
        Some(AuthErrorKind::MissingClaim)
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
        rejection_kind(&send(&layer(), bearer(&token)).await),
        Some(AuthErrorKind::UnknownKey)
    );
}

#[tokio::test]
async fn item_45_rfc8725_3_11_explicit_typing() {
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let token = issuer.issue("alice", &()).unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.as_str().split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "at+jwt");
    let typed = builder_for(Algorithm::HS256)
        .access_token_type()
        .build()
        .unwrap();
    assert_eq!(status_of(&typed, token.as_str()).await, StatusCode::OK);
}

#[tokio::test]
async fn item_46_rfc8725_3_12_id_tokens_are_not_access_tokens() {
    let typed = builder_for(Algorithm::HS256)
        .access_token_type()
        .build()
        .unwrap();
    let id_token = token_with(Algorithm::HS256, json!({ "typ": "JWT" }), &claims());
    assert_eq!(
        rejection_kind(&send(&typed, bearer(&id_token)).await),
        Some(AuthErrorKind::InvalidType)
    );
}

// ---------------------------------------------------------------- RFC 9068

fn rfc9068_claims() -> Value {
    with_claim(claims(), "client_id", json!("web"))
}

#[tokio::test]
async fn item_47_rfc9068_2_1_typ_must_be_at_jwt() {
    let layer = builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .build()
        .unwrap();
    assert_eq!(
        status_of(&layer, &hs256(&rfc9068_claims())).await,
        StatusCode::OK
    );
    let untyped = hs(r#"{"alg":"HS256"}"#, &rfc9068_claims().to_string());
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&untyped)).await),
        Some(AuthErrorKind::InvalidType)
    );
    let jwt = hs(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &rfc9068_claims().to_string(),
    );
    assert_eq!(
        rejection_kind(&send(&layer, bearer(&jwt)).await),
        Some(AuthErrorKind::InvalidType)
    );
}

#[tokio::test]
async fn item_48_rfc9068_2_2_required_claims() {
    let layer = builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .build()
        .unwrap();
    for claim in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        let token = hs256(&with_claim(rfc9068_claims(), claim, Value::Null));
        assert_eq!(
            status_of(&layer, &token).await,
            StatusCode::UNAUTHORIZED,
            "without {claim}"
        );
    }
}

#[tokio::test]
async fn item_49_rfc9068_4_validation() {
    let layer = builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .build()
        .unwrap();
    for bad in [
        with_claim(rfc9068_claims(), "iss", json!("https://other")),
        with_claim(rfc9068_claims(), "aud", json!("other")),
        with_claim(rfc9068_claims(), "exp", json!(now() - 3600)),
    ] {
        assert_eq!(
            status_of(&layer, &hs256(&bad)).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn item_51_rfc9068_2_2_3_scope() {
    let layer = builder_for(Algorithm::HS256)
        .rfc9068_profile()
        .require_scopes(["a", "b"])
        .build()
        .unwrap();
    let response = send(&layer, bearer(&hs256(&rfc9068_claims()))).await;
    assert_rejected(&response, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(challenge(&response).contains("scope=\"a b\""));
    let failed_profile = send(
        &layer,
        bearer(&hs256(&with_claim(
            rfc9068_claims(),
            "client_id",
            Value::Null,
        ))),
    )
    .await;
    assert_rejected(
        &failed_profile,
        StatusCode::UNAUTHORIZED,
        Some("invalid_token"),
    );
}

// ---------------------------------------------------------------- RFC 6749 §5–6, §10.4

async fn refresh_call(
    f: &common::sessions::Fixture,
    body: String,
    content_type: &str,
) -> (StatusCode, http::HeaderMap, Value) {
    let request = Request::post("/refresh")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = RefreshEndpoint::new(f.sessions.clone())
        .oneshot(request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .unwrap()
        .to_bytes();
    (
        parts.status,
        parts.headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn payload_of(token: &str) -> Value {
    serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn item_53_rfc6749_6_scope_is_carried_unchanged() {
    let f = fixture(Duration::ZERO);
    let pair = f
        .sessions
        .login("alice", &json!({ "scope": "read" }))
        .await
        .unwrap();
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&scope=read+admin",
        pair.refresh_token()
    );
    let (status, _, body) = refresh_call(&f, form, "application/x-www-form-urlencoded").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        payload_of(body["access_token"].as_str().unwrap())["scope"],
        "read",
        "never widened"
    );
}

#[tokio::test]
async fn item_54_rfc6749_6_the_old_refresh_token_is_discarded() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    assert_ne!(next.refresh_token(), pair.refresh_token());
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
}

#[tokio::test]
async fn item_55_rfc6749_10_4_only_a_hash_of_the_secret_is_stored() {
    use std::sync::{Arc, Mutex};
    use tower_jwt_auth::{
        Lookup, MemoryStore, NewSession, RevocationCheck, RotateOutcome, RotateRequest,
        SessionStore, StoreFuture,
    };
    /// Records what the store is given.
    struct Recording(MemoryStore, Arc<Mutex<Vec<String>>>);
    impl RevocationCheck for Recording {
        fn is_revoked(&self, token: &tower_jwt_auth::TokenInfo) -> Lookup<bool> {
            self.0.is_revoked(token)
        }
    }
    impl SessionStore for Recording {
        fn create_session(&self, session: NewSession) -> StoreFuture<()> {
            self.1.lock().unwrap().push(format!("{session:?}"));
            self.0.create_session(session)
        }
        fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
            self.1.lock().unwrap().push(format!("{request:?}"));
            self.0.rotate(request)
        }
        fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
            self.0.revoke_session(session_id, until)
        }
        fn revoke_refresh_token(
            &self,
            session_id: &str,
            generation: u64,
            secret_hash: [u8; 32],
            until: i64,
        ) -> StoreFuture<bool> {
            self.0
                .revoke_refresh_token(session_id, generation, secret_hash, until)
        }
        fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
            self.0.revoke_token(jti, until)
        }
        fn revoke_subject(
            &self,
            issuer: &str,
            subject: &str,
            not_before: i64,
            until: i64,
        ) -> StoreFuture<()> {
            self.0.revoke_subject(issuer, subject, not_before, until)
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let clock = ManualClock::new(common::sessions::T0);
    let f = common::sessions::fixture_with(
        Arc::new(Recording(MemoryStore::new(), seen.clone())),
        clock,
        Duration::ZERO,
    );
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
    let secret = |token: &str| token.rsplit('.').next().unwrap().to_owned();
    for record in seen.lock().unwrap().iter() {
        for token in [pair.refresh_token(), next.refresh_token()] {
            assert!(
                !record.contains(&secret(token)),
                "a plaintext secret reached the store"
            );
        }
    }
    assert!(!seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn item_56_rfc6749_5_1_token_responses_are_not_cached() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let (status, headers, _) = refresh_call(
        &f,
        json!({ "refresh_token": pair.refresh_token() }).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(
        (status, &headers["cache-control"], &headers["pragma"]),
        (
            StatusCode::OK,
            &"no-store".parse().unwrap(),
            &"no-cache".parse().unwrap()
        )
    );
    let (status, _, body) = refresh_call(
        &f,
        json!({ "refresh_token": "rt_bad" }).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

// ---------------------------------------------------------------- RFC 9700

#[tokio::test]
async fn item_58_rfc9700_2_2_2_rotation_and_reuse_revokes_the_active_token() {
    let f = fixture(Duration::ZERO);
    let r1 = f.sessions.login("alice", &()).await.unwrap();
    let r2 = f.sessions.refresh(r1.refresh_token()).await.unwrap();
    assert!(f.sessions.refresh(r1.refresh_token()).await.is_err());
    assert!(
        f.sessions.refresh(r2.refresh_token()).await.is_err(),
        "R2 stops working"
    );
    assert_eq!(
        status_of(&f.layer, r2.access_token()).await,
        StatusCode::UNAUTHORIZED,
        "and its access token"
    );
}

#[tokio::test]
async fn item_59_rfc9700_4_14_2_idle_expiry_and_security_events() {
    let f = fixture(Duration::ZERO);
    let idle = f.sessions.login("alice", &()).await.unwrap();
    f.clock.advance(3600);
    assert!(
        f.sessions.refresh(idle.refresh_token()).await.is_err(),
        "idle for the refresh TTL"
    );
    let active = f.sessions.login("alice", &()).await.unwrap();
    f.clock.advance(1);
    f.sessions.logout_all("alice").await.unwrap(); // e.g. on a password change
    assert!(f.sessions.refresh(active.refresh_token()).await.is_err());
}

#[tokio::test]
async fn item_60_rfc9700_2_3_audience_restricted_tokens() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    assert_eq!(payload_of(pair.access_token())["aud"], AUDIENCE);
    let elsewhere = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
        .audience("another-api")
        .clock(f.clock.clone())
        .build()
        .unwrap();
    assert_eq!(
        status_of(&elsewhere, pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- RFC 7009

async fn revoke_call(f: &common::sessions::Fixture, form: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::post("/revoke")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form.to_owned()))
        .unwrap();
    let response = RevokeEndpoint::new(f.sessions.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn item_61_rfc7009_2_1_revocation_request() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    let (status, _) = revoke_call(
        &f,
        &format!(
            "token={}&token_type_hint=refresh_token",
            pair.refresh_token()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
}

#[tokio::test]
async fn item_62_rfc7009_2_2_unknown_tokens_get_200_and_an_empty_body() {
    let f = fixture(Duration::ZERO);
    assert_eq!(
        revoke_call(&f, "token=random-string").await,
        (StatusCode::OK, Vec::new())
    );
    assert_eq!(
        revoke_call(&f, "token=rt_AAAA.BBBB.CCCC&token_type_hint=refresh_token").await,
        (StatusCode::OK, Vec::new())
    );
    // An endpoint that does not revoke access tokens says so rather than answer 200 for nothing.
    let (status, body) =
        revoke_call(&f, "token=rt_AAAA.BBBB.CCCC&token_type_hint=access_token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "unsupported_token_type"
    );
}

#[tokio::test]
async fn item_63_rfc7009_2_1_revoking_a_refresh_token_revokes_its_access_tokens() {
    let f = fixture(Duration::ZERO);
    let pair = f.sessions.login("alice", &()).await.unwrap();
    assert_eq!(
        status_of(&f.layer, pair.access_token()).await,
        StatusCode::OK
    );
    revoke_call(&f, &format!("token={}", pair.refresh_token())).await;
    assert_eq!(
        status_of(&f.layer, pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
}
