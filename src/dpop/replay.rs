//! The `jti` replay cache: each proof is accepted once while its `iat` is within the window.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;

use crate::revocation::{Lookup, StoreError};

/// Entries the in-memory replay cache holds unless configured: at 1 000 proofs a second and a window of about
/// 80 seconds, about 80 000 are live at once; the bound leaves room for bursts (about 80 MiB when full).
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 20;

/// Remembers which DPoP proofs have been used, so each is accepted once (RFC 9449 §11.1).
///
/// [`MemoryReplayCache`] serves one process (the default). With several instances behind a load balancer, a
/// proof replayed to another instance must be refused too: use a shared cache —
/// [`RedisStore`](crate::RedisStore) (feature `redis`) and [`SqlStore`](crate::SqlStore) (features `postgres`,
/// `sqlite`) are ones — and give the same one to every instance's
/// [`DpopBuilder::replay_cache`](crate::dpop::DpopBuilder::replay_cache).
pub trait ReplayCache: Send + Sync + 'static {
    /// Records the proof `key` (a SHA-256 of the proof's key thumbprint and `jti`) until `until` (seconds since
    /// the epoch; `now` is the current time). `Ok(true)` the first time, `Ok(false)` for a replay. An error
    /// refuses the request with 503: a proof is never accepted when its use cannot be recorded.
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool>;
}

/// The in-process replay cache: bounded, and expired entries leave in expiry order, a few per call, so no call
/// scans the whole cache. A cache full of live entries refuses new proofs (503) rather than forget one.
///
/// Anybody can sign proofs with a key of their own, so a flood of fresh proofs can fill it (about
/// `capacity / window` proofs a second); put a rate limit in front of unauthenticated routes that check
/// proofs (a login), and size the capacity for your peak.
pub struct MemoryReplayCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    until: HashMap<[u8; 16], i64>,
    /// The same entries ordered by expiry, so the expired ones are found first.
    by_expiry: BTreeSet<(i64, [u8; 16])>,
}

impl Entries {
    /// Drops every entry expired before `now` (each entry is dropped once, so the cost is amortised).
    fn expire(&mut self, now: i64) {
        while let Some(&(until, key)) = self.by_expiry.first() {
            if until >= now {
                break;
            }
            self.by_expiry.pop_first();
            self.until.remove(&key);
        }
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("capacity", &self.capacity)
            .field("entries", &self.len())
            .finish()
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl MemoryReplayCache {
    /// A cache of at most `capacity` live proofs (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// How many proofs it remembers (live ones, and expired ones not dropped yet).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .until
            .len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayCache for MemoryReplayCache {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        let mut short = [0u8; 16];
        short.copy_from_slice(&key[..16]);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.expire(now);
        if entries.until.contains_key(&short) {
            return Lookup::Ready(Ok(false));
        }
        if entries.until.len() >= self.capacity {
            return Lookup::Ready(Err(StoreError::new("the DPoP replay cache is full")));
        }
        entries.until.insert(short, until);
        entries.by_expiry.insert((until, short));
        Lookup::Ready(Ok(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(lookup: Lookup<bool>) -> Result<bool, StoreError> {
        match lookup {
            Lookup::Ready(answer) => answer,
            Lookup::Pending(_) => unreachable!("the memory cache answers at once"),
        }
    }

    #[test]
    fn once_per_window_and_bounded() {
        let cache = MemoryReplayCache::new(2);
        assert_eq!(ready(cache.first_use(&[1; 32], 100, 160)), Ok(true));
        assert_eq!(ready(cache.first_use(&[1; 32], 150, 210)), Ok(false));
        assert_eq!(ready(cache.first_use(&[2; 32], 100, 170)), Ok(true));
        assert!(
            ready(cache.first_use(&[3; 32], 160, 220)).is_err(),
            "full of live entries"
        );
        assert_eq!(
            ready(cache.first_use(&[3; 32], 161, 220)),
            Ok(true),
            "1 expired"
        );
        assert_eq!(cache.len(), 2);
        assert_eq!(
            ready(cache.first_use(&[1; 32], 171, 230)),
            Ok(true),
            "again, after expiry"
        );
        assert_eq!(cache.len(), 2, "2 expired too");
    }
}
