//! Configuring [`Sessions`]: lifetimes, the grace period and the successor key.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::sessions::SessionsInner;
use super::Sessions;
use crate::audit::{AuditSink, Auditor};
use crate::error::ConfigError;
use crate::issuer::TokenIssuer;
use crate::jose::random::random_bytes;
use crate::store::SessionStore;

/// The longest session or refresh lifetime accepted: 100 years.
const LONGEST_LIFETIME: i64 = 100 * 366 * 24 * 3600;

/// The longest grace period accepted (Okta and Cognito allow 0–60 s).
pub const MAX_GRACE_PERIOD: Duration = Duration::from_secs(60);

/// Builds [`Sessions`].
pub struct SessionsBuilder {
    issuer: TokenIssuer,
    store: Arc<dyn SessionStore>,
    refresh_ttl: Duration,
    max_session: Duration,
    grace_period: Duration,
    successor_key: Option<[u8; 32]>,
    audit: Option<Arc<dyn AuditSink>>,
}

impl fmt::Debug for SessionsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsBuilder").finish_non_exhaustive()
    }
}

fn seconds(d: Duration, setting: &'static str) -> Result<i64, ConfigError> {
    i64::try_from(d.as_secs())
        .ok()
        .filter(|s| *s > 0 && *s <= LONGEST_LIFETIME)
        .ok_or(ConfigError::InvalidDuration {
            setting,
            expected: "between one second and 100 years",
        })
}

impl SessionsBuilder {
    /// Idle lifetime of a refresh token: unused this long, it expires (default 14 days).
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// Absolute session lifetime from login (default 30 days): no refresh extends a session past it.
    pub fn max_session(mut self, max: Duration) -> Self {
        self.max_session = max;
        self
    }

    /// How long after a rotation the immediately previous refresh token may be presented again and get the same
    /// successor (default 0, at most 60 s). A grace period weakens reuse detection for its duration; use it only
    /// for clients that retry lost responses.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
        self
    }

    /// The server key of refresh tokens: it derives each successor (so a retry inside the grace period gets the
    /// same one) and tags every token, so the reuse of *any* earlier generation is recognised and revokes the
    /// family. Set the same 32 random bytes on every instance that shares a store, and keep it across restarts:
    /// [`build`](Self::build) requires it for a store that is shared or persistent
    /// ([`SessionStore::is_shared_or_persistent`]: Redis, SQL). Only a process-local store (the memory store)
    /// may go without, with a random key per process.
    pub fn successor_key(mut self, key: [u8; 32]) -> Self {
        self.successor_key = Some(key);
        self
    }

    /// Sends the audit events of these sessions — and of the layers and refresh endpoints wired to them — to
    /// `sink` (see [`audit`](crate::audit)): logins, refreshes, reuse, logouts, revocations, sessions ended from
    /// the device list, sliding reissues, refused DPoP replays. `sink` is called on the request path and must
    /// not block ([`AuditSink`]; [`AuditChannel`](crate::audit::AuditChannel) is a bounded queue that never
    /// does). Without a sink the events still reach `tracing` and `metrics` when those features are on.
    pub fn audit(mut self, sink: impl AuditSink) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Checks the settings and builds the sessions.
    pub fn build(self) -> Result<Sessions, ConfigError> {
        let refresh_ttl = seconds(self.refresh_ttl, "SessionsBuilder::refresh_ttl")?;
        let max_session = seconds(self.max_session, "SessionsBuilder::max_session")?;
        if self.grace_period > MAX_GRACE_PERIOD {
            return Err(ConfigError::InvalidDuration {
                setting: "SessionsBuilder::grace_period",
                expected: "at most 60 seconds (MAX_GRACE_PERIOD)",
            });
        }
        if self.successor_key.is_none() && self.store.is_shared_or_persistent() {
            return Err(ConfigError::Missing(
                "SessionsBuilder::successor_key: a stable .successor_key(..) for a shared or persistent store \
                 (Redis, SQL): the same 32 secret bytes on every instance and across restarts, or reuse of an old \
                 refresh token goes undetected",
            ));
        }
        let clock = Arc::clone(self.issuer.clock());
        Ok(Sessions {
            inner: Arc::new(SessionsInner {
                issuer: self.issuer,
                // With the `metrics` feature every store call is timed (the revocation check is not wrapped).
                #[cfg(feature = "metrics")]
                store: Arc::new(crate::session::timed_store::Timed {
                    store: self.store,
                    record: crate::stats::store_call,
                }),
                #[cfg(not(feature = "metrics"))]
                store: self.store,
                refresh_ttl,
                max_session,
                // Whole seconds, rounded up: 500 ms of grace is one second, not none.
                grace_period: self.grace_period.as_secs() as i64
                    + i64::from(self.grace_period.subsec_nanos() > 0),
                successor_key: self.successor_key.unwrap_or_else(random_bytes::<32>),
                clock,
                audit: Auditor::new(self.audit),
            }),
        })
    }
}

impl Sessions {
    /// Starts configuring sessions that mint access tokens with `issuer` and keep state in `store` (owned, or
    /// shared as an `Arc<S>` or `Arc<dyn SessionStore>`).
    pub fn builder(issuer: TokenIssuer, store: impl SessionStore) -> SessionsBuilder {
        SessionsBuilder {
            issuer,
            store: Arc::new(store),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            max_session: Duration::from_secs(30 * 24 * 3600),
            grace_period: Duration::ZERO,
            successor_key: None,
            audit: None,
        }
    }
}
