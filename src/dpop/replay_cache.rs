//! [`ReplayCache`]: the contract of a DPoP replay cache, which [`Dpop`](crate::dpop::Dpop) rules record proofs in.
//! The crate's shared stores serve as one (implemented in `dpop/replay.rs`, so the stores know nothing of DPoP).

use crate::store::Lookup;

/// Remembers which DPoP proofs have been used, so each is accepted once (RFC 9449 §11.1).
///
/// [`MemoryReplayCache`](crate::dpop::MemoryReplayCache) serves one process (the default). With several instances behind a load balancer, a
/// proof replayed to another instance must be refused too: use a shared cache —
/// [`RedisStore`](crate::RedisStore) (feature `redis`) and [`SqlStore`](crate::SqlStore) (features `postgres`,
/// `sqlite`) are ones — and give the same one to every instance's
/// [`DpopBuilder::replay_cache`](crate::dpop::DpopBuilder::replay_cache).
pub trait ReplayCache: Send + Sync + 'static {
    /// Records the proof `key` (a SHA-256 of the proof's key thumbprint and `jti`) until `until` (seconds since
    /// the epoch; `now` is the current time). `Ok(true)` the first time, `Ok(false)` for a replay. An error
    /// refuses the request with 503: a proof is never accepted when its use cannot be recorded.
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool>;

    /// Whether `key` is recorded and still live at `now`, answered at once without recording anything: asked
    /// before a proof's signature is checked, so a replayed proof costs no signature check. `false` when it is
    /// not, or when the cache can't tell without a round trip (the default: a shared cache is asked only by
    /// [`first_use`](Self::first_use), after the signature). Never a reason to accept a proof.
    fn known_used(&self, key: &[u8; 32], now: i64) -> bool {
        let _ = (key, now);
        false
    }
}
