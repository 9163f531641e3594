//! Verification of one token: size, structure, header, key, signature, then claims. Each step refuses before
//! the next, more expensive, one runs.

use std::any::{Any, TypeId};
use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use serde::de::DeserializeOwned;

use crate::error::{AuthError, AuthErrorKind};
use crate::jose::json::JsonLimits;
use crate::jose::jws::{decode_segment, media_type_is, parse_object, CompactJws, JoseHeader};
use crate::keys::material::MAX_KID_LEN;
use crate::keys::source::{KeyLookup, KeyWait};
use crate::keys::trust::TrustDomains;
use crate::token::claims_view::{parse_claims, ClaimsView};
use crate::token::validation::Validation;
use crate::{RegisteredClaims, TokenInfo};

/// The `typ` of back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub(crate) const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";

/// Verifies tokens against a fixed key set and validation rules.
pub(crate) struct Verifier {
    pub(crate) domains: TrustDomains,
    pub(crate) provider: &'static CryptoProvider,
    pub(crate) validation: Validation,
    pub(crate) max_token_size: usize,
    pub(crate) json_limits: JsonLimits,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("domains", &self.domains)
            .field("max_token_size", &self.max_token_size)
            .finish_non_exhaustive()
    }
}

/// A verified token: the application's claims and the registered facts the crate itself needs.
pub(crate) struct Verified<C> {
    pub(crate) claims: C,
    pub(crate) info: TokenInfo,
}

/// The claims as `C`. For the default [`RegisteredClaims`] they are built from the view already parsed, instead
/// of parsing the payload a second time. A claims set that does not fit `C` is an invalid claim, explained by
/// serde's message (for the application's log: [`AuthError::detail`]).
pub(crate) fn typed_claims<C: DeserializeOwned + 'static>(
    view: &ClaimsView<'_>,
    payload: &[u8],
) -> Result<C, AuthError> {
    if TypeId::of::<C>() == TypeId::of::<RegisteredClaims>() {
        let registered: Box<dyn Any> = Box::new(view.to_registered());
        if let Ok(claims) = registered.downcast::<C>() {
            return Ok(*claims);
        }
    }
    serde_json::from_slice(payload)
        .map_err(|error| AuthError::from(AuthErrorKind::InvalidClaim).with_detail(error))
}

impl Verifier {
    /// The time rules again, for a token verified earlier (cache hit).
    #[inline]
    pub(crate) fn check_times(&self, info: &TokenInfo, now: i64) -> Result<(), AuthError> {
        self.validation
            .check_times(info.expires_at(), info.not_before(), info.issued_at(), now)
    }
}

/// Why a token was not verified: refused, or its key may arrive with one remote key-set fetch.
pub(crate) enum Unverified {
    Refused(AuthError),
    WaitForKeys(KeyWait),
}

impl From<AuthErrorKind> for Unverified {
    fn from(kind: AuthErrorKind) -> Self {
        Self::Refused(kind.into())
    }
}

impl From<AuthError> for Unverified {
    fn from(error: AuthError) -> Self {
        Self::Refused(error)
    }
}

impl Verifier {
    /// Verifies `token`. With `may_wait`, an unknown `kid` (or no remote keys yet) asks to wait for a fetch of a
    /// remote key set; without, it is refused. A Security Event Token (typed `logout+jwt`, or with an `events`
    /// claim: a back-channel logout token) is never an access token.
    pub(crate) fn verify<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        now: i64,
        may_wait: bool,
    ) -> Result<Verified<C>, Unverified> {
        let check_type = |typ: Option<&str>| {
            if typ.is_some_and(|typ| media_type_is(typ, LOGOUT_TOKEN_TYPE)) {
                return Err(AuthErrorKind::InvalidType);
            }
            self.validation.check_type(typ)
        };
        self.verify_signed(token, may_wait, check_type, |view, payload, own_key| {
            if view.events {
                return Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "events"));
            }
            self.validation.check_claims(view, now)?;
            self.validation.check_own_lifetime(view, own_key)?;
            let claims = typed_claims::<C>(view, payload)?;
            Ok(Verified {
                claims,
                info: TokenInfo::from_view(view, own_key),
            })
        })
    }

    /// The payload of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6 steps 2–3): its
    /// signature checked with the keys its `iss` routes to, `typ` `logout+jwt` when present. Its claims are the
    /// caller's to check.
    pub(crate) fn verify_logout_token(
        &self,
        token: &str,
        may_wait: bool,
    ) -> Result<Vec<u8>, Unverified> {
        let check_type = |typ: Option<&str>| match typ {
            Some(typ) if !media_type_is(typ, LOGOUT_TOKEN_TYPE) => Err(AuthErrorKind::InvalidType),
            _ => Ok(()),
        };
        self.verify_signed(token, may_wait, check_type, |_, payload, _| {
            Ok(payload.to_vec())
        })
    }

    /// Size, structure, header (`check_type` judges `typ`), key (routed by the unverified `iss`) and signature,
    /// then `finish` with the claims view, the payload and whether the key was the own issuer's.
    fn verify_signed<T>(
        &self,
        token: &str,
        may_wait: bool,
        check_type: impl FnOnce(Option<&str>) -> Result<(), AuthErrorKind>,
        finish: impl FnOnce(&ClaimsView<'_>, &[u8], bool) -> Result<T, AuthError>,
    ) -> Result<T, Unverified> {
        if token.len() > self.max_token_size {
            return Err(AuthErrorKind::TooLarge.into());
        }
        let jws = CompactJws::split(token)?;
        let header_json = decode_segment(jws.header)?;
        let header: JoseHeader<'_> = parse_object(&header_json)?;
        // jsonwebtoken's own (case-sensitive) names; `none` is no `Algorithm`, so it never parses.
        let alg: jsonwebtoken::Algorithm = header
            .alg
            .parse()
            .map_err(|_| AuthErrorKind::UnsupportedAlgorithm)?;
        if header.crit || header.zip {
            return Err(AuthErrorKind::UnsupportedHeader.into());
        }
        check_type(header.typ.as_deref())?;
        let kid = header.kid.as_deref();
        if matches!(kid, Some(k) if k.len() > MAX_KID_LEN) {
            return Err(AuthErrorKind::UnknownKey.into());
        }
        // The claims are read (not trusted) before the signature check so the token's `iss` can choose whose
        // keys may verify it.
        let payload = decode_segment(jws.payload)?;
        let view: ClaimsView<'_> = parse_claims(&payload, self.json_limits)?;
        let domain = self.domains.route(view.iss.as_deref());
        let candidates = match domain.lookup(kid, alg, may_wait) {
            KeyLookup::Found(candidates) => candidates,
            KeyLookup::Refused(kind) => return Err(kind.into()),
            KeyLookup::Wait(wait) => return Err(Unverified::WaitForKeys(wait)),
        };
        let signature = decode_segment(jws.signature)?;
        // Keys sharing a `kid` (a rotation overlap) are all tried.
        let key = candidates
            .iter()
            .find(|key| key.verifies(self.provider, alg, jws.signing_input.as_bytes(), &signature))
            .ok_or(AuthErrorKind::InvalidSignature)?;
        Ok(finish(&view, &payload, key.issuer_key)?)
    }

    /// The version of the trusted keys (changes when a remote key set changes).
    #[inline]
    pub(crate) fn key_generation(&self) -> u64 {
        self.domains.generation()
    }
}
