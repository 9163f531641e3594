//! [`RedisStore`]: the session store shared by many processes (feature `redis`); its guide is on the type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::store::mirror::Mirror;
use crate::store::redis::connection::{store_error, Connection};
use crate::store::redis::keys::{Layout, Marker};
use crate::store::redis::scripts::Scripts;
use crate::store::{Lookup, SessionRecord, StoreError, StoreFuture};

/// A [`SessionStore`](crate::store::SessionStore) and [`RevocationCheck`](crate::store::RevocationCheck) on
/// Redis. Cloning shares the connection.
///
/// ```no_run
/// # async fn run() -> Result<(), tower_jwt_auth::store::StoreError> {
/// use std::time::Duration;
/// use tower_jwt_auth::RedisStore;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379")
///     .prefix("orders-api")
///     .timeout(Duration::from_millis(300))
///     .build()
///     .await?;
/// # let _ = store; Ok(()) }
/// ```
///
/// [`RedisStore`] (feature `redis`): sessions and revocations shared by every process that points at the same
/// Redis.
///
/// Every multi-key step is one Lua script whose keys share a Redis Cluster hash slot: a session's keys are all
/// tagged `{<session id>}`, a subject's keys `{u:<subject>}`, the revocation markers and their feed
/// `{<prefix>:feed}`. A session is one hash however often it is refreshed (the current and previous refresh-token
/// hashes, never the secrets), and expires when it idles out. Revocation markers are kept until the `until`
/// [`Sessions`](crate::Sessions) computed for them (the covered tokens' latest expiry plus
/// [`REVOCATION_MARGIN`](crate::store::REVOCATION_MARGIN)); a marker is only ever lengthened, and a revocation that
/// changes nothing (the same id already revoked until then or later) writes and announces nothing. Every call
/// has a timeout; an unreachable or slow Redis is a [`StoreError`] (503 from the layer and the endpoints), and
/// the connection manager reconnects by itself.
///
/// Key layout, with the default prefix `tja`:
///
/// | key | type | holds | expires |
/// |---|---|---|---|
/// | `tja:{<sid>}:s` | hash | session: `sub`, `auth_time`, `exp`, `claims`, `gen`, `cur`, `prev` (SHA-256 of the current and previous refresh secrets, hex), `rotated`, `texp`, `created` (login time), `ua` (user agent at login; both absent in sessions stored by versions before the device list) | when the refresh token idles out (≤ session end) |
/// | `tja:{u:<sub>}:ss` | sorted set | the subject's session ids scored by their end (for logout everywhere and the device list, which pages through it in (end, id) order); ended ones are pruned on every login, listing and logout-all | with its longest session |
/// | `tja:{tja:feed}:s` | sorted set | revoked session ids, scored by their `until` | with its longest marker; lapsed members are pruned by every write |
/// | `tja:{tja:feed}:j` | sorted set | revoked access-token ids (`jti`), scored by their `until` | as above |
/// | `tja:{tja:feed}:n` | sorted set | subjects logged out everywhere (`<iss>:<sub>`), scored by their `until` | as above |
/// | `tja:{tja:feed}:nb` | hash | the "logged out everywhere" time of each member of `…:n` | as above |
/// | `tja:{tja:feed}:p` | sorted set | identity providers' sessions ended by back-channel logout (`<iss>:<sid>`), scored by their `until` | as above |
/// | `tja:feed` | stream | every revocation as it is made (`k` kind `j`/`s`/`n`, `i` id or issuer, `s` subject, `nb`, `u` until), for the processes' mirrors | entries after 10 minutes by Redis's clock (`XADD … MINID ~`) |
/// | `tja:dp:<hash>` | string | a DPoP proof seen (when the store is the replay cache) | when the proof's window ends |
///
/// `<sid>`, `<sub>` and `<iss>` are base64url-encoded in key names and in `…:n` members, so no value can break a hash
/// tag. The prefix is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:` (starting with a letter or `_`);
/// [`RedisStoreBuilder::build`](super::RedisStoreBuilder::build) refuses any other, glob and hash-tag characters
/// included.
///
/// **Redis 7.0 or later** is required (`XINFO STREAM` counters, `EXPIREAT … GT`);
/// [`RedisStoreBuilder::build`](super::RedisStoreBuilder::build) refuses an older server it can reach.
///
/// **Eviction:** configure Redis with `maxmemory-policy noeviction`. Under any evicting policy a full Redis may drop
/// revocation markers (their sets have a TTL, so `volatile-*` policies pick them first), and a dropped marker
/// silently re-validates a revoked token. [`RedisStoreBuilder::build`](super::RedisStoreBuilder::build) reads the
/// policy and logs a `tracing` warning unless it is `noeviction` (seen only with a subscriber);
/// [`RedisStore::eviction_policy`] tells what it found, and
/// [`RedisStoreBuilder::require_noeviction`](super::RedisStoreBuilder::require_noeviction) makes any other policy a
/// build error. [`RedisStoreBuilder::fail_if_unreachable`](super::RedisStoreBuilder::fail_if_unreachable) does
/// the same for a Redis that does not answer at build. With `noeviction`, a full Redis refuses writes: logins,
/// refreshes and revocations answer 503.
///
/// **Clocks:** markers are kept until times the application computes, and pruned by Redis's clock; the feed is
/// trimmed by Redis's clock alone. [`RedisStoreBuilder::build`](super::RedisStoreBuilder::build) compares the
/// application's clock with Redis's `TIME`, logs a `tracing` warning when they differ by more than 5 seconds, and
/// reports the difference in [`RedisStore::clock_skew`]: a clock behind Redis's shortens every marker by the
/// difference.
///
/// **Revocation checks are local.** Every process keeps a mirror of the live revocations in memory, so the check
/// the layer makes for every request is a hash lookup with no round trip, on the synchronous path. The script
/// that records a marker appends it to the `feed` stream in the same script; each process follows the stream
/// with a blocking `XREAD` on its own connection, and before that (after every broken read, when entries after
/// its position were trimmed before it read them, and every five minutes) reads every marker from the marker
/// sets — never the rest of the keyspace — so nothing written while it was away is missed. A process sees its
/// own revocations at once, the others within a round trip (p99 0.63–0.67 ms from the start of the logout
/// call, on loopback). Until the mirror has hydrated, and while the feed has been silent for longer than
/// [`max_feed_lag`](super::RedisStoreBuilder::max_feed_lag) (5 s by default), checks fail closed with 503; the mirror
/// catches up by itself when Redis is back. It holds only live revocations (swept when their `until` passes).
///
/// Sentinel: use a `redis+sentinel://` URL if your redis crate build supports it, or point the URL at the
/// current master through your Sentinel-aware proxy.
///
/// **Cluster** ([`RedisStore::cluster`]): the hash tags above keep each script's keys in one slot, so every
/// script (and a rotation's single winner) works unchanged. The markers and the feed share a slot that is not a
/// session's, so a revocation that ends a session takes two steps there: the marker is recorded and announced
/// first, then the session deleted (a conditional revocation — refresh-token reuse, revoking a refresh token —
/// is decided by a script on the session that changes nothing, before both). A failure in between leaves the
/// session over-revoked or untouched, never ended without its marker.
#[derive(Clone)]
pub struct RedisStore {
    pub(super) connection: Connection,
    /// On one server the conditional scripts record their marker themselves; on a cluster the store does.
    pub(super) cluster: bool,
    pub(super) layout: Layout,
    pub(super) timeout: Duration,
    pub(super) scripts: Arc<Scripts>,
    pub(super) eviction_policy: Option<Arc<str>>,
    pub(super) clock_skew: Option<i64>,
    /// The local copy of the live revocations the layer checks (see
    /// [`RedisStoreBuilder::max_feed_lag`](super::RedisStoreBuilder::max_feed_lag)).
    pub(super) mirror: Arc<Mirror>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.layout.prefix())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub(super) fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RedisStore {
    /// The keys a conditional session script records its marker with: on one server the session marker set and
    /// the feed; none on a cluster, where they are in another slot (the store records the marker after).
    pub(super) fn session_marking(&self) -> Vec<String> {
        match self.cluster {
            true => Vec::new(),
            false => vec![self.layout.markers(Marker::Session), self.layout.feed()],
        }
    }

    /// Records that `id` is revoked until `until` and announces it (one script); `false` when nothing changed.
    pub(super) async fn mark(
        &self,
        kind: Marker,
        id: &str,
        until: i64,
    ) -> Result<bool, StoreError> {
        let keys = [self.layout.markers(kind), self.layout.feed()];
        let id = id.to_owned();
        let changed: i64 = self
            .run(|mut connection, scripts| async move {
                scripts
                    .mark
                    .key(&keys[0])
                    .key(&keys[1])
                    .arg(kind.code())
                    .arg(&id)
                    .arg(until.max(1))
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(changed == 1)
    }

    /// How many revocations the local mirror holds (those still live, plus the ones not yet swept); bounded by
    /// the live revocations in Redis.
    pub fn mirrored_revocations(&self) -> usize {
        self.mirror.len()
    }

    /// Runs `f` against the connection with the store's timeout.
    pub(super) async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(Connection, Arc<Scripts>) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let call = f(self.connection.clone(), Arc::clone(&self.scripts));
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(StoreError::new("Redis call timed out")),
        }
    }

    pub(super) fn boxed<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> StoreFuture<T> {
        Box::pin(call)
    }
}

pub(super) fn parse_i64(value: Option<&String>) -> Result<i64, StoreError> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::new("unexpected reply from Redis"))
}

pub(super) fn parse_u64(value: Option<&String>) -> Result<u64, StoreError> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::new("unexpected reply from Redis"))
}

pub(super) fn parse_hash(value: Option<&String>) -> Result<[u8; 32], StoreError> {
    let text = value.ok_or_else(|| StoreError::new("unexpected reply from Redis"))?;
    let mut hash = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return Err(StoreError::new("unexpected reply from Redis"));
    }
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| StoreError::new("unexpected reply from Redis"))?;
    }
    Ok(hash)
}

pub(super) fn session_from(
    session_id: &str,
    reply: &[String],
) -> Result<SessionRecord, StoreError> {
    let record = SessionRecord::new(
        session_id,
        reply.get(1).cloned().unwrap_or_default(),
        parse_i64(reply.get(2))?,
        parse_i64(reply.get(3))?,
        reply.get(4).cloned().unwrap_or_default(),
    );
    // The session's start, last rotation and user agent (see `ROTATE`).
    Ok(record
        .with_created_at(parse_i64(reply.get(8))?)
        .with_last_refresh_at(parse_i64(reply.get(9))?)
        .with_user_agent(reply.get(10).cloned()))
}

impl RedisStore {
    /// The `maxmemory-policy` Redis reported when the store was built (`None` when it could not be read).
    /// Anything but `noeviction` can evict revocation markers.
    pub fn eviction_policy(&self) -> Option<&str> {
        self.eviction_policy.as_deref()
    }

    /// How many seconds the application's clock ([`RedisStoreBuilder::clock`](super::RedisStoreBuilder::clock)) was
    /// ahead of Redis's `TIME` when the store was built (negative: behind); `None` when Redis could not be read.
    /// Beyond 5 s either way the build logged a warning.
    pub fn clock_skew(&self) -> Option<i64> {
        self.clock_skew
    }
}

impl RedisStore {
    /// Records the one-time `key` until `until` (`now` is the current time): `Ok(true)` the first time,
    /// `Ok(false)` when it is already recorded. `SET NX` with the remaining time as its expiry, so every
    /// instance on this Redis shares it and the keys expire by themselves (the DPoP replay cache uses it).
    pub(crate) fn remember_once(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        let store = self.clone();
        let key = self.layout.replay(&hex(key));
        let seconds = until.saturating_sub(now).max(1);
        Lookup::Pending(Box::pin(async move {
            store
                .run(|mut connection, _| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(1)
                        .arg("NX")
                        .arg("EX")
                        .arg(seconds)
                        .query_async::<Option<String>>(&mut connection)
                        .await
                })
                .await
                .map(|reply| reply.is_some())
        }))
    }
}
