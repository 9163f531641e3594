//! The local revocation mirror of a shared store (Redis, SQL): every process keeps the live revocations in
//! memory, fed by the store's revocation feed, so the per-request check makes no round trip. The feed itself is
//! the store's (a Redis Stream, a SQL log table); this is what they share: the revocations, and whether the
//! feed answered recently enough to trust them — until the first hydration, and when the feed has been silent
//! longer than the store's `max_feed_lag`, checks fail with a [`StoreError`] (503), never an accepted token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::store::revocations::Revocations;
use crate::store::StoreError;
use crate::token::info::TokenInfo;

/// How long the revocation feed may be silent before checks fail closed, unless configured.
pub const DEFAULT_MAX_FEED_LAG: Duration = Duration::from_secs(5);

/// The mirror: the revocations, and when the feed last answered.
pub(crate) struct Mirror {
    revocations: RwLock<Revocations>,
    started: Instant,
    /// Milliseconds after `started` of the last successful read; 0 until the first hydration.
    fresh_at: AtomicU64,
    max_lag: Duration,
    /// The shared store it mirrors, for error messages ("the Redis revocation feed").
    what: &'static str,
}

impl Mirror {
    /// An empty mirror that fails closed until its first hydration; `what` names the shared store in errors.
    pub(crate) fn new(max_lag: Duration, what: &'static str) -> Arc<Self> {
        Arc::new(Self {
            what,
            revocations: RwLock::new(Revocations::default()),
            started: Instant::now(),
            fresh_at: AtomicU64::new(0),
            max_lag,
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, Revocations> {
        self.revocations.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Revocations> {
        self.revocations.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The feed answered: the mirror is in sync as of now.
    #[cfg(feature = "redis")]
    pub(crate) fn mark_fresh(&self) {
        self.mark_fresh_as_of(Instant::now());
    }

    /// The feed answered a read that started at `at`: the mirror is in sync as of then (never moves back).
    pub(crate) fn mark_fresh_as_of(&self, at: Instant) {
        let elapsed = at.saturating_duration_since(self.started).as_millis() as u64;
        self.fresh_at.fetch_max(elapsed.max(1), Ordering::SeqCst);
    }

    /// Whether the mirror has hydrated and the feed answered within the allowed lag.
    pub(crate) fn is_fresh(&self) -> bool {
        let at = self.fresh_at.load(Ordering::SeqCst);
        at != 0
            && self
                .started
                .elapsed()
                .saturating_sub(Duration::from_millis(at))
                <= self.max_lag
    }

    /// The check the layer makes for every token: local, with no round trip.
    pub(crate) fn is_revoked(&self, token: &TokenInfo) -> Result<bool, StoreError> {
        if !self.is_fresh() {
            return Err(StoreError::new(format!(
                "the {} is not in sync (starting, or the store unreachable)",
                self.what
            )));
        }
        Ok(self.read().is_revoked(token))
    }

    /// How many revocations the mirror holds.
    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }
}
