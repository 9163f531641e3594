//! The `jti` replay cache: each proof is accepted once while its `iat` is within the window.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::dpop::ReplayCache;
use crate::store::{Lookup, StoreError};

/// Entries the in-memory replay cache holds unless configured: at 1 000 proofs a second and the default window
/// of 95 seconds, about 95 000 are live at once; the bound holds about 11 000 a second (about 80 MiB when
/// full). It takes resource proofs only, recorded after their access token verified.
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 20;

/// Token-endpoint proofs (a login's, a refresh's) one process keeps live at once unless configured: at the
/// default window of 95 seconds (60 s of age, 5 s of skew, a 30 s margin), about 2 700 token requests a second
/// (a million clients refreshing 15-minute tokens make about 1 100), in about 25 MiB when full. See
/// [`DpopBuilder::token_endpoint_capacity`](crate::dpop::DpopBuilder::token_endpoint_capacity).
pub const DEFAULT_TOKEN_ENDPOINT_CAPACITY: usize = 1 << 18;

/// The in-process replay cache: bounded, and expired entries leave in expiry order, a few per call, so no call
/// scans the whole cache. A cache full of live entries refuses new proofs (503) rather than forget one.
///
/// A [`Dpop`](crate::dpop::Dpop) keeps resource proofs — recorded only after the access token they come with
/// verified — apart from token-endpoint proofs, which anybody can sign with a key of their own: those are
/// recorded in a separate bounded cache of their own
/// ([`DpopBuilder::token_endpoint_capacity`](crate::dpop::DpopBuilder::token_endpoint_capacity)), so a flood
/// of them can't fill this one.
pub struct MemoryReplayCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// Who recorded a proof, for a per-holder quota (a hash of, say, a refresh token's session id).
pub(crate) type Holder = [u8; 16];

/// Why a proof was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotRecorded {
    /// Recorded before: a replay.
    Replay,
    /// The cache is full of live entries.
    Full,
    /// The holder has its quota of live entries.
    OverQuota,
}

#[derive(Default)]
struct Entries {
    /// Each live proof: until when.
    until: HashMap<[u8; 16], i64>,
    /// Who recorded the entries recorded with a holder.
    holder_of: HashMap<[u8; 16], Holder>,
    /// The same entries ordered by expiry, so the expired ones are found first.
    by_expiry: BTreeSet<(i64, [u8; 16])>,
    /// How many live entries each holder has.
    held: HashMap<Holder, usize>,
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
            if let Some(holder) = self.holder_of.remove(&key) {
                if let Some(count) = self.held.get_mut(&holder) {
                    *count -= 1;
                    if *count == 0 {
                        self.held.remove(&holder);
                    }
                }
            }
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

/// The first 16 bytes of a proof's key: what the cache keeps.
fn short(key: &[u8; 32]) -> [u8; 16] {
    let mut short = [0u8; 16];
    short.copy_from_slice(&key[..16]);
    short
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
        self.lock().until.len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `key` until `until`, counted against `holder`'s quota of `quota` live entries when given.
    pub(crate) fn record(
        &self,
        key: &[u8; 32],
        holder: Option<(Holder, usize)>,
        now: i64,
        until: i64,
    ) -> Result<(), NotRecorded> {
        let key = short(key);
        let mut entries = self.lock();
        entries.expire(now);
        if entries.until.contains_key(&key) {
            return Err(NotRecorded::Replay);
        }
        if entries.until.len() >= self.capacity {
            return Err(NotRecorded::Full);
        }
        if let Some((holder, quota)) = holder {
            let count = entries.held.entry(holder).or_default();
            if *count >= quota {
                return Err(NotRecorded::OverQuota);
            }
            *count += 1;
            entries.holder_of.insert(key, holder);
        }
        entries.until.insert(key, until);
        entries.by_expiry.insert((until, key));
        Ok(())
    }
}

impl ReplayCache for MemoryReplayCache {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        Lookup::Ready(match self.record(key, None, now, until) {
            Ok(()) => Ok(true),
            Err(NotRecorded::Replay) => Ok(false),
            Err(_) => Err(StoreError::new("the DPoP replay cache is full")),
        })
    }

    fn known_used(&self, key: &[u8; 32], now: i64) -> bool {
        self.lock()
            .until
            .get(&short(key))
            .is_some_and(|until| *until >= now)
    }
}

/// A cache behind an `Arc` is a cache: one [`DpopBuilder::replay_cache`](crate::dpop::DpopBuilder::replay_cache)
/// takes both an owned cache and one shared with the rest of the application (or chosen at run time as
/// `Arc<dyn ReplayCache>`).
impl<C: ReplayCache + ?Sized> ReplayCache for Arc<C> {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        (**self).first_use(key, now, until)
    }

    fn known_used(&self, key: &[u8; 32], now: i64) -> bool {
        (**self).known_used(key, now)
    }
}

/// The DPoP replay cache of every instance on this Redis: `SET NX` with the proof's remaining window as its
/// expiry, so a proof used at one instance is refused at all of them, and the keys expire by themselves.
#[cfg(feature = "redis")]
impl ReplayCache for crate::store::RedisStore {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        self.remember_once(key, now, until)
    }
}

/// The DPoP replay cache of every instance on this database: a proof's first use inserts its row, a replay
/// finds it (until it expires; sweeps remove the expired ones).
#[cfg(any(feature = "postgres", feature = "sqlite"))]
impl ReplayCache for crate::store::SqlStore {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        self.remember_once(key, now, until)
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
        assert!(cache.known_used(&[1; 32], 230) && !cache.known_used(&[1; 32], 231));
        assert!(!cache.known_used(&[2; 32], 171), "expired and dropped");
    }

    #[test]
    fn a_cache_behind_an_arc_is_the_same_cache() {
        let cache = Arc::new(MemoryReplayCache::new(4));
        let shared: Arc<dyn ReplayCache> = Arc::new(Arc::clone(&cache));
        assert_eq!(ready(shared.first_use(&[1; 32], 100, 160)), Ok(true));
        assert_eq!(
            ready(cache.first_use(&[1; 32], 110, 160)),
            Ok(false),
            "recorded in the one cache"
        );
        assert!(
            shared.known_used(&[1; 32], 150),
            "known_used forwarded, not the trait's default"
        );
        assert!(!shared.known_used(&[2; 32], 150));
    }

    #[test]
    fn holders_have_a_quota_that_frees_up_as_their_entries_expire() {
        let cache = MemoryReplayCache::new(10);
        let alice = Some(([1; 16], 2));
        assert_eq!(cache.record(&[1; 32], alice, 100, 150), Ok(()));
        assert_eq!(cache.record(&[2; 32], alice, 100, 160), Ok(()));
        assert_eq!(
            cache.record(&[3; 32], alice, 100, 160),
            Err(NotRecorded::OverQuota)
        );
        assert_eq!(cache.record(&[3; 32], Some(([2; 16], 2)), 100, 160), Ok(()));
        assert_eq!(cache.record(&[4; 32], None, 100, 160), Ok(()), "no quota");
        assert_eq!(
            cache.record(&[1; 32], alice, 120, 170),
            Err(NotRecorded::Replay)
        );
        assert_eq!(
            cache.record(&[5; 32], alice, 151, 200),
            Ok(()),
            "one expired"
        );
        assert_eq!(cache.len(), 4);
    }
}
