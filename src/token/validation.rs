//! Claims validation rules (RFC 7519 §4.1, RFC 8725 §3.8–3.12, RFC 9068 §4), built once per layer.

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::jose::jws::media_type_is;
use crate::token::claims_view::{ClaimsView, REGISTERED_CLAIMS};

/// The largest leeway the builder accepts, in seconds.
pub(crate) const MAX_LEEWAY: u64 = 300;

#[derive(Debug, Clone)]
pub(crate) struct Validation {
    pub(crate) leeway: i64,
    pub(crate) require_exp: bool,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    /// `typ` values accepted (lower case, without `application/`); empty means not checked.
    pub(crate) types: Vec<String>,
    pub(crate) required: Vec<&'static str>,
    pub(crate) max_age: Option<i64>,
    /// The layer's own session issuer and the longest lifetime (`exp - iat`) its tokens may have
    /// ([`TokenIssuerBuilder::max_ttl`](crate::issuer::TokenIssuerBuilder::max_ttl)), which revocation markers are
    /// sized by: checked on the tokens its keys verify and on every token that names it.
    pub(crate) own_lifetime: Option<(String, i64)>,
    /// Refuse session tokens (`sid`): the layer can't check their session, so a logout would not reach them.
    pub(crate) refuse_sid: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            leeway: 30,
            require_exp: true,
            issuers: Vec::new(),
            audiences: Vec::new(),
            types: Vec::new(),
            required: Vec::new(),
            max_age: None,
            own_lifetime: None,
            refuse_sid: false,
        }
    }
}

impl Validation {
    pub(crate) fn require_claim(&mut self, name: &str) -> Result<(), ConfigError> {
        let known = REGISTERED_CLAIMS
            .iter()
            .find(|c| **c == name)
            .ok_or_else(|| ConfigError::UnknownRequiredClaim {
                name: name.to_owned(),
                known: &REGISTERED_CLAIMS,
            })?;
        if !self.required.contains(known) {
            self.required.push(known);
        }
        Ok(())
    }

    /// Checks the header's `typ` (RFC 8725 §3.11): compared case-insensitively, `application/` optional.
    pub(crate) fn check_type(&self, typ: Option<&str>) -> Result<(), AuthErrorKind> {
        if self.types.is_empty() {
            return Ok(());
        }
        let typ = typ.ok_or(AuthErrorKind::InvalidType)?;
        if self.types.iter().any(|t| media_type_is(typ, t)) {
            Ok(())
        } else {
            Err(AuthErrorKind::InvalidType)
        }
    }

    /// The time rules: `exp` (required unless opted out), `nbf`, `iat` not in the future, `max_age`. Also run on
    /// every cache hit, since time moves on. Each error names its claim.
    pub(crate) fn check_times(
        &self,
        exp: Option<i64>,
        nbf: Option<i64>,
        iat: Option<i64>,
        now: i64,
    ) -> Result<(), AuthError> {
        use AuthErrorKind::{Expired, MissingClaim, NotYetValid};
        let leeway = self.leeway;
        match exp {
            Some(exp) if exp <= now.saturating_sub(leeway) => {
                return Err(AuthError::of_claim(Expired, "exp"))
            }
            None if self.require_exp => return Err(AuthError::of_claim(MissingClaim, "exp")),
            _ => {}
        }
        if matches!(nbf, Some(nbf) if nbf > now.saturating_add(leeway)) {
            return Err(AuthError::of_claim(NotYetValid, "nbf"));
        }
        match (iat, self.max_age) {
            (Some(iat), _) if iat > now.saturating_add(leeway) => {
                Err(AuthError::of_claim(NotYetValid, "iat"))
            }
            (Some(iat), Some(max)) if iat.saturating_add(max) <= now.saturating_sub(leeway) => {
                Err(AuthError::of_claim(Expired, "iat"))
            }
            (None, Some(_)) => Err(AuthError::of_claim(MissingClaim, "iat")),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_claims(&self, claims: &ClaimsView<'_>, now: i64) -> Result<(), AuthError> {
        use AuthErrorKind::{InvalidAudience, InvalidIssuer, MissingClaim};
        self.check_times(claims.exp, claims.nbf, claims.iat, now)?;
        // A token bound by a confirmation method no layer checks must not pass as a bearer token, nor one bound
        // both to a DPoP key and to a certificate (the two exclude each other per token).
        if claims.cnf_other || (claims.cnf_jkt.is_some() && claims.cnf_x5t.is_some()) {
            return Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "cnf"));
        }
        if !self.issuers.is_empty() {
            let iss = claims
                .iss
                .as_deref()
                .ok_or(AuthError::of_claim(MissingClaim, "iss"))?;
            if !self.issuers.iter().any(|allowed| allowed == iss) {
                return Err(AuthError::of_claim(InvalidIssuer, "iss"));
            }
        }
        if !self.audiences.is_empty() {
            let aud = claims
                .aud
                .as_ref()
                .ok_or(AuthError::of_claim(MissingClaim, "aud"))?;
            if !aud
                .0
                .iter()
                .any(|a| self.audiences.iter().any(|mine| mine == a))
            {
                return Err(AuthError::of_claim(InvalidAudience, "aud"));
            }
        }
        if self.refuse_sid && claims.sid.is_some() {
            return Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "sid"));
        }
        for name in &self.required {
            if !has_claim(claims, name) {
                return Err(AuthError::of_claim(MissingClaim, name));
            }
        }
        Ok(())
    }
}

impl Validation {
    /// The rule for the layer's own issuer's tokens: an `iat`, and a lifetime no longer than the issuer's
    /// `max_ttl`. Revocation markers ("log out everywhere", a session's end) are kept for `max_ttl` past the
    /// revocation, so a token that lived longer (minted before a restart with a longer ttl, or by another tool
    /// with the issuer's key) would outlive them.
    pub(crate) fn check_own_lifetime(
        &self,
        claims: &ClaimsView<'_>,
        issuer_key: bool,
    ) -> Result<(), AuthError> {
        let Some((own, max_ttl)) = &self.own_lifetime else {
            return Ok(());
        };
        if !issuer_key && claims.iss.as_deref() != Some(own.as_str()) {
            return Ok(());
        }
        let max_ttl = *max_ttl;
        let iat = claims
            .iat
            .ok_or(AuthError::of_claim(AuthErrorKind::MissingClaim, "iat"))?;
        match claims.exp {
            Some(exp) if exp.saturating_sub(iat) > max_ttl => {
                Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "exp"))
            }
            _ => Ok(()),
        }
    }
}

fn has_claim(c: &ClaimsView<'_>, name: &str) -> bool {
    match name {
        "exp" => c.exp.is_some(),
        "nbf" => c.nbf.is_some(),
        "iat" => c.iat.is_some(),
        "auth_time" => c.auth_time.is_some(),
        "cnf" => c.cnf_jkt.is_some() || c.cnf_x5t.is_some(),
        "acr" => c.acr.is_some(),
        "amr" => c.amr.is_some(),
        "session_exp" => c.session_exp.is_some(),
        "iss" => c.iss.is_some(),
        "aud" => c.aud.is_some(),
        "sub" => c.sub.is_some(),
        "jti" => c.jti.is_some(),
        "sid" => c.sid.is_some(),
        "scope" => c.scope.is_some(),
        _ => c.client_id.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &Validation, json: &str, now: i64) -> Result<(), AuthErrorKind> {
        let view =
            crate::token::claims_view::parse_claims(json.as_bytes(), Default::default()).unwrap();
        v.check_claims(&view, now).map_err(|error| error.kind())
    }

    #[test]
    fn exp_boundaries_follow_rfc7519_with_leeway() {
        let mut v = Validation {
            leeway: 0,
            ..Validation::default()
        };
        assert_eq!(
            check(&v, r#"{"exp":100}"#, 100),
            Err(AuthErrorKind::Expired)
        );
        assert_eq!(check(&v, r#"{"exp":101}"#, 100), Ok(()));
        v.leeway = 10;
        assert_eq!(check(&v, r#"{"exp":91}"#, 100), Ok(()));
        assert_eq!(check(&v, r#"{"exp":90}"#, 100), Err(AuthErrorKind::Expired));
        assert_eq!(
            check(&v, r#"{"exp":200,"nbf":111}"#, 100),
            Err(AuthErrorKind::NotYetValid)
        );
        assert_eq!(check(&v, r#"{"exp":200,"nbf":110}"#, 100), Ok(()));
        assert_eq!(check(&v, r#"{}"#, 100), Err(AuthErrorKind::MissingClaim));
    }

    #[test]
    fn issuer_is_exact_and_required_when_configured() {
        let v = Validation {
            issuers: vec!["https://a".into()],
            ..Validation::default()
        };
        assert_eq!(check(&v, r#"{"exp":200,"iss":"https://a"}"#, 100), Ok(()));
        for bad in ["https://A", "https://a/", "https://a.evil"] {
            let json = format!(r#"{{"exp":200,"iss":"{bad}"}}"#);
            assert_eq!(
                check(&v, &json, 100),
                Err(AuthErrorKind::InvalidIssuer),
                "{bad}"
            );
        }
        assert_eq!(
            check(&v, r#"{"exp":200}"#, 100),
            Err(AuthErrorKind::MissingClaim)
        );
    }

    #[test]
    fn typ_comparison_ignores_case_and_media_prefix() {
        let v = Validation {
            types: vec!["at+jwt".into()],
            ..Validation::default()
        };
        assert_eq!(v.check_type(Some("at+jwt")), Ok(()));
        assert_eq!(v.check_type(Some("application/AT+JWT")), Ok(()));
        assert_eq!(v.check_type(Some("JWT")), Err(AuthErrorKind::InvalidType));
        assert_eq!(v.check_type(None), Err(AuthErrorKind::InvalidType));
    }
}
