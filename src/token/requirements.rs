//! Scopes and claims predicates a verified token must satisfy: on the whole layer and per route.

use std::fmt;
use std::sync::Arc;

use crate::error::{AuthError, AuthErrorKind, ConfigError};
use crate::token::info::TokenInfo;
use crate::token::is_scope_token;
use crate::token::step_up::StepUpCheck;

type Predicate<C> = Arc<dyn Fn(&C) -> bool + Send + Sync>;

/// Scopes and predicates a verified token must satisfy.
pub(crate) struct Requirements<C> {
    scopes: Vec<String>,
    /// The required scopes joined by spaces, for the `scope="…"` challenge attribute.
    scope_text: Arc<str>,
    predicate: Option<Predicate<C>>,
    /// How strong and recent the user's authentication must be (RFC 9470).
    step_up: Option<Arc<StepUpCheck>>,
}

impl<C> Default for Requirements<C> {
    fn default() -> Self {
        Self {
            scopes: Vec::new(),
            scope_text: "".into(),
            predicate: None,
            step_up: None,
        }
    }
}

impl<C> Clone for Requirements<C> {
    fn clone(&self) -> Self {
        Self {
            scopes: self.scopes.clone(),
            scope_text: self.scope_text.clone(),
            predicate: self.predicate.clone(),
            step_up: self.step_up.clone(),
        }
    }
}

impl<C> fmt::Debug for Requirements<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requirements")
            .field("scopes", &self.scopes)
            .field("predicate", &self.predicate.is_some())
            .field("step_up", &self.step_up)
            .finish()
    }
}

impl<C> Requirements<C> {
    pub(crate) fn add_scopes<I, S>(&mut self, scopes: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for scope in scopes {
            let scope = scope.into();
            if !is_scope_token(&scope) {
                return Err(ConfigError::InvalidScope(scope));
            }
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        self.scope_text = self.scopes.join(" ").into();
        Ok(())
    }

    /// Adds a predicate: every one given must hold (a second one never replaces the first).
    pub(crate) fn add_predicate(&mut self, predicate: impl Fn(&C) -> bool + Send + Sync + 'static)
    where
        C: 'static,
    {
        self.predicate = Some(match self.predicate.take() {
            None => Arc::new(predicate),
            Some(earlier) => Arc::new(move |claims: &C| earlier(claims) && predicate(claims)),
        });
    }

    /// Requires the authentication `step_up` describes (replacing any earlier one).
    pub(crate) fn set_step_up(&mut self, step_up: StepUpCheck) {
        self.step_up = Some(Arc::new(step_up));
    }

    /// Whether a claims predicate was given (it can't survive a change of the claims type).
    pub(crate) fn has_predicate(&self) -> bool {
        self.predicate.is_some()
    }

    pub(crate) fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The required scopes joined by spaces (empty when none), as challenges name them.
    pub(crate) fn scope_text(&self) -> &str {
        &self.scope_text
    }

    /// 403 `insufficient_scope` unless every required scope is granted and the predicate holds, then 401
    /// `insufficient_user_authentication` unless the step-up requirement holds. Scopes and step-up need only the
    /// token's [`TokenInfo`]; a predicate without claims of type `C` to judge refuses.
    pub(crate) fn check(&self, info: &TokenInfo, claims: Option<&C>) -> Result<(), AuthError> {
        let refused = |error: AuthError| match info.dpop_thumbprint().is_some() {
            // A bound token came with a DPoP proof: the refusal is a DPoP challenge.
            true => Err(error.with_dpop()),
            false => Err(error),
        };
        if !self.scopes.iter().all(|s| info.has_scope(s)) {
            return refused(AuthError::insufficient_scope_shared(Arc::clone(
                &self.scope_text,
            )));
        }
        match (&self.predicate, claims) {
            (None, _) => {}
            (Some(predicate), Some(claims)) if predicate(claims) => {}
            _ => return refused(AuthErrorKind::InsufficientScope.into()),
        }
        match &self.step_up {
            Some(step_up) => step_up.check(info).or_else(refused),
            None => Ok(()),
        }
    }
}
