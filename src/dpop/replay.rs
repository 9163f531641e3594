//! The `jti` replay cache: each proof is accepted once while its `iat` is within the window.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use crate::revocation::{Lookup, StoreError};

/// Entries the in-memory replay cache holds unless configured: at 1 000 proofs a second and a 70-second
/// window, about 70 000 are live at once; the bound leaves room for bursts (about 40 MiB when full).
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 20;

/// Remembers which DPoP proofs have been used, so each is accepted once (RFC 9449 §11.1).
///
/// [`MemoryReplayCache`] serves one process (the default). With several instances behind a load balancer, a
/// proof replayed to another instance must be refused too: use a shared cache —
/// [`RedisStore`](crate::RedisStore) is one (feature `redis`) — and give the same one to every instance's
/// [`DpopBuilder::replay_cache`](crate::dpop::DpopBuilder::replay_cache).
pub trait ReplayCache: Send + Sync + 'static {
    /// Records the proof `key` (a SHA-256 of the proof's key thumbprint and `jti`) until `until` (seconds since
    /// the epoch; `now` is the current time). `Ok(true)` the first time, `Ok(false)` for a replay. An error
    /// refuses the request with 503: a proof is never accepted when its use cannot be recorded.
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool>;
}

/// The in-process replay cache: bounded, swept of expired entries when full; a cache full of live entries
/// refuses new proofs (503) rather than forget one.
pub struct MemoryReplayCache {
    capacity: usize,
    entries: Mutex<HashMap<[u8; 16], i64>>,
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
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How many proofs it remembers (live ones, and expired ones not swept yet).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
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
        if let Some(expiry) = entries.get(&short) {
            if *expiry >= now {
                return Lookup::Ready(Ok(false));
            }
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, expiry| *expiry >= now);
            if entries.len() >= self.capacity {
                return Lookup::Ready(Err(StoreError::new("the DPoP replay cache is full")));
            }
        }
        entries.insert(short, until);
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
        assert_eq!(ready(cache.first_use(&[2; 32], 100, 160)), Ok(true));
        assert!(
            ready(cache.first_use(&[3; 32], 100, 160)).is_err(),
            "full of live entries"
        );
        assert_eq!(
            ready(cache.first_use(&[3; 32], 200, 260)),
            Ok(true),
            "expired swept"
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(
            ready(cache.first_use(&[1; 32], 200, 260)),
            Ok(true),
            "expired entry reused"
        );
    }
}
