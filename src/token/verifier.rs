//! Verification of one token: size, structure, header, key, signature, then claims. Each step refuses before
//! the next, more expensive, one runs.

use std::any::{Any, TypeId};
use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use serde::de::DeserializeOwned;

use crate::error::AuthErrorKind;
use crate::keys::{KeySet, MAX_KID_LEN};
use crate::token::claims::ClaimsView;
use crate::token::jws::{
    algorithm_from_name, decode_segment, parse_object, CompactJws, JoseHeader,
};
use crate::token::validation::Validation;
use crate::{RegisteredClaims, TokenInfo};

/// Verifies tokens against a fixed key set and validation rules.
pub(crate) struct Verifier {
    pub(crate) keys: KeySet,
    pub(crate) provider: &'static CryptoProvider,
    pub(crate) validation: Validation,
    pub(crate) max_token_size: usize,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys.iter().count())
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
/// of parsing the payload a second time.
fn typed_claims<C: DeserializeOwned + 'static>(
    view: &ClaimsView<'_>,
    payload: &[u8],
) -> Result<C, AuthErrorKind> {
    if TypeId::of::<C>() == TypeId::of::<RegisteredClaims>() {
        let registered: Box<dyn Any> = Box::new(view.to_registered());
        if let Ok(claims) = registered.downcast::<C>() {
            return Ok(*claims);
        }
    }
    serde_json::from_slice(payload).map_err(|_| AuthErrorKind::InvalidClaim)
}

impl Verifier {
    /// The time rules again, for a token verified earlier (cache hit).
    pub(crate) fn check_times(&self, info: &TokenInfo, now: i64) -> Result<(), AuthErrorKind> {
        self.validation
            .check_times(info.expires_at(), info.not_before(), info.issued_at(), now)
    }
}

impl Verifier {
    pub(crate) fn verify<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Verified<C>, AuthErrorKind> {
        if token.len() > self.max_token_size {
            return Err(AuthErrorKind::TooLarge);
        }
        let jws = CompactJws::split(token)?;
        let header_json = decode_segment(jws.header)?;
        let header: JoseHeader<'_> = parse_object(&header_json)?;
        let alg = algorithm_from_name(&header.alg).ok_or(AuthErrorKind::UnsupportedAlgorithm)?;
        if header.crit || header.zip {
            return Err(AuthErrorKind::UnsupportedHeader);
        }
        self.validation.check_type(header.typ.as_deref())?;
        let kid = header.kid.as_deref();
        if matches!(kid, Some(k) if k.len() > MAX_KID_LEN) {
            return Err(AuthErrorKind::UnknownKey);
        }
        let key = self.keys.select(kid).ok_or(AuthErrorKind::UnknownKey)?;
        if key.algorithm != alg {
            return Err(AuthErrorKind::UnsupportedAlgorithm);
        }
        let signature = decode_segment(jws.signature)?;
        let verifier = (self.provider.verifier_factory)(&alg, &key.key)
            .map_err(|_| AuthErrorKind::InvalidSignature)?;
        verifier
            .verify(jws.signing_input.as_bytes(), &signature)
            .map_err(|_| AuthErrorKind::InvalidSignature)?;

        let payload = decode_segment(jws.payload)?;
        let view: ClaimsView<'_> =
            parse_object(&payload).map_err(|_| AuthErrorKind::InvalidClaim)?;
        self.validation.check_claims(&view, now)?;
        let claims = typed_claims::<C>(&view, &payload)?;
        Ok(Verified {
            claims,
            info: TokenInfo::from_view(&view),
        })
    }
}
