//! A layer's remote introspection: the client, the answers' cache, and what an answer becomes for the layer — an
//! active answer's members checked as a verified JWT's claims would be, or a refusal — and until when it is
//! reused.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::introspection::flight::{token_key, AnswerCache, TokenKey};
use crate::introspection::{Answer, Introspection, IntrospectionClient};
use crate::jose::json::JsonLimits;
use crate::jose::jws::{decode_segment, looks_like_jwt, CompactJws};
use crate::token::cache::CachedToken;
use crate::token::claims_view::parse_claims;
use crate::token::info::{Claims, TokenInfo};
use crate::token::validation::Validation;
use crate::token::verifier::typed_claims;

/// What the provider's answer about a token became: the token as the layer admits it, or why it is refused.
pub(crate) type Judged<C> = Result<CachedToken<C>, AuthError>;

/// A layer's remote introspection: the client, the answers' cache, and the claim rules answers meet.
pub(crate) struct LayerIntrospection<C> {
    client: IntrospectionClient,
    answers: AnswerCache<Judged<C>>,
    /// The layer's claim rules, with the provider's issuer as the one accepted when it is configured.
    validation: Validation,
    json_limits: JsonLimits,
}

impl<C> LayerIntrospection<C> {
    /// The introspection of `settings`, holding answers to the layer's `validation` and `json_limits`.
    pub(crate) fn new(
        settings: Introspection,
        validation: &Validation,
        json_limits: JsonLimits,
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
            json_limits,
        })
    }

    /// Whether `token` is asked about rather than verified: not a JWS, or a JWT of the provider's issuer when
    /// its JWTs are introspected.
    pub(crate) fn takes(&self, token: &str) -> bool {
        if !looks_like_jwt(token) {
            return true;
        }
        let settings = &self.client.settings;
        match (&settings.issuer, settings.introspect_jwts) {
            (Some(issuer), true) => {
                unverified_issuer(token, self.json_limits).as_deref() == Some(issuer)
            }
            _ => false,
        }
    }

    /// How many answers are cached.
    pub(crate) fn cached(&self) -> usize {
        self.answers.len()
    }

    /// The cached answer about `token`, if it may still be used at `now`.
    pub(crate) fn cached_answer(&self, token: &str, now: i64) -> Option<Judged<C>> {
        self.answers.get(&token_key(token), now)
    }
}

impl<C: DeserializeOwned + 'static> LayerIntrospection<C> {
    /// The answer about `token`: one call for everyone asking at the same time, then cached. `None` when the
    /// provider gave no usable answer (unreachable, timed out, an error, garbage).
    pub(crate) async fn ask(&self, token: &str, now: i64) -> Option<Judged<C>> {
        let key: TokenKey = token_key(token);
        let call = || async {
            let answer = self.client.introspect(token).await;
            crate::stats::introspection(if answer.is_ok() { "call" } else { "failure" });
            #[cfg(feature = "tracing")]
            if let Err(failure) = &answer {
                tracing::warn!(%failure, "token introspection failed");
            }
            answer.map(|answer| self.judge(answer, now))
        };
        self.answers.get_or_call(key, now, call).await.ok()
    }

    /// What an answer becomes, and until when it may be reused: an active answer's claims checked (reused until
    /// the token's `exp` at the latest), or a refusal (reused as long as the cache allows).
    fn judge(&self, answer: Answer, now: i64) -> (Judged<C>, i64) {
        let ttl_end = now.saturating_add(self.client.settings.cache_ttl.as_secs() as i64);
        let Answer::Active(members) = answer else {
            let inactive = AuthError::new(AuthErrorKind::InvalidToken)
                .with_detail("the introspection endpoint says the token is not active");
            return (Err(inactive), ttl_end);
        };
        match self.active_token(members, now) {
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

    /// An active answer's members as a verified token's claims: the RFC 7662 bookkeeping (`active`,
    /// `token_type`) left out, the provider's issuer filled in when the answer names none, then the claim rules.
    /// A `token_type` that names anything but an access token (a refresh token, say) is refused: providers
    /// answer `active` for their refresh tokens too, and one must never pass as an access token.
    fn active_token(&self, mut members: Map<String, Value>, now: i64) -> Judged<C> {
        members.remove("active");
        if let Some(token_type) = members.remove("token_type") {
            let access = token_type.as_str().is_some_and(|t| {
                ["bearer", "dpop", "access_token"]
                    .iter()
                    .any(|kind| t.eq_ignore_ascii_case(kind))
            });
            if !access {
                return Err(AuthError::of_claim(
                    AuthErrorKind::InvalidClaim,
                    "token_type",
                ));
            }
        }
        if let Some(issuer) = &self.client.settings.issuer {
            members
                .entry("iss")
                .or_insert_with(|| Value::String(issuer.clone()));
        }
        let payload = serde_json::to_vec(&members).map_err(|_| AuthErrorKind::InvalidClaim)?;
        let view = parse_claims(&payload, self.json_limits)?;
        if view.events {
            return Err(AuthError::of_claim(AuthErrorKind::InvalidClaim, "events"));
        }
        self.validation.check_claims(&view, now)?;
        let claims = typed_claims::<C>(&view, &payload)?;
        Ok(CachedToken {
            claims: Claims::new(claims),
            info: TokenInfo::from_view(&view, false),
            generation: 0,
        })
    }
}

/// The `iss` a JWT claims, before anything is verified (only to choose how to verify it).
fn unverified_issuer(token: &str, limits: JsonLimits) -> Option<String> {
    let payload = decode_segment(CompactJws::split(token).ok()?.payload).ok()?;
    let view = parse_claims(&payload, limits).ok()?;
    view.iss.map(|iss| iss.into_owned())
}
