//! Step 2: the token verified now — from the cache or by a full verification — and the requirements checked.

use serde::de::DeserializeOwned;

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::config::AuthConfig;
use crate::token::cache::{CachedToken, Hit, TokenCache};
use crate::token::info::{Claims, TokenInfo};
use crate::token::verifier::Unverified;

/// How a verified token must have been sent: its DPoP binding against the request's proof (or its absence),
/// checked before the requirements, so a refusal for the binding reveals nothing of the token's scopes.
pub(crate) type Binding<'b> = &'b mut dyn FnMut(&TokenInfo) -> Result<(), AuthError>;

/// Verifies `token`, or finds it among the tokens verified before under the same keys; either way the time
/// rules, `bind` and the requirements are checked now. A token whose signature and claims verify enters the cache
/// (the binding and requirements, the request's, are checked on every use); a token refused for good (bad
/// signature, passed `exp`, wrong issuer…) is remembered as refused under the same keys. With
/// `may_wait`, a key a remote key set may bring asks to wait for one fetch instead of being refused.
///
/// The one "verify now" path: the synchronous path, the path after a key fetch and
/// [`JwtAuthLayer::verify_token`](crate::JwtAuthLayer::verify_token) all call it.
pub(crate) fn verify_now<C: DeserializeOwned + 'static, R>(
    config: &AuthConfig<C, R>,
    token: &str,
    now: i64,
    may_wait: bool,
    bind: Binding<'_>,
) -> Result<CachedToken<C>, Unverified> {
    let hit = match known(config, token.as_bytes()) {
        Known::Verified(hit) => Some(hit.token),
        Known::Refused(error) => return Err(error.into()),
        Known::Unknown => None,
    };
    verify_known(config, token, hit, now, may_wait, bind)
}

/// The cache, when the layer has one and a token of `len` bytes may enter it.
fn cache_for<C, R>(config: &AuthConfig<C, R>, len: usize) -> Option<&TokenCache<C>> {
    config
        .cache
        .as_ref()
        .filter(|_| len <= config.verifier.max_token_size)
}

/// What the cache knows of the token of these bytes under the current keys.
pub(crate) enum Known<C> {
    /// Verified before: the cached verification (the time rules, binding and requirements are still to check).
    Verified(Hit<C>),
    /// Refused for good before (counted as a cache miss: refused as a full verification would refuse it).
    Refused(AuthError),
    /// Neither: verify it.
    Unknown,
}

/// One look at the cache for the token of these bytes: its verification, else its lasting refusal, under the
/// current keys.
pub(crate) fn known<C, R>(config: &AuthConfig<C, R>, token: &[u8]) -> Known<C> {
    let Some(cache) = cache_for(config, token.len()) else {
        return Known::Unknown;
    };
    let generation = config.verifier.key_generation();
    if let Some(hit) = cache
        .get(token)
        .filter(|hit| hit.token.generation == generation)
    {
        return Known::Verified(hit);
    }
    match cache.refusal(token, generation) {
        Some(error) => {
            crate::stats::token_cache(false);
            Known::Refused(error)
        }
        None => Known::Unknown,
    }
}

/// [`verify_now`] with the cache already consulted: `hit` is what [`known`] found for `token`, which it did
/// not find refused.
pub(crate) fn verify_known<C: DeserializeOwned + 'static, R>(
    config: &AuthConfig<C, R>,
    token: &str,
    hit: Option<CachedToken<C>>,
    now: i64,
    may_wait: bool,
    bind: Binding<'_>,
) -> Result<CachedToken<C>, Unverified> {
    let cache = cache_for(config, token.len());
    if cache.is_some() {
        crate::stats::token_cache(hit.is_some());
    }
    if let Some(hit) = hit {
        if let Err(error) = recheck(config, &hit, now, bind) {
            if let (AuthErrorKind::Expired, Some(cache)) = (error.kind(), cache) {
                cache.remove(token);
            }
            return Err(error.into());
        }
        return Ok(hit);
    }
    let generation = config.verifier.key_generation();
    let verified = match config.verifier.verify::<C>(token, now, may_wait) {
        Ok(verified) => verified,
        Err(Unverified::Refused(error)) => {
            if let Some(cache) = cache {
                cache.refuse(token, &error, generation);
            }
            return Err(error.into());
        }
        Err(wait) => return Err(wait),
    };
    let entry = CachedToken {
        claims: Claims::new(verified.claims),
        info: verified.info,
        generation,
    };
    // Cached once its signature and claims are verified: the binding and the requirements are the request's, and
    // checked on every use (as on a hit), so a token sent with a bad proof, certificate or CSRF token, or without
    // the scope, again and again costs a lookup each time, not a signature check.
    if let Some(cache) = cache {
        cache.insert(token, entry.clone());
    }
    bind(&entry.info)?;
    config
        .requirements
        .check(&entry.info, Some(&entry.claims))
        .map_err(Unverified::Refused)?;
    Ok(entry)
}

/// The rules checked on every use of a token whose claims are already known — a cached verification, or a
/// remote introspection answer (feature `introspection`): the time rules, `bind`, the requirements.
pub(crate) fn recheck<C, R>(
    config: &AuthConfig<C, R>,
    known: &CachedToken<C>,
    now: i64,
    bind: Binding<'_>,
) -> Result<(), AuthError> {
    config.verifier.check_times(&known.info, now)?;
    bind(&known.info)?;
    config.requirements.check(&known.info, Some(&known.claims))
}

/// [`verify_now`] that never waits: a key only a remote key-set fetch could bring is refused as unknown (after
/// the one allowed wait, and in [`JwtAuthLayer::verify_token`](crate::JwtAuthLayer::verify_token)).
pub(crate) fn verify_without_wait<C: DeserializeOwned + 'static, R>(
    config: &AuthConfig<C, R>,
    token: &str,
    now: i64,
    bind: Binding<'_>,
) -> Result<CachedToken<C>, AuthError> {
    match verify_now(config, token, now, false, bind) {
        Ok(verified) => Ok(verified),
        Err(Unverified::Refused(error)) => Err(error),
        Err(Unverified::WaitForKeys(_)) => Err(AuthErrorKind::UnknownKey.into()),
    }
}
