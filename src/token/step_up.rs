//! [`StepUp`]: how strong and how recent the user's authentication must be for a route (RFC 9470), and the
//! check a per-route layer makes of it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::error::{AuthError, ConfigError};
use crate::token::info::TokenInfo;
use crate::token::is_scope_token;

/// A step-up requirement (RFC 9470): the authentication context classes (`acr`) a token may name, and/or how
/// long ago (`auth_time`) the user may have authenticated. Build a per-route layer from it with
/// [`JwtAuthLayer::require_authentication`](crate::JwtAuthLayer::require_authentication); a token that fails it
/// gets 401 `insufficient_user_authentication` naming what is asked (`acr_values="…"`, `max_age=N`), so the
/// client sends the user back to the authorization server and retries with a new token.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::authorize::StepUp;
///
/// let mfa_in_the_last_five_minutes = StepUp::new()
///     .acr_values(["urn:example:mfa"])
///     .max_age(Duration::from_secs(300));
/// # let _ = mfa_in_the_last_five_minutes;
/// ```
#[derive(Debug, Clone, Default)]
pub struct StepUp {
    acr_values: Vec<String>,
    max_age: Option<Duration>,
}

impl StepUp {
    /// No requirement yet: add [`acr_values`](Self::acr_values), [`max_age`](Self::max_age) or both.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token's `acr` must be one of these (compared exactly); a token without `acr` fails. Values are
    /// RFC 9470 `acr_values` entries, with the syntax of a scope token
    /// (non-empty, printable ASCII without spaces, quotes or backslashes).
    pub fn acr_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.acr_values.extend(values.into_iter().map(Into::into));
        self
    }

    /// The user must have authenticated at most `max_age` ago (whole seconds, by the token's `auth_time` and
    /// the layer's clock); a token without `auth_time` fails.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The check on the layer's `clock`, or why the requirement can't be checked.
    pub(crate) fn into_check(self, clock: SharedClock) -> Result<StepUpCheck, ConfigError> {
        if self.acr_values.is_empty() && self.max_age.is_none() {
            return Err(ConfigError::Missing(
                "StepUp::acr_values or StepUp::max_age (a step-up requirement that asks for nothing)",
            ));
        }
        if let Some(bad) = self.acr_values.iter().find(|v| !is_scope_token(v)) {
            return Err(ConfigError::InvalidName {
                setting: "StepUp::acr_values",
                name: bad.clone(),
            });
        }
        let max_age =
            match self.max_age {
                None => None,
                Some(age) => Some(i64::try_from(age.as_secs()).map_err(|_| {
                    ConfigError::InvalidDuration {
                        setting: "StepUp::max_age",
                        expected: "at most i64::MAX seconds",
                    }
                })?),
            };
        let acr_text = (!self.acr_values.is_empty()).then(|| self.acr_values.join(" ").into());
        Ok(StepUpCheck {
            acr_values: self.acr_values,
            acr_text,
            max_age,
            clock,
        })
    }
}

/// A [`StepUp`] checked once, on the layer's clock.
pub(crate) struct StepUpCheck {
    acr_values: Vec<String>,
    /// The values joined by spaces, as the challenge names them.
    acr_text: Option<Arc<str>>,
    max_age: Option<i64>,
    clock: SharedClock,
}

impl fmt::Debug for StepUpCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepUp")
            .field("acr_values", &self.acr_values)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl StepUpCheck {
    /// 401 `insufficient_user_authentication` (naming every parameter of the requirement) unless the token's
    /// `acr` is one of the values and its `auth_time` is recent enough.
    pub(crate) fn check(&self, info: &TokenInfo) -> Result<(), AuthError> {
        let acr_ok = self.acr_values.is_empty()
            || info
                .acr()
                .is_some_and(|acr| self.acr_values.iter().any(|v| v == acr));
        let now = self.clock.now();
        let recent = self.max_age.is_none_or(|max_age| {
            info.auth_time()
                .is_some_and(|at| now.saturating_sub(at) <= max_age)
        });
        if acr_ok && recent {
            return Ok(());
        }
        let max_age = self.max_age.map(|age| age as u64);
        Err(AuthError::insufficient_user_authentication(
            self.acr_text.clone(),
            max_age,
        ))
    }
}
