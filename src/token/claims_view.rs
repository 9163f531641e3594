//! A borrowed view of the registered claims, parsed once per token with strict types, no duplicate members and the
//! layer's JSON limits: what validation reads.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use std::cell::Cell;

use crate::error::{AuthError, AuthErrorKind};
use crate::jose::json::{for_each_member, CowStr, JsonLimits};

use super::claims::{numeric_date, Audience, RegisteredClaims};

/// A borrowed view of the registered claims, parsed once per token to validate it ([`parse_claims`]). The parse
/// refuses duplicate member names, and objects, arrays and nesting beyond the layer's [`JsonLimits`].
#[derive(Debug, Default)]
pub(crate) struct ClaimsView<'a> {
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) jti: Option<Cow<'a, str>>,
    pub(crate) sid: Option<Cow<'a, str>>,
    pub(crate) scope: Option<Cow<'a, str>>,
    pub(crate) client_id: Option<Cow<'a, str>>,
    pub(crate) aud: Option<AudienceView<'a>>,
    /// `cnf.jkt` (RFC 9449 §6.1): the thumbprint of the DPoP key the token is bound to.
    pub(crate) cnf_jkt: Option<Cow<'a, str>>,
    /// `cnf["x5t#S256"]` (RFC 8705 §3.1): the thumbprint of the client certificate the token is bound to.
    pub(crate) cnf_x5t: Option<Cow<'a, str>>,
    /// `cnf` names another confirmation method (`jwk`, `x5t`, …), which no layer can check.
    pub(crate) cnf_other: bool,
    /// `acr` (OIDC Core §2): the authentication context class the user authenticated with.
    pub(crate) acr: Option<Cow<'a, str>>,
    /// `amr` (RFC 8176): the authentication methods used, an array of strings.
    pub(crate) amr: Option<AudienceView<'a>>,
    /// `session_exp`: the end of the session of a token whose `auth_time` a step-up moved (this crate's
    /// sessions write it; sliding caps renewals at it).
    pub(crate) session_exp: Option<i64>,
    /// An `events` claim is present: a Security Event Token (RFC 8417 §2.2, a back-channel logout token), never
    /// an access token.
    pub(crate) events: bool,
}

/// A NumericDate claim that is present (so `null` is an error, not "absent").
struct Date(i64);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        numeric_date(deserializer).map(|date| Date(date.unwrap_or_default()))
    }
}

/// The registered claims the crate reads (and that can be made mandatory).
pub(crate) const REGISTERED_CLAIMS: [&str; 15] = [
    "exp",
    "nbf",
    "iat",
    "iss",
    "aud",
    "sub",
    "jti",
    "sid",
    "scope",
    "client_id",
    "auth_time",
    "cnf",
    "acr",
    "amr",
    "session_exp",
];

/// Parses a claims set (a JSON object; arrays and other values are refused) within `limits`. A registered
/// claim of the wrong type is an error naming it.
pub(crate) fn parse_claims(json: &[u8], limits: JsonLimits) -> Result<ClaimsView<'_>, AuthError> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(AuthErrorKind::InvalidClaim.into());
    }
    let failing = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let refused = |_| match failing.get() {
        Some(claim) => AuthError::of_claim(AuthErrorKind::InvalidClaim, claim),
        None => AuthErrorKind::InvalidClaim.into(),
    };
    let view = ClaimsSeed(limits, &failing)
        .deserialize(&mut deserializer)
        .map_err(refused)?;
    deserializer
        .end()
        .map_err(|_| AuthError::from(AuthErrorKind::InvalidClaim))?;
    Ok(view)
}

/// The limits, and the registered claim being read (so a failure can name it).
struct ClaimsSeed<'c>(JsonLimits, &'c Cell<Option<&'static str>>);

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = ClaimsView<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = ClaimsView<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let (limits, failing) = (self.0, self.1);
        let mut view = ClaimsView::default();
        for_each_member(map, limits, limits.max_depth, |name, map| {
            let date = |map: &mut A| map.next_value::<Date>().map(|d| Some(d.0));
            let text = |map: &mut A| map.next_value::<CowStr<'de>>().map(|s| Some(s.0));
            if name == "events" {
                view.events = true;
            }
            let Some(claim) = REGISTERED_CLAIMS.iter().find(|claim| **claim == name) else {
                return Ok(false);
            };
            failing.set(Some(claim));
            match *claim {
                "exp" => view.exp = date(map)?,
                "nbf" => view.nbf = date(map)?,
                "iat" => view.iat = date(map)?,
                "auth_time" => view.auth_time = date(map)?,
                "iss" => view.iss = text(map)?,
                "sub" => view.sub = text(map)?,
                "jti" => view.jti = text(map)?,
                "sid" => view.sid = text(map)?,
                "scope" => view.scope = text(map)?,
                "client_id" => view.client_id = text(map)?,
                "aud" => view.aud = Some(map.next_value_seed(AudienceSeed(limits, false))?),
                "cnf" => {
                    let cnf = map.next_value_seed(ConfirmationSeed(limits))?;
                    (view.cnf_jkt, view.cnf_x5t, view.cnf_other) = (cnf.jkt, cnf.x5t, cnf.other);
                }
                "acr" => view.acr = text(map)?,
                "session_exp" => view.session_exp = date(map)?,
                "amr" => view.amr = Some(map.next_value_seed(AudienceSeed::array(limits))?),
                // A registered claim without an arm is read as an application claim (never a panic).
                _ => return Ok(false),
            }
            failing.set(None);
            Ok(true)
        })?;
        Ok(view)
    }
}

impl ClaimsView<'_> {
    /// The registered claims as the owned default claims type (saves parsing the payload a second time).
    pub(crate) fn to_registered(&self) -> RegisteredClaims {
        let owned = |c: &Option<Cow<'_, str>>| c.as_deref().map(str::to_owned);
        RegisteredClaims {
            iss: owned(&self.iss),
            sub: owned(&self.sub),
            aud: self.aud.as_ref().map(|aud| match aud.0.as_slice() {
                [one] => Audience::One(one.to_string()),
                many => Audience::Many(many.iter().map(|a| a.to_string()).collect()),
            }),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
            jti: owned(&self.jti),
            scope: owned(&self.scope),
            client_id: owned(&self.client_id),
            sid: owned(&self.sid),
            auth_time: self.auth_time,
        }
    }
}

/// The `cnf` claim (RFC 7800): an object; its `jkt` (RFC 9449) and `x5t#S256` (RFC 8705) members, when
/// present, must be strings. Whether it names other confirmation methods (`jwk`, …) is reported, so such a
/// token is refused rather than taken as a bearer token.
struct ConfirmationSeed(JsonLimits);

/// What a `cnf` claim names.
#[derive(Default)]
struct Confirmation<'a> {
    jkt: Option<Cow<'a, str>>,
    x5t: Option<Cow<'a, str>>,
    other: bool,
}

impl<'de> DeserializeSeed<'de> for ConfirmationSeed {
    type Value = Confirmation<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConfirmationSeed {
    type Value = Confirmation<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a confirmation object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut cnf = Confirmation::default();
        let depth = self.0.max_depth.saturating_sub(1);
        for_each_member(map, self.0, depth, |name, map| {
            let slot = match name {
                "jkt" => &mut cnf.jkt,
                "x5t#S256" => &mut cnf.x5t,
                _ => {
                    cnf.other = true;
                    return Ok(false);
                }
            };
            *slot = Some(map.next_value::<CowStr<'de>>()?.0);
            Ok(true)
        })?;
        Ok(cnf)
    }
}

/// `aud` as a string or an array of strings; any other shape is an error.
#[derive(Debug)]
pub(crate) struct AudienceView<'a>(pub(crate) Vec<Cow<'a, str>>);

/// Reads `aud` (a string or an array), or with `array_only` a claim that must be an array of strings (`amr`).
struct AudienceSeed(JsonLimits, bool);

impl AudienceSeed {
    fn array(limits: JsonLimits) -> Self {
        Self(limits, true)
    }
}

impl<'de> DeserializeSeed<'de> for AudienceSeed {
    type Value = AudienceView<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AudienceSeed {
    type Value = AudienceView<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        match self.1 {
            true => Err(de::Error::custom("an array of strings")),
            false => Ok(AudienceView(vec![Cow::Borrowed(v)])),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match self.1 {
            true => Err(de::Error::custom("an array of strings")),
            false => Ok(AudienceView(vec![Cow::Owned(v.to_owned())])),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut all = Vec::new();
        while let Some(CowStr(item)) = seq.next_element::<CowStr<'de>>()? {
            if all.len() == self.0.max_members {
                return Err(de::Error::custom("too many audiences"));
            }
            all.push(item);
        }
        Ok(AudienceView(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(json: &str) -> Result<ClaimsView<'_>, AuthErrorKind> {
        parse_claims(json.as_bytes(), JsonLimits::default()).map_err(|error| error.kind())
    }

    #[test]
    fn limits_are_the_configured_ones() {
        let groups: Vec<String> = (0..200).map(|i| format!("\"group-{i}\"")).collect();
        let entra = format!(
            r#"{{"exp":1,"groups":[{}],"aud":[{}]}}"#,
            groups.join(","),
            groups.join(",")
        );
        assert!(
            view(&entra).is_ok(),
            "200 groups and a long aud list pass the defaults"
        );
        let tight = JsonLimits {
            max_members: 64,
            max_depth: 1,
        };
        assert!(parse_claims(entra.as_bytes(), tight).is_err());
        assert!(parse_claims(br#"{"a":{"b":{"c":1}}}"#, tight).is_err());
        assert!(parse_claims(br#"{"a":{"b":1}}"#, tight).is_ok());
        assert!(view("[1]").is_err() && view(r#"{"exp":1} x"#).is_err());
    }

    #[test]
    fn numeric_dates_must_be_numbers() {
        assert_eq!(
            view(r#"{"exp":1700000000}"#).unwrap().exp,
            Some(1_700_000_000)
        );
        assert_eq!(view(r#"{"exp":1.7e9}"#).unwrap().exp, Some(1_700_000_000));
        assert_eq!(
            view(r#"{"exp":1700000000.9}"#).unwrap().exp,
            Some(1_700_000_000)
        );
        for bad in [
            r#"{"exp":"9999999999"}"#,
            r#"{"exp":null}"#,
            r#"{"exp":[1]}"#,
            r#"{"exp":1e300}"#,
        ] {
            assert!(view(bad).is_err(), "{bad}");
        }
        assert!(view(r#"{"exp":18446744073709551615}"#).is_err());
    }

    #[test]
    fn audience_is_string_or_array_of_strings() {
        assert_eq!(view(r#"{"aud":"me"}"#).unwrap().aud.unwrap().0, ["me"]);
        assert_eq!(
            view(r#"{"aud":["other","me"]}"#).unwrap().aud.unwrap().0,
            ["other", "me"]
        );
        for bad in [
            r#"{"aud":{}}"#,
            r#"{"aud":[1]}"#,
            r#"{"aud":5}"#,
            r#"{"aud":null}"#,
        ] {
            assert!(view(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn confirmation_is_an_object_with_a_string_jkt() {
        assert_eq!(
            view(r#"{"cnf":{"jkt":"abc"}}"#).unwrap().cnf_jkt.unwrap(),
            "abc"
        );
        let bound = view(r#"{"cnf":{"x5t#S256":"x"}}"#).unwrap();
        assert!(bound.cnf_jkt.is_none() && !bound.cnf_other);
        assert_eq!(bound.cnf_x5t.unwrap(), "x");
        assert!(view(r#"{"cnf":{"jwk":{}}}"#).unwrap().cnf_other);
        assert_eq!(
            view(r#"{"amr":["pwd","otp"]}"#).unwrap().amr.unwrap().0,
            ["pwd", "otp"]
        );
        assert!(view(r#"{"amr":"pwd"}"#).is_err() && view(r#"{"acr":1}"#).is_err());
        for bad in [
            r#"{"cnf":"abc"}"#,
            r#"{"cnf":{"jkt":1}}"#,
            r#"{"cnf":{"x5t#S256":1}}"#,
            r#"{"cnf":{"jkt":"a","jkt":"b"}}"#,
        ] {
            assert!(view(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_registered_claims_are_refused() {
        assert!(view(r#"{"sub":"a","sub":"admin"}"#).is_err());
    }

    #[test]
    fn string_claims_must_be_strings() {
        assert!(view(r#"{"iss":5}"#).is_err());
        assert!(view(r#"{"sub":null}"#).is_err());
        assert_eq!(view(r#"{"sub":"a\"b"}"#).unwrap().sub.unwrap(), "a\"b");
    }
}
