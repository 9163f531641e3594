//! Step 2 for the tokens the layer does not verify itself (feature `introspection`): opaque tokens, and JWTs of
//! an issuer that must be asked, are accepted on a remote RFC 7662 endpoint's word — its cached answer now, or
//! its answer later (one call per token in flight) — and then held to the rules of a verified JWT: the claim
//! rules when the answer arrives, and on every use the time rules, the DPoP binding of its `cnf` (a `cnf` of
//! another method, an mTLS certificate's, is refused by the claim rules until the layer checks them), the
//! requirements, then steps 3–5 as for any token.

use std::sync::Arc;

use http::{Method, Uri};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::introspection::flight::{token_key, AnswerCache};
use crate::introspection::{Answer, Introspection, IntrospectionClient};
use crate::jose::json::JsonLimits;
use crate::jose::jws::{decode_segment, looks_like_jwt, CompactJws};
use crate::layer::pipeline::admission::Outcome;
use crate::layer::pipeline::admit::{decide, resolve};
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::pipeline::dpop::{bound_proof, target};
use crate::token::cache::CachedToken;
use crate::token::claims_view::parse_claims;
use crate::token::info::{Claims, TokenInfo};
use crate::token::validation::Validation;
use crate::token::verifier::typed_claims;

/// What the provider's answer about a token became: the token as the layer admits it, or why it is refused.
type Judged<C> = Result<CachedToken<C>, AuthError>;

/// A layer's remote introspection: the client, the answers' cache, and the claim rules answers meet.
pub(crate) struct LayerIntrospection<C> {
    client: IntrospectionClient,
    answers: AnswerCache<Judged<C>>,
    /// The layer's claim rules, with the provider's issuer as the one accepted when it is configured.
    validation: Validation,
}

impl<C> LayerIntrospection<C> {
    /// The introspection of `settings`, holding answers to the layer's `validation`.
    pub(crate) fn new(
        settings: Introspection,
        validation: &Validation,
    ) -> Result<Self, ConfigError> {
        let mut validation = validation.clone();
        if let Some(issuer) = &settings.issuer {
            validation.issuers = vec![issuer.clone()];
        }
        let answers = AnswerCache::new(settings.cache_capacity);
        Ok(Self {
            client: settings.start()?,
            answers,
            validation,
        })
    }

    /// Whether `token` is asked about rather than verified: not a JWS, or a JWT of the provider's issuer when
    /// its JWTs are introspected.
    pub(crate) fn takes(&self, token: &str, limits: JsonLimits) -> bool {
        if !looks_like_jwt(token) {
            return true;
        }
        let settings = &self.client.settings;
        match (&settings.issuer, settings.introspect_jwts) {
            (Some(issuer), true) => unverified_issuer(token, limits).as_deref() == Some(issuer),
            _ => false,
        }
    }

    /// How many answers are cached.
    pub(crate) fn cached(&self) -> usize {
        self.answers.len()
    }
}

/// The `iss` a JWT claims, before anything is verified (only to choose how to verify it).
fn unverified_issuer(token: &str, limits: JsonLimits) -> Option<String> {
    let payload = decode_segment(CompactJws::split(token).ok()?.payload).ok()?;
    let view = parse_claims(&payload, limits).ok()?;
    view.iss.map(|iss| iss.into_owned())
}

/// Decides a token the provider is asked about: now from a cached answer, otherwise after the call.
pub(crate) fn introspect<C, R>(
    config: &Arc<AuthConfig<C, R>>,
    token: &str,
    method: &Method,
    client_uri: &Uri,
    proof: Option<&str>,
    now: i64,
) -> Result<Outcome<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let remote = remote_of(config)?;
    if token.len() > config.verifier.max_token_size {
        return Err(AuthErrorKind::TooLarge.into());
    }
    let key = token_key(token);
    if let Some(judged) = remote.answers.get(&key, now) {
        crate::stats::introspection("hit");
        return admit_answer(config, judged, token, method, client_uri, proof, now);
    }
    let (config, token, method, uri, proof) = (
        Arc::clone(config),
        token.to_owned(),
        method.clone(),
        client_uri.clone(),
        proof.map(str::to_owned),
    );
    Ok(Outcome::Pending(Box::pin(async move {
        let remote = remote_of(&config)?;
        let call = || async {
            let answer = remote.client.introspect(&token).await;
            crate::stats::introspection(if answer.is_ok() { "call" } else { "failure" });
            #[cfg(feature = "tracing")]
            if let Err(failure) = &answer {
                tracing::warn!(%failure, "token introspection failed");
            }
            answer.map(|answer| judge(&config, remote, answer, now))
        };
        let judged = remote
            .answers
            .get_or_call(key, now, call)
            .await
            .map_err(|_| AuthError::new(AuthErrorKind::Unavailable))?;
        let now = config.clock.now();
        let outcome = admit_answer(
            &config,
            judged,
            &token,
            &method,
            &uri,
            proof.as_deref(),
            now,
        )?;
        resolve(outcome).await
    })))
}

fn remote_of<C, R>(config: &AuthConfig<C, R>) -> Result<&LayerIntrospection<C>, AuthError> {
    config
        .introspection
        .as_ref()
        .ok_or_else(|| AuthError::new(AuthErrorKind::Unavailable))
}

/// Rules checked on every use of an answer: its time claims, the binding to the request's proof, the
/// requirements; then steps 3–5.
fn admit_answer<C, R>(
    config: &AuthConfig<C, R>,
    judged: Judged<C>,
    token: &str,
    method: &Method,
    uri: &Uri,
    proof: Option<&str>,
    now: i64,
) -> Result<Outcome<C>, AuthError>
where
    C: Send + Sync + 'static,
{
    let entry = judged?;
    config.verifier.check_times(&entry.info, now)?;
    let checked = bound_proof(
        config.dpop.as_ref(),
        proof,
        &entry.info,
        &target(method, uri, token),
        now,
    )?;
    config
        .requirements
        .check(&entry.info, Some(&entry.claims))?;
    decide(config, method, uri, token, entry, checked, now)
}

/// What an answer becomes, and until when it may be reused: an active answer's claims checked as a JWT's would
/// be (reused until the token's `exp` at the latest), or a refusal (reused as long as the cache allows).
fn judge<C: DeserializeOwned + 'static, R>(
    config: &AuthConfig<C, R>,
    remote: &LayerIntrospection<C>,
    answer: Answer,
    now: i64,
) -> (Judged<C>, i64) {
    let ttl_end = now.saturating_add(remote.client.settings.cache_ttl.as_secs() as i64);
    let inactive = || {
        AuthError::new(AuthErrorKind::InvalidToken)
            .with_detail("the introspection endpoint says the token is not active")
    };
    let Answer::Active(members) = answer else {
        return (Err(inactive()), ttl_end);
    };
    match active_token(config, remote, members, now) {
        Ok(entry) => {
            let until = entry
                .info
                .expires_at()
                .map_or(ttl_end, |exp| exp.min(ttl_end));
            (Ok(entry), until)
        }
        Err(error) => (Err(error), ttl_end),
    }
}

/// An active answer's members as a verified token's claims: the RFC 7662 bookkeeping (`active`, `token_type`)
/// left out, the provider's issuer filled in when the answer names none, then the claim rules.
fn active_token<C: DeserializeOwned + 'static, R>(
    config: &AuthConfig<C, R>,
    remote: &LayerIntrospection<C>,
    mut members: Map<String, Value>,
    now: i64,
) -> Judged<C> {
    members.remove("active");
    members.remove("token_type");
    if let Some(issuer) = &remote.client.settings.issuer {
        members
            .entry("iss")
            .or_insert_with(|| Value::String(issuer.clone()));
    }
    let payload = serde_json::to_vec(&members).map_err(|_| AuthErrorKind::InvalidClaim)?;
    let view = parse_claims(&payload, config.verifier.json_limits)?;
    if view.events {
        return Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "events"));
    }
    remote.validation.check_claims(&view, now)?;
    let claims = typed_claims::<C>(&view, &payload)?;
    Ok(CachedToken {
        claims: Claims::new(claims),
        info: TokenInfo::from_view(&view, false),
        generation: 0,
    })
}
