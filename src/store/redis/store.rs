//! [`RedisStore`]: the session store shared by many processes (feature `redis`); its guide is on the type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::Script;

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::store::mirror::{Mirror, DEFAULT_MAX_FEED_LAG};
use crate::store::redis::connection::{open, Connection, Target};
use crate::store::redis::feed::{follow, FEED_RETENTION};
use crate::store::redis::keys::{subject_member, Layout, Marker};
use crate::store::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::TokenInfo;

/// The Lua every marking script starts with (after `local RETENTION = <seconds the feed keeps>`).
///
/// Markers are members of one sorted set per kind (id → until), in the feed's hash slot, so one script records a
/// marker and announces it. Redis's own clock (`TIME`) trims the feed and prunes lapsed markers: the feed's entry
/// ids are Redis's milliseconds, so trimming by the application's clock would drop fresh entries whenever that
/// clock runs ahead. A revocation that changes nothing (already revoked until then or later) writes and
/// announces nothing.
const MARKING: &str = r"
-- (`until` is a Lua keyword: the scripts call it `keep`.)
local function redis_now()
  return tonumber(redis.call('TIME')[1])
end
local function announce(feed, now, ...)
  redis.call('XADD', feed, 'MINID', '~', (now - RETENTION) .. '000', '*', ...)
end
local function prune(set, now, values)
  local lapsed = redis.call('ZRANGE', set, '-inf', now, 'BYSCORE', 'LIMIT', 0, 256)
  if #lapsed > 0 then
    redis.call('ZREM', set, unpack(lapsed))
    if values then redis.call('HDEL', values, unpack(lapsed)) end
  end
end
local function keep_until(key, keep, now)
  if tonumber(keep) > now then
    redis.call('EXPIREAT', key, keep, 'NX')
    redis.call('EXPIREAT', key, keep, 'GT')
  end
end
local function mark(set, feed, kind, id, keep)
  local now = redis_now()
  prune(set, now)
  local old = redis.call('ZSCORE', set, id)
  if old and tonumber(old) >= tonumber(keep) then return 0 end
  redis.call('ZADD', set, keep, id)
  keep_until(set, keep, now)
  announce(feed, now, 'k', kind, 'i', id, 'u', keep)
  return 1
end
";

/// KEYS: the kind's marker set, feed. ARGV: kind, id, until. 1 when recorded and announced, 0 when nothing
/// changed.
const MARK: &str = "return mark(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])";

/// KEYS: subject marker set, not-before hash, feed. ARGV: member, not before, until, issuer, subject.
/// Keeps the later not-before and the later until; 0 (and nothing written) when neither is later.
const MARK_SUBJECT: &str = r"
local set, values, feed, member = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local not_before, keep = ARGV[2], ARGV[3]
local now = redis_now()
prune(set, now, values)
local old_nb = redis.call('HGET', values, member)
local old_until = redis.call('ZSCORE', set, member)
local later_nb = not old_nb or tonumber(old_nb) < tonumber(not_before)
local later_until = not old_until or tonumber(old_until) < tonumber(keep)
if not (later_nb or later_until) then return 0 end
if later_nb then redis.call('HSET', values, member, not_before) else not_before = old_nb end
if later_until then redis.call('ZADD', set, keep, member) else keep = old_until end
keep_until(set, keep, now)
keep_until(values, keep, now)
announce(feed, now, 'k', 'n', 'i', ARGV[4], 's', ARGV[5], 'nb', not_before, 'u', keep)
return 1
";

/// KEYS: session. ARGV: sub, auth_time, exp, claims, generation, hash, token expiry.
const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'auth_time', ARGV[2], 'exp', ARGV[3], 'claims', ARGV[4],
  'gen', ARGV[5], 'cur', ARGV[6], 'texp', ARGV[7], 'rotated', '0')
redis.call('EXPIREAT', KEYS[1], ARGV[7])
return 1
";

/// KEYS: session, then on one server the session marker set and the feed: there the script ends a reused family
/// and records its marker itself. On a cluster they are in another slot: the script only reports the reuse, and
/// the store records the marker, then ends the session (see [`RedisStore::end_session`]).
/// ARGV: generation, presented hash, now, grace, successor hash, successor exp, revoke until, session id.
const ROTATE: &str = r"
local s = redis.call('HMGET', KEYS[1], 'sub', 'auth_time', 'exp', 'claims', 'gen', 'cur', 'prev', 'rotated', 'texp')
if not s[1] then return {'invalid'} end
local now = tonumber(ARGV[3])
local session_end = tonumber(s[3])
if now >= session_end then return {'invalid'} end
local current = tonumber(s[5])
local presented = tonumber(ARGV[1])
if ARGV[1] == s[5] and ARGV[2] == s[6] then
  if now >= tonumber(s[9]) then return {'invalid'} end
  local texp = math.min(tonumber(ARGV[6]), session_end)
  local next_gen = tostring(current + 1)
  redis.call('HSET', KEYS[1], 'gen', next_gen, 'cur', ARGV[5], 'prev', ARGV[2], 'rotated', ARGV[3], 'texp', texp)
  redis.call('EXPIREAT', KEYS[1], texp)
  return {'rotated', s[1], s[2], s[3], s[4], next_gen, tostring(texp)}
end
if presented + 1 == current and s[7] and ARGV[2] == s[7] then
  if now < tonumber(s[8]) + tonumber(ARGV[4]) then
    return {'retried', s[1], s[2], s[3], s[4], s[5], s[9], s[6]}
  end
  if KEYS[2] then
    redis.call('DEL', KEYS[1])
    mark(KEYS[2], KEYS[3], 's', ARGV[8], ARGV[7])
  end
  return {'reused', s[1]}
end
if presented < current then return {'outdated'} end
return {'invalid'}
";

/// KEYS: session, then on one server the session marker set and the feed (as for [`ROTATE`]: on a cluster the
/// script only reports that the token is the session's).
/// ARGV: generation, presented hash, until, session id.
const REVOKE_REFRESH: &str = r"
local s = redis.call('HMGET', KEYS[1], 'gen', 'cur', 'prev')
if not s[1] then return 0 end
local current = ARGV[1] == s[1] and ARGV[2] == s[2]
local previous = tonumber(ARGV[1]) + 1 == tonumber(s[1]) and s[3] and ARGV[2] == s[3]
if not (current or previous) then return 0 end
if KEYS[2] then
  redis.call('DEL', KEYS[1])
  mark(KEYS[2], KEYS[3], 's', ARGV[4], ARGV[3])
end
return 1
";

/// KEYS: subject session index. ARGV: now. Prunes ended sessions and returns the subject's sessions.
const SUBJECT_SESSIONS: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
";

/// KEYS: subject session index. ARGV: session id, session end, now.
/// Indexes a session (scored by its end) and prunes ended ones; the index lives as long as its longest session.
const INDEX_SESSION: &str = r"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'NX')
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'GT')
return 1
";

/// How many times logout-all reads the session index again for logins that raced it.
const SUBJECT_PASSES: usize = 8;

/// How far the application's clock and Redis's may differ before the build warns.
const MAX_CLOCK_SKEW: i64 = 5;

/// The default time limit of one store call.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);

struct Scripts {
    create: Script,
    index_session: Script,
    rotate: Script,
    revoke_refresh: Script,
    mark: Script,
    mark_subject: Script,
    subject_sessions: Script,
}

/// A script that records markers: [`MARKING`] and the feed's retention, then `body`.
fn marking(body: &str) -> Script {
    Script::new(&format!(
        "local RETENTION = {}\n{MARKING}{body}",
        FEED_RETENTION.as_secs()
    ))
}

/// A [`SessionStore`] and [`RevocationCheck`] on Redis. Cloning shares the connection.
///
/// ```no_run
/// # async fn run() -> Result<(), tower_jwt_auth::StoreError> {
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
/// [`REVOCATION_MARGIN`](crate::REVOCATION_MARGIN)); a marker is only ever lengthened, and a revocation that
/// changes nothing (the same id already revoked until then or later) writes and announces nothing. Every call
/// has a timeout; an unreachable or slow Redis is a [`StoreError`] (503 from the layer and the endpoints), and
/// the connection manager reconnects by itself.
///
/// Key layout, with the default prefix `tja`:
///
/// | key | type | holds | expires |
/// |---|---|---|---|
/// | `tja:{<sid>}:s` | hash | session: `sub`, `auth_time`, `exp`, `claims`, `gen`, `cur`, `prev` (SHA-256 of the current and previous refresh secrets, hex), `rotated`, `texp` | when the refresh token idles out (≤ session end) |
/// | `tja:{u:<sub>}:ss` | sorted set | the subject's session ids scored by their end (for logout everywhere); ended ones are pruned on every login and logout-all | with its longest session |
/// | `tja:{tja:feed}:s` | sorted set | revoked session ids, scored by their `until` | with its longest marker; lapsed members are pruned by every write |
/// | `tja:{tja:feed}:j` | sorted set | revoked access-token ids (`jti`), scored by their `until` | as above |
/// | `tja:{tja:feed}:n` | sorted set | subjects logged out everywhere (`<iss>:<sub>`), scored by their `until` | as above |
/// | `tja:{tja:feed}:nb` | hash | the "logged out everywhere" time of each member of `…:n` | as above |
/// | `tja:feed` | stream | every revocation as it is made (`k` kind `j`/`s`/`n`, `i` id or issuer, `s` subject, `nb`, `u` until), for the processes' mirrors | entries after 10 minutes by Redis's clock (`XADD … MINID ~`) |
/// | `tja:dp:<hash>` | string | a DPoP proof seen (when the store is the replay cache) | when the proof's window ends |
///
/// `<sid>`, `<sub>` and `<iss>` are base64url-encoded in key names and in `…:n` members, so no value can break a
/// hash tag. The prefix is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:` (starting with a letter or `_`);
/// [`RedisStoreBuilder::build`] refuses any other, glob and hash-tag characters included.
///
/// **Redis 7.0 or later** is required (`XINFO STREAM` counters, `EXPIREAT … GT`); [`RedisStoreBuilder::build`]
/// refuses an older server it can reach.
///
/// **Eviction:** configure Redis with `maxmemory-policy noeviction`. Under any evicting policy a full Redis
/// may drop revocation markers (their sets have a TTL, so `volatile-*` policies pick them first), and a
/// dropped marker silently re-validates a revoked token. [`RedisStoreBuilder::build`] reads the policy and
/// logs a `tracing` warning unless it is `noeviction`; [`RedisStore::eviction_policy`] tells what it found.
/// With `noeviction`, a full Redis refuses writes: logins, refreshes and revocations answer 503.
///
/// **Clocks:** markers are kept until times the application computes, and pruned by Redis's clock; the feed is
/// trimmed by Redis's clock alone. [`RedisStoreBuilder::build`] compares the application's clock with Redis's
/// `TIME`, logs a `tracing` warning when they differ by more than 5 seconds, and reports the difference in
/// [`RedisStore::clock_skew`]: a clock behind Redis's shortens every marker by the difference.
///
/// **Revocation checks are local.** Every process keeps a mirror of the live revocations in memory, so the check
/// the layer makes for every request is a hash lookup with no round trip, on the synchronous path. The script
/// that records a marker appends it to the `feed` stream in the same script; each process follows the stream
/// with a blocking `XREAD` on its own connection, and before that (after every broken read, when entries after
/// its position were trimmed before it read them, and every five minutes) reads every marker from the marker
/// sets — never the rest of the keyspace — so nothing written while it was away is missed. A process sees its
/// own revocations at once, the others within a round trip (p99 0.63–0.67 ms from the start of the logout
/// call, on loopback). Until the mirror has hydrated, and while the feed has been silent for longer than
/// [`max_feed_lag`](RedisStoreBuilder::max_feed_lag) (5 s by default), checks fail closed with 503; the mirror
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
    connection: Connection,
    /// On one server the conditional scripts record their marker themselves; on a cluster the store does.
    cluster: bool,
    layout: Layout,
    timeout: Duration,
    scripts: Arc<Scripts>,
    eviction_policy: Option<Arc<str>>,
    clock_skew: Option<i64>,
    /// The local copy of the live revocations the layer checks (see [`RedisStoreBuilder::max_feed_lag`]).
    mirror: Arc<Mirror>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.layout.prefix())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisStore`].
#[derive(Clone)]
pub struct RedisStoreBuilder {
    target: Target,
    prefix: String,
    timeout: Duration,
    max_feed_lag: Duration,
    clock: SharedClock,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("target", &self.target)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("max_feed_lag", &self.max_feed_lag)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// Prefix of every key (default `tja`), so several applications can share one Redis: 1 to 64 ASCII
    /// letters, digits, `_`, `-`, `.` or `:`, starting with a letter or `_` ([`build`](Self::build) refuses
    /// anything else).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Time limit of every store call, connecting included (default 500 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the revocation feed may be silent before revocation checks fail closed (default
    /// [`DEFAULT_MAX_FEED_LAG`], 5 s; at least 2 s, since an idle feed answers once a second). Revocation checks
    /// read a local mirror of Redis's revocations, fed by a Redis Stream: while the feed is broken for longer than
    /// this, the layer answers 503 rather than accept a token it could not check; when Redis is back the mirror
    /// catches up by itself, revocations made meanwhile included.
    pub fn max_feed_lag(mut self, lag: Duration) -> Self {
        self.max_feed_lag = lag.max(Duration::from_secs(2));
        self
    }

    /// The application's clock: the system clock unless set; give the store your
    /// [`TokenIssuer`](crate::TokenIssuer)'s clock when that is another. [`build`](Self::build) compares it with
    /// Redis's `TIME` (see [`RedisStore::clock_skew`]), and the mirror forgets lapsed revocations by it. The
    /// feed is trimmed, and lapsed markers pruned in Redis, by Redis's own clock whatever this one says.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Creates the store, checks that Redis is 7.0 or later (an error otherwise), reads its
    /// `maxmemory-policy` and compares its clock with the application's (waiting at most the store's timeout for
    /// each; a `tracing` warning unless the policy is `noeviction`, or when the clocks differ by more than 5 s;
    /// see the type's docs). The connection is lazy: while Redis is unreachable the store's calls fail (503)
    /// until it comes back. Errors for an invalid URL or prefix. Call it inside a tokio runtime.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let layout = Layout::new(&self.prefix)?;
        let (connection, client) = open(&self.target, self.timeout)
            .map_err(|e| StoreError::new(format!("invalid Redis URL: {}", e.kind_str())))?;
        let cluster = client.is_cluster();
        let mirror = Mirror::new(self.max_feed_lag, "Redis revocation feed");
        tokio::spawn(follow(
            Arc::downgrade(&mirror),
            client,
            layout.clone(),
            self.timeout,
            Arc::clone(&self.clock),
        ));
        let mut store = RedisStore {
            connection,
            cluster,
            layout,
            mirror,
            timeout: self.timeout,
            scripts: Arc::new(Scripts {
                create: Script::new(CREATE),
                index_session: Script::new(INDEX_SESSION),
                rotate: marking(ROTATE),
                revoke_refresh: marking(REVOKE_REFRESH),
                mark: marking(MARK),
                mark_subject: marking(MARK_SUBJECT),
                subject_sessions: Script::new(SUBJECT_SESSIONS),
            }),
            eviction_policy: None,
            clock_skew: None,
        };
        if store
            .read_major_version()
            .await
            .is_some_and(|major| major < 7)
        {
            return Err(StoreError::new("RedisStore needs Redis 7.0 or later"));
        }
        store.eviction_policy = store.read_eviction_policy().await;
        store.clock_skew = store.read_clock_skew(&*self.clock).await;
        // The mirror hydrates before the first check can pass; wait a little for it (checks fail closed until
        // then, as while Redis is unreachable).
        let deadline = tokio::time::Instant::now() + self.timeout + Duration::from_secs(1);
        while !store.mirror.is_fresh() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        match store.eviction_policy.as_deref() {
            Some("noeviction") => {}
            Some(policy) => tracing::warn!(
                policy,
                "Redis maxmemory-policy is not noeviction: a full Redis may evict revocation markers and \
                 re-validate revoked tokens; set maxmemory-policy noeviction"
            ),
            None => tracing::warn!(
                "could not read Redis maxmemory-policy (Redis unreachable, or CONFIG disabled); make sure it is \
                 noeviction, or evicted revocation markers re-validate revoked tokens"
            ),
        }
        if let Some(skew) = store.clock_skew.filter(|s| s.abs() > MAX_CLOCK_SKEW) {
            tracing::warn!(
                skew_seconds = skew,
                "the application's clock differs from Redis's TIME by more than {MAX_CLOCK_SKEW} s: revocation \
                 markers are pruned by Redis's clock, so one behind it shortens every revocation by the \
                 difference; synchronise both clocks (NTP)"
            );
        }
        Ok(store)
    }
}

/// Short, value-free description of a Redis error (never a key or a value).
trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for redis::RedisError {
    fn kind_str(&self) -> String {
        format!("{:?}", self.kind())
    }
}

fn store_error(e: redis::RedisError) -> StoreError {
    StoreError::new(format!("Redis {}", e.kind_str()))
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RedisStore {
    /// Starts configuring a store for `url` (`redis://host:port/db`, `rediss://…` for TLS if your build of the
    /// redis crate has it).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        Self::builder_for(Target::Single(url.into()))
    }

    /// Starts configuring a store on a Redis Cluster, given some of its nodes (`redis://host:port` each; the
    /// others are discovered). Every multi-key script stays within one hash slot; see the key layout above.
    pub fn cluster<I, S>(nodes: I) -> RedisStoreBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::builder_for(Target::Cluster(nodes.into_iter().map(Into::into).collect()))
    }

    fn builder_for(target: Target) -> RedisStoreBuilder {
        RedisStoreBuilder {
            target,
            prefix: "tja".into(),
            timeout: DEFAULT_REDIS_TIMEOUT,
            max_feed_lag: DEFAULT_MAX_FEED_LAG,
            clock: Arc::new(SystemClock),
        }
    }

    /// The keys a conditional session script records its marker with: on one server the session marker set and
    /// the feed; none on a cluster, where they are in another slot (the store records the marker after).
    fn session_marking(&self) -> Vec<String> {
        match self.cluster {
            true => Vec::new(),
            false => vec![self.layout.markers(Marker::Session), self.layout.feed()],
        }
    }

    /// Records that `id` is revoked until `until` and announces it (one script); `false` when nothing changed.
    async fn mark(&self, kind: Marker, id: &str, until: i64) -> Result<bool, StoreError> {
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
    async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
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

    fn boxed<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> StoreFuture<T> {
        Box::pin(call)
    }
}

fn parse_i64(value: Option<&String>) -> Result<i64, StoreError> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::new("unexpected reply from Redis"))
}

fn parse_u64(value: Option<&String>) -> Result<u64, StoreError> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::new("unexpected reply from Redis"))
}

fn parse_hash(value: Option<&String>) -> Result<[u8; 32], StoreError> {
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

fn session_from(session_id: &str, reply: &[String]) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        session_id: session_id.to_owned(),
        subject: reply.get(1).cloned().unwrap_or_default(),
        auth_time: parse_i64(reply.get(2))?,
        expires_at: parse_i64(reply.get(3))?,
        claims: reply.get(4).cloned().unwrap_or_default(),
    })
}

impl RedisStore {
    /// The `maxmemory-policy` Redis reported when the store was built (`None` when it could not be read).
    /// Anything but `noeviction` can evict revocation markers.
    pub fn eviction_policy(&self) -> Option<&str> {
        self.eviction_policy.as_deref()
    }

    /// How many seconds the application's clock ([`RedisStoreBuilder::clock`]) was ahead of Redis's `TIME` when
    /// the store was built (negative: behind); `None` when Redis could not be read. Beyond 5 s either way the
    /// build logged a warning.
    pub fn clock_skew(&self) -> Option<i64> {
        self.clock_skew
    }

    /// The server's major version (`INFO server`), when Redis answers.
    async fn read_major_version(&self) -> Option<u32> {
        let info: String = self
            .run(|mut connection, _| async move {
                redis::cmd("INFO")
                    .arg("server")
                    .query_async(&mut connection)
                    .await
            })
            .await
            .ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("redis_version:"))
            .and_then(|version| version.trim().split('.').next()?.parse().ok())
    }

    async fn read_eviction_policy(&self) -> Option<Arc<str>> {
        let reply: Vec<String> = self
            .run(|mut connection, _| async move {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("maxmemory-policy")
                    .query_async(&mut connection)
                    .await
            })
            .await
            .ok()?;
        reply.get(1).map(|policy| Arc::from(policy.as_str()))
    }

    /// `clock` minus Redis's `TIME`, in whole seconds, when Redis answers.
    async fn read_clock_skew(&self, clock: &dyn Clock) -> Option<i64> {
        let (seconds, _micros): (i64, i64) = self
            .run(|mut connection, _| async move {
                redis::cmd("TIME").query_async(&mut connection).await
            })
            .await
            .ok()?;
        Some(clock.now() - seconds)
    }

    fn revoke_session_now(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let session_key = self.layout.session(session_id);
        let session_id = session_id.to_owned();
        self.boxed(async move {
            // The marker (and its announcement) first: if ending the session then fails, it is over-revoked,
            // never under-revoked. A session already revoked until then or later writes nothing.
            store.mark(Marker::Session, &session_id, until).await?;
            store.mirror.write().revoke_session(&session_id, until);
            store
                .run(|mut connection, _| async move {
                    redis::cmd("DEL")
                        .arg(&session_key)
                        .query_async::<i64>(&mut connection)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    /// Ends a session a conditional script (reuse, revoking a refresh token) found to end. On one server the
    /// script ended it and recorded its marker: only the local mirror is left. On a cluster the script changed
    /// nothing, and the session is revoked now, marker first: a failure in between leaves it over-revoked or
    /// untouched (the request undone), never ended without its marker.
    async fn end_session(&self, session_id: &str, until: i64) -> Result<(), StoreError> {
        if self.cluster {
            return self.revoke_session_now(session_id, until).await;
        }
        self.mirror.write().revoke_session(session_id, until);
        Ok(())
    }
}

/// An invocation of a session script with the session's key, then the keys it records a marker with (if any).
fn session_invocation<'a>(
    script: &'a Script,
    session_key: &String,
    marking: &[String],
) -> redis::ScriptInvocation<'a> {
    let mut invocation = script.prepare_invoke();
    invocation.key(session_key);
    for key in marking {
        invocation.key(key);
    }
    invocation
}

/// Answered from the local mirror: no round trip, on the layer's synchronous path. Fails closed (a
/// [`StoreError`], 503 from the layer) until the mirror has hydrated, and while the feed is silent for longer than
/// [`RedisStoreBuilder::max_feed_lag`].
impl RevocationCheck for RedisStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(self.mirror.is_revoked(token))
    }
}

/// The DPoP replay cache of every instance on this Redis: `SET NX` with the proof's remaining window as its
/// expiry, so a proof used at one instance is refused at all of them, and the keys expire by themselves.
impl crate::store::ReplayCache for RedisStore {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
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

impl SessionStore for RedisStore {
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        let store = self.clone();
        let NewSession { session, refresh } = new;
        let session_key = self.layout.session(&session.session_id);
        let index_key = self.layout.subject_sessions(&session.subject);
        let now = session.auth_time;
        self.boxed(async move {
            store
                .run(|mut connection, scripts| async move {
                    scripts
                        .create
                        .key(&session_key)
                        .arg(&session.subject)
                        .arg(session.auth_time)
                        .arg(session.expires_at)
                        .arg(&session.claims)
                        .arg(refresh.generation)
                        .arg(hex(&refresh.secret_hash))
                        .arg(refresh.expires_at.min(session.expires_at).max(1))
                        .invoke_async::<i64>(&mut connection)
                        .await?;
                    // The subject's session index, for "log out everywhere"; it lives as long as its longest
                    // session. Written after the session, so a logout-all that reads the index finds only
                    // sessions that exist (a session created but not yet indexed is a login still in progress).
                    scripts
                        .index_session
                        .key(&index_key)
                        .arg(&session.session_id)
                        .arg(session.expires_at.max(1))
                        .arg(now)
                        .invoke_async::<i64>(&mut connection)
                        .await
                        .map(drop)
                })
                .await
        })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let store = self.clone();
        let session_key = self.layout.session(&request.session_id);
        let marking = self.session_marking();
        self.boxed(async move {
            let sid = request.session_id.clone();
            let args = (
                request.generation,
                hex(&request.secret_hash),
                request.now,
                request.grace_period,
                hex(&request.successor.secret_hash),
                request.successor.expires_at,
                request.revoke_until.max(1),
            );
            let reply: Vec<String> = store
                .run(|mut connection, scripts| async move {
                    let (generation, hash, now, grace, successor_hash, successor_exp, until) = args;
                    session_invocation(&scripts.rotate, &session_key, &marking)
                        .arg(generation)
                        .arg(hash)
                        .arg(now)
                        .arg(grace)
                        .arg(successor_hash)
                        .arg(successor_exp)
                        .arg(until)
                        .arg(&sid)
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            let session_id = request.session_id;
            Ok(match reply.first().map(String::as_str) {
                Some("rotated") => RotateOutcome::Rotated {
                    session: session_from(&session_id, &reply)?,
                    successor: RefreshGrant {
                        generation: parse_u64(reply.get(5))?,
                        secret_hash: request.successor.secret_hash,
                        expires_at: parse_i64(reply.get(6))?,
                    },
                },
                Some("retried") => RotateOutcome::Retried {
                    session: session_from(&session_id, &reply)?,
                    successor: RefreshGrant {
                        generation: parse_u64(reply.get(5))?,
                        expires_at: parse_i64(reply.get(6))?,
                        secret_hash: parse_hash(reply.get(7))?,
                    },
                },
                Some("reused") => {
                    store
                        .end_session(&session_id, request.revoke_until.max(1))
                        .await?;
                    RotateOutcome::Reused {
                        session_id,
                        subject: reply.get(1).cloned().unwrap_or_default(),
                    }
                }
                Some("outdated") => RotateOutcome::Outdated,
                _ => RotateOutcome::Invalid,
            })
        })
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        self.revoke_session_now(session_id, until)
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let store = self.clone();
        let session_key = self.layout.session(session_id);
        let marking = self.session_marking();
        let session_id = session_id.to_owned();
        self.boxed(async move {
            let sid = session_id.clone();
            let revoked: i64 = store
                .run(|mut connection, scripts| async move {
                    session_invocation(&scripts.revoke_refresh, &session_key, &marking)
                        .arg(generation)
                        .arg(hex(&secret_hash))
                        .arg(until.max(1))
                        .arg(&sid)
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            if revoked == 1 {
                store.end_session(&session_id, until.max(1)).await?;
            }
            Ok(revoked == 1)
        })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let jti = jti.to_owned();
        self.boxed(async move {
            store.mark(Marker::Token, &jti, until).await?;
            store.mirror.write().revoke_token(&jti, until);
            Ok(())
        })
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let store = self.clone();
        let marker_keys = [
            self.layout.markers(Marker::Subject),
            self.layout.not_before(),
            self.layout.feed(),
        ];
        let index_key = self.layout.subject_sessions(subject);
        let member = subject_member(issuer, subject);
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            // First refuse the subject's older tokens (unless an equal or later logout-all already does), then read
            // its sessions and end each one (each atomic, in its own slot), and take from the index only the
            // sessions that were ended. A login that lands meanwhile stays indexed, and the next pass (or the next
            // logout-all) ends it.
            let (iss, sub) = (issuer.clone(), subject.clone());
            store
                .run(|mut connection, scripts| async move {
                    scripts
                        .mark_subject
                        .key(&marker_keys[0])
                        .key(&marker_keys[1])
                        .key(&marker_keys[2])
                        .arg(&member)
                        .arg(not_before)
                        .arg(until.max(1))
                        .arg(&iss)
                        .arg(&sub)
                        .invoke_async::<i64>(&mut connection)
                        .await
                })
                .await?;
            store
                .mirror
                .write()
                .revoke_subject(&issuer, &subject, not_before, until.max(1));
            for _ in 0..SUBJECT_PASSES {
                let idx_key = index_key.clone();
                let sessions: Vec<String> = store
                    .run(|mut connection, scripts| async move {
                        scripts
                            .subject_sessions
                            .key(&idx_key)
                            .arg(not_before)
                            .invoke_async(&mut connection)
                            .await
                    })
                    .await?;
                if sessions.is_empty() {
                    break;
                }
                for session_id in &sessions {
                    store.revoke_session_now(session_id, until).await?;
                }
                let idx_key = index_key.clone();
                store
                    .run(|mut connection, _| async move {
                        redis::cmd("ZREM")
                            .arg(&idx_key)
                            .arg(&sessions)
                            .query_async::<()>(&mut connection)
                            .await
                    })
                    .await?;
            }
            Ok(())
        })
    }
}
