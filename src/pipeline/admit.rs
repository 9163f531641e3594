//! Steps 1–5 in order: decides a request now when it can, otherwise returns the wait as a future.

use std::sync::Arc;

use http::{HeaderMap, Method, Uri};
use serde::de::DeserializeOwned;

use crate::error::{AuthError, AuthErrorKind};
use crate::pipeline::admission::{Admission, Outcome};
use crate::pipeline::config::AuthConfig;
use crate::pipeline::find_token::find_token;
use crate::pipeline::reissue::plan_reissue;
use crate::pipeline::revocation::check_revocation;
use crate::pipeline::verify::{verify_now, verify_without_wait};
use crate::token::cache::CachedToken;
use crate::token::verifier::Unverified;

/// Decides a request: synchronously when it can, otherwise as a future.
pub(crate) fn admit<C, R>(
    config: &Arc<AuthConfig<C, R>>,
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    action_uri: &Uri,
) -> Result<Outcome<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    if config.bypass_cors_preflight && is_cors_preflight(method, headers) {
        crate::stats::cors_preflight_bypassed();
        return Ok(Outcome::Anonymous);
    }
    let Some(token) = find_token(&config.sources, headers, uri)? else {
        return if config.optional {
            Ok(Outcome::Anonymous)
        } else {
            Err(AuthErrorKind::Missing.into())
        };
    };
    let now = config.clock.now();
    match verify_now(config, token, now, true) {
        Ok(verified) => decide(config, method, action_uri, token, verified, now),
        Err(Unverified::Refused(error)) => Err(error),
        Err(Unverified::WaitForKeys(wait)) => {
            let (config, token, method, uri) = (
                Arc::clone(config),
                token.to_owned(),
                method.clone(),
                action_uri.clone(),
            );
            Ok(Outcome::Pending(Box::pin(async move {
                wait.await;
                // Look again, without waiting a second time: still unknown is a refusal.
                let now = config.clock.now();
                let verified = verify_without_wait(&config, &token, now)?;
                match decide(&config, &method, &uri, &token, verified, now)? {
                    Outcome::Admitted(admission) => Ok(admission.erase()),
                    Outcome::Pending(lookup) => lookup.await,
                    Outcome::Anonymous => Err(AuthErrorKind::Missing.into()),
                }
            })))
        }
    }
}

/// A CORS preflight: browsers send it without credentials, so a layer in front of `CorsLayer`'s answer must let
/// it through (as Envoy's `bypass_cors_preflight`).
fn is_cors_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Steps 3–5 for a verified token: plan the reissue, consult the revocation store.
fn decide<C, R>(
    config: &AuthConfig<C, R>,
    method: &Method,
    uri: &Uri,
    token: &str,
    verified: CachedToken<C>,
    now: i64,
) -> Result<Outcome<C>, AuthError>
where
    C: Send + Sync + 'static,
{
    let admission = Admission {
        reissue: plan_reissue(config.sliding.as_ref(), method, uri, token, &verified, now),
        token: verified,
    };
    check_revocation(config.revocation.as_ref(), admission)
}
