//! Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6): the claims a logout token
//! whose signature verified must carry before anything is revoked.

use serde_json::{Map, Value};

/// The member of `events` that makes a token a back-channel logout token.
pub(crate) const BACKCHANNEL_LOGOUT_EVENT: &str =
    "http://schemas.openid.net/event/backchannel-logout";

/// What a valid logout token asks: end session `sid` of `iss`, or (without `sid`) every session of `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogoutToken {
    pub(crate) iss: String,
    pub(crate) sub: Option<String>,
    pub(crate) sid: Option<String>,
    pub(crate) jti: String,
    pub(crate) iat: i64,
}

/// The rules a logout token's claims are held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogoutRules<'a> {
    /// The issuers whose logouts are taken.
    pub(crate) issuers: &'a [String],
    /// This client's id: `aud` must name it.
    pub(crate) audience: &'a str,
    /// How old (`iat`) a logout token may be, in seconds.
    pub(crate) max_age: i64,
    /// Clock skew allowed for `iat` in the future and `exp` in the past, in seconds.
    pub(crate) leeway: i64,
    pub(crate) now: i64,
}

/// The logout token's claims checked (§2.6 steps 4–7): `iss` trusted, `aud` this client, `iat` within the
/// window, `exp` not passed when present, a `jti`, the back-channel-logout event as a JSON object, `sid` and/or
/// `sub`, no `nonce`. The error names the rule broken (for logs; it never holds a claim's value).
pub(crate) fn check_logout_claims(
    payload: &[u8],
    rules: &LogoutRules<'_>,
) -> Result<LogoutToken, &'static str> {
    let claims = crate::jose::json::strict_object(payload).ok_or("claims")?;
    let iss = text(&claims, "iss")?.ok_or("iss")?;
    if !rules.issuers.contains(&iss) {
        return Err("iss");
    }
    if !names_audience(claims.get("aud"), rules.audience) {
        return Err("aud");
    }
    let iat = date(&claims, "iat")?.ok_or("iat")?;
    if iat > rules.now + rules.leeway || iat < rules.now - rules.max_age {
        return Err("iat");
    }
    if date(&claims, "exp")?.is_some_and(|exp| exp <= rules.now - rules.leeway) {
        return Err("exp");
    }
    let jti = text(&claims, "jti")?
        .filter(|j| !j.is_empty())
        .ok_or("jti")?;
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err("events");
    }
    if claims.contains_key("nonce") {
        return Err("nonce");
    }
    let (sub, sid) = (text(&claims, "sub")?, text(&claims, "sid")?);
    if sub.is_none() && sid.is_none() {
        return Err("sub/sid");
    }
    Ok(LogoutToken {
        iss,
        sub,
        sid,
        jti,
        iat,
    })
}

/// A string claim: absent is `None`, another type an error naming it.
fn text(claims: &Map<String, Value>, name: &'static str) -> Result<Option<String>, &'static str> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(name),
    }
}

/// A NumericDate claim (an integer number of seconds): absent is `None`, another type an error naming it.
fn date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, &'static str> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or(name),
    }
}

/// `aud` is `audience`, or an array of strings holding it.
fn names_audience(aud: Option<&Value>, audience: &str) -> bool {
    match aud {
        Some(Value::String(one)) => one == audience,
        Some(Value::Array(many)) => {
            many.iter().all(Value::is_string) && many.iter().any(|a| a == audience)
        }
        _ => false,
    }
}
