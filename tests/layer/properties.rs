//! Property tests: issue → verify round trips, any single-byte change of a valid token is refused, and the
//! bearer header parser accepts exactly the RFC 6750 grammar (checked against an independent oracle).

use crate::common;

use common::sessions::system_issuer;
use common::*;
use http::{HeaderMap, HeaderValue, Uri};
use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower_jwt_auth::{token::BearerHeader, token::TokenSource, Claims, JwtAuthLayer};

fn layer() -> JwtAuthLayer<Value> {
    builder_for(Algorithm::HS256)
        .disable_token_cache()
        .claims::<Value>()
        .build()
        .unwrap()
}

/// App claims: a scope of 0–4 scope tokens, a name with any characters, a number, a nested object.
fn app_claims() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec("[a-z:]{1,8}", 0..4),
        any::<String>(),
        any::<i32>(),
        proptest::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(scopes, name, number, bytes)| {
            json!({ "scope": scopes.join(" "), "name": name, "n": number, "nested": { "bytes": bytes } })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn issue_then_verify_gives_back_the_same_claims(subject in "[^\u{0}]{1,40}", claims in app_claims()) {
        let token = system_issuer().issue(&subject, &claims).unwrap();
        let (verified, info): (Claims<Value>, _) = layer().verify_token(token.as_str()).unwrap();
        prop_assert_eq!(info.subject(), Some(subject.as_str()));
        prop_assert_eq!(info.token_id(), Some(token.jti()));
        for key in ["scope", "name", "n", "nested"] {
            prop_assert_eq!(&verified[key], &claims[key]);
        }
    }

    #[test]
    fn any_single_byte_change_is_refused(position in any::<prop::sample::Index>(), replacement in 0x21u8..0x7f) {
        let token = system_issuer().issue("alice", &json!({ "scope": "read" })).unwrap().into_string();
        let index = position.index(token.len());
        prop_assume!(token.as_bytes()[index] != replacement);
        let mut bytes = token.into_bytes();
        bytes[index] = replacement;
        let mutated = String::from_utf8(bytes).unwrap();
        prop_assert!(layer().verify_token(&mutated).is_err(), "accepted {}", mutated);
    }

    #[test]
    fn the_bearer_parser_accepts_exactly_the_rfc6750_grammar(
        scheme in prop::sample::select(vec!["Bearer", "bearer", "BEARER", "bEaReR", "Basic", "Bearerx", ""]),
        separator in prop::sample::select(vec!["", " ", "  ", "\t", " \t"]),
        token in "[A-Za-z0-9._~+/=, \"\\-é]{0,12}",
    ) {
        let value = format!("{scheme}{separator}{token}");
        let Ok(header) = HeaderValue::from_str(&value) else { return Ok(()) };
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, header);
        let uri = Uri::from_static("/");
        let got = BearerHeader.extract(&headers, &uri).map_err(|e| e.kind());
        prop_assert_eq!(got.map(|t| t.map(str::to_owned)), oracle(&value));
    }
}

/// An independent reading of RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, scheme case-insensitive;
/// another scheme is "no bearer token"; a bearer scheme with a bad token is malformed.
fn oracle(value: &str) -> Result<Option<String>, tower_jwt_auth::AuthErrorKind> {
    let scheme_end = value.find([' ', '\t']).unwrap_or(value.len());
    if !value[..scheme_end].eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = value[scheme_end..].trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let valid = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c));
    if valid {
        Ok(Some(token.to_owned()))
    } else {
        Err(tower_jwt_auth::AuthErrorKind::Malformed)
    }
}
