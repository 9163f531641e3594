//! Steps 1–5 in order: decides a request now when it can, otherwise returns the wait as a future.

use std::sync::Arc;

use http::{HeaderMap, Method, Uri};
use serde::de::DeserializeOwned;

use crate::certificate::ClientCertificate;
use crate::dpop::{replay_verdict, DpopProof};
use crate::error::{AuthError, AuthErrorKind};
use crate::keys::source::KeyWait;
use crate::layer::pipeline::admission::{Admission, Outcome};
use crate::layer::pipeline::certificate::check_certificate;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::pipeline::csrf::{check_csrf, csrf_evidence, CsrfEvidence};
use crate::layer::pipeline::dpop::{bound_proof, proof_header, target};
use crate::layer::pipeline::find_token::find_token;
#[cfg(feature = "introspection")]
use crate::layer::pipeline::introspect::{self, Introspected};
use crate::layer::pipeline::reissue::plan_reissue;
use crate::layer::pipeline::revocation::check_revocation;
#[cfg(feature = "introspection")]
use crate::layer::pipeline::verify::recheck;
use crate::layer::pipeline::verify::{known, verify_known, verify_without_wait, Known};
use crate::store::Lookup;
use crate::token::cache::CachedToken;
use crate::token::info::TokenInfo;
use crate::token::verifier::Unverified;

/// Decides a request: synchronously when it can, otherwise as a future. `client_uri` is the URI the client
/// asked for (the one sliding actions and DPoP proofs name), `uri` the one the layer sees. A CORS preflight
/// passes when the layer was told to let them; refused, it warns once that the layer is probably misplaced.
/// `certificate` is the request's client certificate from the layer's source (none when it reads none).
pub(crate) fn admit<C, R>(
    config: &Arc<AuthConfig<C, R>>,
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    client_uri: &Uri,
    certificate: Option<&ClientCertificate>,
) -> Result<Outcome<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    if !is_cors_preflight(method, headers) {
        return admit_token(config, method, headers, uri, client_uri, certificate);
    }
    if config.bypass_cors_preflight {
        crate::stats::cors_preflight_bypassed();
        return Ok(Outcome::Anonymous);
    }
    let outcome = admit_token(config, method, headers, uri, client_uri, certificate);
    if outcome.is_err() {
        config.preflight_warning.refused();
    }
    outcome
}

/// Steps 1–5 for a request that is not a preflight let through: find the token, verify it, decide.
fn admit_token<C, R>(
    config: &Arc<AuthConfig<C, R>>,
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    client_uri: &Uri,
    certificate: Option<&ClientCertificate>,
) -> Result<Outcome<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let Some(found) = find_token(config, method, headers, uri)? else {
        return if config.optional {
            Ok(Outcome::Anonymous)
        } else {
            Err(AuthErrorKind::Missing.into())
        };
    };
    // One cache lookup serves the token's checks (a cached token passed them) and its verification; a token
    // refused for good before is refused again before any pass over it.
    let (cached_text, verified_before) = match known(config, found.bytes) {
        Known::Verified(hit) => (Some(hit.text), Some(hit.token)),
        Known::Refused(error) => return with_dpop_scheme(Err(error), found.dpop()),
        Known::Unknown => (None, None),
    };
    let token = found.text(cached_text.as_deref())?;
    let now = config.clock.now();
    let proof = match &config.dpop {
        Some(_) if found.dpop() => Some(proof_header(headers)?),
        Some(dpop) if dpop.required => return Err(AuthErrorKind::DpopRequired.into()),
        _ => None,
    };
    let dpop_request = proof.is_some();
    let csrf = csrf_evidence(config.csrf.as_ref(), &found, method, headers);
    let mut checked = None;
    let mut bind = |info: &TokenInfo| {
        let target = target(method, client_uri, token);
        checked = bound_proof(config.dpop.as_ref(), proof, info, &target, now)?;
        check_csrf(config.csrf.as_ref(), csrf.as_ref(), info)?;
        check_certificate(config.certificates.is_some(), certificate, info)
    };
    let ambient = found.ambient();
    let request = || Request {
        token,
        method,
        client_uri,
        proof,
        csrf: csrf.clone(),
        ambient,
        certificate: certificate.cloned(),
    };
    #[cfg(feature = "introspection")]
    if introspect::is_introspected(config, token) {
        // A provider's answer meets the rules a cached verification meets, with the same binding.
        let outcome = match introspect::introspected(config, token, now) {
            Ok(Introspected::Now(entry)) => match recheck(config, &entry, now, &mut bind) {
                Ok(()) => decide(
                    config, method, client_uri, token, entry, checked, now, ambient,
                ),
                Err(error) => Err(error),
            },
            Ok(Introspected::Later(answer)) => {
                Ok(after_introspection(Arc::clone(config), request(), answer))
            }
            Err(error) => Err(error),
        };
        return with_dpop_scheme(outcome, dpop_request);
    }
    let outcome = match verify_known(config, token, verified_before, now, true, &mut bind) {
        Ok(verified) => decide(
            config, method, client_uri, token, verified, checked, now, ambient,
        ),
        Err(Unverified::Refused(error)) => Err(error),
        Err(Unverified::WaitForKeys(wait)) => {
            Ok(after_key_fetch(Arc::clone(config), request(), wait))
        }
    };
    with_dpop_scheme(outcome, dpop_request)
}

/// The decision once the awaited key-set fetch is done: looks again without waiting a second time (still
/// unknown is a refusal), then decides as [`admit`] would have.
fn after_key_fetch<C, R>(
    config: Arc<AuthConfig<C, R>>,
    request: Request<'_>,
    wait: KeyWait,
) -> Outcome<C>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let request = request.owned();
    Outcome::Pending(Box::pin(async move {
        wait.await;
        let now = config.clock.now();
        let mut checked = None;
        let mut bind = |info: &TokenInfo| request.bind(&config, info, now, &mut checked);
        let verified = verify_without_wait(&config, &request.token, now, &mut bind)?;
        request.decide(&config, verified, checked, now).await
    }))
}

/// The decision once the provider has answered (feature `introspection`): the rules a cached verification
/// meets, with the request's binding, then as [`admit`] would have.
#[cfg(feature = "introspection")]
fn after_introspection<C, R>(
    config: Arc<AuthConfig<C, R>>,
    request: Request<'_>,
    answer: introspect::Answered<C>,
) -> Outcome<C>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let request = request.owned();
    Outcome::Pending(Box::pin(async move {
        let entry = answer.await?;
        let now = config.clock.now();
        let mut checked = None;
        let mut bind = |info: &TokenInfo| request.bind(&config, info, now, &mut checked);
        recheck(&config, &entry, now, &mut bind)?;
        request.decide(&config, entry, checked, now).await
    }))
}

/// A request whose decision waits, owned by the future that waits.
struct Waiting {
    token: String,
    method: Method,
    uri: Uri,
    proof: Option<String>,
    csrf: Option<CsrfEvidence>,
    ambient: bool,
    certificate: Option<ClientCertificate>,
}

impl Waiting {
    /// The token's binding, as step 2 checks it: the DPoP proof (kept in `checked` for step 5), the CSRF token
    /// of a cookie request, the client certificate of a certificate-bound token.
    fn bind<C, R>(
        &self,
        config: &AuthConfig<C, R>,
        info: &TokenInfo,
        now: i64,
        checked: &mut Option<DpopProof>,
    ) -> Result<(), AuthError> {
        let target = target(&self.method, &self.uri, &self.token);
        *checked = bound_proof(
            config.dpop.as_ref(),
            self.proof.as_deref(),
            info,
            &target,
            now,
        )?;
        check_csrf(config.csrf.as_ref(), self.csrf.as_ref(), info)?;
        check_certificate(
            config.certificates.is_some(),
            self.certificate.as_ref(),
            info,
        )
    }

    /// Steps 3–5 for the verified token, awaited to the end.
    async fn decide<C, R>(
        &self,
        config: &AuthConfig<C, R>,
        verified: CachedToken<C>,
        checked: Option<DpopProof>,
        now: i64,
    ) -> Result<crate::layer::pipeline::admission::ErasedAdmission, AuthError>
    where
        C: Send + Sync + 'static,
    {
        let (method, uri, token) = (&self.method, &self.uri, &self.token);
        resolve(decide(
            config,
            method,
            uri,
            token,
            verified,
            checked,
            now,
            self.ambient,
        )?)
        .await
    }
}

/// What the decision after a wait needs of the request (borrowed until the wait begins).
struct Request<'r> {
    token: &'r str,
    method: &'r Method,
    client_uri: &'r Uri,
    proof: Option<&'r str>,
    csrf: Option<CsrfEvidence>,
    /// The token came by cookie: a sliding reissue goes into the cookie only.
    ambient: bool,
    /// The request's client certificate, for a certificate-bound token.
    certificate: Option<ClientCertificate>,
}

impl Request<'_> {
    fn owned(self) -> Waiting {
        Waiting {
            token: self.token.to_owned(),
            method: self.method.clone(),
            uri: self.client_uri.clone(),
            proof: self.proof.map(str::to_owned),
            csrf: self.csrf,
            ambient: self.ambient,
            certificate: self.certificate,
        }
    }
}

/// A request sent with the DPoP scheme is answered with a DPoP challenge, whatever refused it.
#[inline]
fn with_dpop_scheme<C: Send + Sync + 'static>(
    outcome: Result<Outcome<C>, AuthError>,
    dpop_request: bool,
) -> Result<Outcome<C>, AuthError> {
    match (outcome, dpop_request) {
        (Err(error), true) => Err(error.with_dpop()),
        (Ok(Outcome::Pending(pending)), true) => Ok(Outcome::Pending(Box::pin(async move {
            pending.await.map_err(AuthError::with_dpop)
        }))),
        (outcome, _) => outcome,
    }
}

/// A CORS preflight: browsers send it without credentials, so a layer in front of `CorsLayer`'s answer must let
/// it through (as Envoy's `bypass_cors_preflight`).
fn is_cors_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// An outcome awaited to its end (inside a future that already waits).
async fn resolve<C: Send + Sync + 'static>(
    outcome: Outcome<C>,
) -> Result<crate::layer::pipeline::admission::ErasedAdmission, AuthError> {
    match outcome {
        Outcome::Admitted(admission) => Ok(admission.erase()),
        Outcome::Pending(lookup) => lookup.await,
        Outcome::Anonymous => Err(AuthErrorKind::Missing.into()),
    }
}

/// Steps 3–5 for a token verified with its binding: the reissue plan, the revocation store, and last the
/// proof's single use, so only the holder of a live token takes room in the replay cache.
#[allow(clippy::too_many_arguments)]
fn decide<C, R>(
    config: &AuthConfig<C, R>,
    method: &Method,
    uri: &Uri,
    token: &str,
    verified: CachedToken<C>,
    proof: Option<DpopProof>,
    now: i64,
    ambient: bool,
) -> Result<Outcome<C>, AuthError>
where
    C: Send + Sync + 'static,
{
    let sliding = config.sliding.as_ref();
    let admission = Admission {
        reissue: plan_reissue(sliding, method, uri, token, &verified, now, ambient),
        token: verified,
    };
    let (Some(proof), Some(dpop)) = (proof, &config.dpop) else {
        return check_revocation(config.revocation.as_ref(), admission);
    };
    // Kept for the report of a replay the revocation lookup's future refuses.
    let info = admission.token.info.clone();
    match check_revocation(config.revocation.as_ref(), admission)? {
        Outcome::Admitted(admission) => match dpop.rules.remember(&proof, now) {
            Lookup::Ready(answer) => match replay_verdict(answer) {
                Ok(()) => Ok(Outcome::Admitted(admission)),
                Err(error) => Err(dpop.report(error, &info, now)),
            },
            Lookup::Pending(answer) => {
                let dpop = dpop.clone();
                Ok(Outcome::Pending(Box::pin(async move {
                    replay_verdict(answer.await).map_err(|e| dpop.report(e, &info, now))?;
                    Ok(admission.erase())
                })))
            }
        },
        Outcome::Pending(revocation) => {
            let dpop = dpop.clone();
            Ok(Outcome::Pending(Box::pin(async move {
                let admission = revocation.await?;
                replay_verdict(dpop.rules.remember(&proof, now).resolve().await)
                    .map_err(|e| dpop.report(e, &info, now))?;
                Ok(admission)
            })))
        }
        anonymous @ Outcome::Anonymous => Ok(anonymous),
    }
}
