//! Step 2 for the tokens the layer does not verify itself (feature `introspection`): opaque tokens, and JWTs of
//! an issuer that must be asked, take their claims from a remote RFC 7662 endpoint's answer — cached now, or
//! after one call per token in flight — checked against the layer's claim rules when it arrives (a `cnf` of
//! another method than DPoP, an mTLS certificate's, is refused by those rules until the layer checks it). The
//! rest (time rules on every use, the DPoP binding, requirements, steps 3–5) is the admission's, as for a
//! verified JWT.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::config::AuthConfig;
use crate::token::cache::CachedToken;

/// The provider's answer on its way: the token's claims, or why it is refused.
pub(crate) type Answered<C> =
    Pin<Box<dyn Future<Output = Result<CachedToken<C>, AuthError>> + Send>>;

/// The provider's word on a token: known now (a cached answer), or after a call.
pub(crate) enum Introspected<C> {
    Now(CachedToken<C>),
    Later(Answered<C>),
}

/// Whether `config` takes `token` through its introspection endpoint.
pub(crate) fn is_introspected<C, R>(config: &AuthConfig<C, R>, token: &str) -> bool {
    config
        .introspection
        .as_ref()
        .is_some_and(|remote| remote.takes(token))
}

/// The claims of a token the provider is asked about, or why it is refused (a provider that gave no usable
/// answer: 503, never an acceptance).
pub(crate) fn introspected<C, R>(
    config: &Arc<AuthConfig<C, R>>,
    token: &str,
    now: i64,
) -> Result<Introspected<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let remote = remote_of(config)?;
    if token.len() > config.verifier.max_token_size {
        return Err(AuthErrorKind::TooLarge.into());
    }
    if let Some(judged) = remote.cached_answer(token, now) {
        crate::stats::introspection("hit");
        return judged.map(Introspected::Now);
    }
    let (config, token) = (Arc::clone(config), token.to_owned());
    Ok(Introspected::Later(Box::pin(async move {
        remote_of(&config)?
            .ask(&token, now)
            .await
            .ok_or_else(|| AuthError::new(AuthErrorKind::Unavailable))?
    })))
}

fn remote_of<C, R>(
    config: &AuthConfig<C, R>,
) -> Result<&crate::introspection::LayerIntrospection<C>, AuthError> {
    config
        .introspection
        .as_ref()
        .ok_or_else(|| AuthError::new(AuthErrorKind::Unavailable))
}
