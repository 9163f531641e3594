//! The compact JWS form (RFC 7515 §7.1): three base64url segments, a JSON header, strict decoding.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::jose::json::{for_each_member, CowStr, JsonLimits, Skip};

use crate::error::AuthErrorKind;

/// The three segments of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactJws<'t> {
    pub(crate) header: &'t str,
    pub(crate) payload: &'t str,
    pub(crate) signature: &'t str,
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'t str,
}

impl<'t> CompactJws<'t> {
    /// Splits a token into exactly three non-empty-header segments (a JWE has five; it is refused).
    pub(crate) fn split(token: &'t str) -> Result<Self, AuthErrorKind> {
        let mut dots = token.match_indices('.').map(|(i, _)| i);
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(AuthErrorKind::InvalidToken);
        };
        Ok(Self {
            header: &token[..first],
            payload: &token[first + 1..second],
            signature: &token[second + 1..],
            signing_input: &token[..second],
        })
    }
}

/// Three segments whose first decodes to a JSON object: the shape of a JWS, not yet verified.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    CompactJws::split(token)
        .ok()
        .and_then(|jws| decode_segment(jws.header).ok())
        .is_some_and(|header| header.first() == Some(&b'{'))
}

/// Strict base64url: no padding, no whitespace, no non-canonical trailing bits (one byte form per token).
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, AuthErrorKind> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthErrorKind::InvalidToken)
}

/// Parses a JSON object; arrays and other values are refused (serde would map arrays onto structs).
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, AuthErrorKind> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(AuthErrorKind::InvalidToken);
    }
    serde_json::from_slice(json).map_err(|_| AuthErrorKind::InvalidToken)
}

/// Whether the `typ` header `typ` names the media type `expected` (given without `application/`): compared
/// case-insensitively, the `application/` prefix optional (RFC 7515 §4.1.9).
pub(crate) fn media_type_is(typ: &str, expected: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case(expected)
}

/// The JOSE header members this crate reads. `jku`, `x5u`, `jwk` and `x5c` are never read, so never followed.
/// Duplicate, excess or too deeply nested members are refused.
#[derive(Debug)]
pub(crate) struct JoseHeader<'a> {
    pub(crate) alg: Cow<'a, str>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    /// No `crit` extension is understood, so any `crit` member makes the token invalid (RFC 7515 §4.1.11).
    pub(crate) crit: bool,
    /// Compression is never accepted (RFC 8725 §3.6).
    pub(crate) zip: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for JoseHeader<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = JoseHeader<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JOSE header")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let (mut alg, mut kid, mut typ, mut crit, mut zip) =
                    (None, None, None, false, false);
                let limits = JsonLimits::default();
                for_each_member(map, limits, limits.max_depth, |name, map| {
                    let text = |map: &mut A| map.next_value::<CowStr<'de>>().map(|s| Some(s.0));
                    match name {
                        "alg" => alg = text(map)?,
                        "kid" => kid = text(map)?,
                        "typ" => typ = text(map)?,
                        "crit" | "zip" => {
                            map.next_value_seed(Skip::top())?;
                            crit |= name == "crit";
                            zip |= name == "zip";
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                let alg = alg.ok_or_else(|| de::Error::missing_field("alg"))?;
                Ok(JoseHeader {
                    alg,
                    kid,
                    typ,
                    crit,
                    zip,
                })
            }
        }
        deserializer.deserialize_map(HeaderVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Algorithm;

    #[test]
    fn split_needs_exactly_three_segments() {
        assert!(CompactJws::split("a.b.c").is_ok());
        for bad in ["a", "a.b", "a.b.c.d", "a.b.c.d.e"] {
            assert_eq!(
                CompactJws::split(bad).unwrap_err(),
                AuthErrorKind::InvalidToken,
                "{bad}"
            );
        }
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(decode_segment("e30").unwrap(), b"{}");
        assert!(decode_segment("e30=").is_err(), "padding");
        assert!(decode_segment("e3 0").is_err(), "whitespace");
        assert!(
            decode_segment("e31").is_err(),
            "non-canonical trailing bits"
        );
        assert!(decode_segment("e3+0").is_err(), "standard alphabet");
    }

    #[test]
    fn header_must_be_an_object_with_unique_members() {
        assert!(parse_object::<JoseHeader<'_>>(br#"["HS256"]"#).is_err());
        assert!(parse_object::<JoseHeader<'_>>(br#"{"alg":"HS256","alg":"none"}"#).is_err());
        let h: JoseHeader<'_> = parse_object(br#"{"alg":"HS256","crit":["x"],"x":1}"#).unwrap();
        assert!(h.crit);
    }

    #[test]
    fn algorithm_names_are_case_sensitive_and_none_is_unknown() {
        // The verifier uses jsonwebtoken's `FromStr`; this pins the behaviour it relies on.
        assert_eq!("HS256".parse::<Algorithm>().ok(), Some(Algorithm::HS256));
        for bad in ["hs256", "none", "None", "NONE", "nOnE", ""] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
    }
}
