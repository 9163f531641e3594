//! [`RedisStore`]: the session store shared by many processes (feature `redis`); its guide is on the type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use redis::Script;

use crate::revocation::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::session::mirror::{Mirror, DEFAULT_MAX_FEED_LAG};
use crate::session::redis_connection::{open, Connection, Target};
use crate::session::redis_mirror::{feed_min_id, follow, Layout};
use crate::session::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::TokenInfo;

/// Sets a revocation marker that expires at ARGV[n], or lengthens an existing one (never shortens it); and
/// announces a revocation on the feed stream in the same script when the feed key is given (one server), so every
/// process's mirror learns of it (the stream keeps the entries after `minid`, in milliseconds). On a cluster the
/// feed is in another slot: the store announces from outside the script.
const MARK: &str = r"
local function mark(key, expires)
  if not redis.call('SET', key, '1', 'NX', 'EXAT', expires) then
    redis.call('EXPIREAT', key, expires, 'GT')
  end
end
local function announce(feed, minid, ...)
  if feed then redis.call('XADD', feed, 'MINID', '~', minid, '*', ...) end
end
";

/// KEYS: session. ARGV: sub, auth_time, exp, claims, generation, hash, token expiry.
const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'auth_time', ARGV[2], 'exp', ARGV[3], 'claims', ARGV[4],
  'gen', ARGV[5], 'cur', ARGV[6], 'texp', ARGV[7], 'rotated', '0')
redis.call('EXPIREAT', KEYS[1], ARGV[7])
return 1
";

/// KEYS: session, session-revoked marker, feed.
/// ARGV: generation, presented hash, now, grace, successor hash, successor exp, revoke until, feed min id,
/// session id.
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
  redis.call('DEL', KEYS[1])
  mark(KEYS[2], ARGV[7])
  announce(KEYS[3], ARGV[8], 'k', 's', 'i', ARGV[9], 'u', ARGV[7])
  return {'reused', s[1]}
end
if presented < current then return {'outdated'} end
return {'invalid'}
";

/// KEYS: session, session-revoked marker, feed. ARGV: until, feed min id, session id.
const REVOKE_SESSION: &str = r"
redis.call('DEL', KEYS[1])
mark(KEYS[2], ARGV[1])
announce(KEYS[3], ARGV[2], 'k', 's', 'i', ARGV[3], 'u', ARGV[1])
return 1
";

/// KEYS: session, session-revoked marker, feed. ARGV: generation, presented hash, until, feed min id, session id.
const REVOKE_REFRESH: &str = r"
local s = redis.call('HMGET', KEYS[1], 'gen', 'cur', 'prev')
if not s[1] then return 0 end
local current = ARGV[1] == s[1] and ARGV[2] == s[2]
local previous = tonumber(ARGV[1]) + 1 == tonumber(s[1]) and s[3] and ARGV[2] == s[3]
if not (current or previous) then return 0 end
redis.call('DEL', KEYS[1])
mark(KEYS[2], ARGV[3])
announce(KEYS[3], ARGV[4], 'k', 's', 'i', ARGV[5], 'u', ARGV[3])
return 1
";

/// KEYS: marker, feed. ARGV: until, feed min id, token id.
const REVOKE_TOKEN: &str = r"
mark(KEYS[1], ARGV[1])
announce(KEYS[2], ARGV[2], 'k', 'j', 'i', ARGV[3], 'u', ARGV[1])
return 1
";

/// KEYS: subject not-before, subject session index, feed. ARGV: not before, until, now, feed min id, issuer,
/// subject.
/// Keeps the later not-before and the later expiry, prunes ended sessions from the index, and returns the
/// subject's sessions.
const REVOKE_SUBJECT: &str = r"
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if old < tonumber(ARGV[1]) then
  local ttl = redis.call('EXPIRETIME', KEYS[1])
  redis.call('SET', KEYS[1], ARGV[1], 'EXAT', math.max(tonumber(ARGV[2]), ttl))
else
  redis.call('EXPIREAT', KEYS[1], ARGV[2], 'GT')
end
announce(KEYS[3], ARGV[4], 'k', 'n', 'i', ARGV[5], 's', ARGV[6], 'nb', ARGV[1], 'u', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
return redis.call('ZRANGE', KEYS[2], 0, -1)
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

/// The default time limit of one store call.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);

struct Scripts {
    create: Script,
    rotate: Script,
    revoke_session: Script,
    revoke_refresh: Script,
    revoke_token: Script,
    revoke_subject: Script,
    index_session: Script,
}

fn with_mark(body: &str) -> Script {
    Script::new(&format!("{MARK}{body}"))
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
/// tagged `{<session id>}`, a subject's keys `{u:<subject>}`. A session is one hash however often it is
/// refreshed (the current and previous refresh-token hashes, never the secrets), and expires when it idles out.
/// Revocation markers expire at the `until` [`Sessions`](crate::Sessions) computed for them (the covered
/// tokens' latest expiry plus [`REVOCATION_MARGIN`](crate::REVOCATION_MARGIN)); a marker is only ever
/// lengthened. Every call has a timeout; an unreachable or slow Redis is a [`StoreError`] (503 from the layer and
/// the endpoints), and the connection manager reconnects by itself.
///
/// Key layout, with the default prefix `tja`:
///
/// | key | type | holds | expires |
/// |---|---|---|---|
/// | `tja:{<sid>}:s` | hash | session: `sub`, `auth_time`, `exp`, `claims`, `gen`, `cur`, `prev` (SHA-256 of the current and previous refresh secrets, hex), `rotated`, `texp` | when the refresh token idles out (≤ session end) |
/// | `tja:{<sid>}:r` | string | the session is revoked: its access tokens are refused | its `until` |
/// | `tja:j:<jti>` | string | the access token `jti` is revoked | its `until` |
/// | `tja:{u:<sub>}:nb:<iss>` | string | "logged out everywhere" time of the subject, for tokens of issuer `iss` | its `until` |
/// | `tja:{u:<sub>}:ss` | sorted set | the subject's session ids scored by their end (for logout everywhere); ended ones are pruned on every login and logout-all | with its longest session |
/// | `tja:feed` | stream | every revocation as it is made (`k` kind `j`/`s`/`n`, `i` id or issuer, `s` subject, `nb`, `u` until), for the processes' mirrors | entries after about 10 minutes (`XADD … MINID ~`) |
///
/// `<sid>`, `<jti>`, `<sub>` and `<iss>` are base64url-encoded, so no value can break a hash tag.
///
/// **Redis 7.0 or later** is required (`EXPIRETIME`, `EXPIREAT … GT`); [`RedisStoreBuilder::build`] refuses an
/// older server it can reach.
///
/// **Eviction:** configure Redis with `maxmemory-policy noeviction`. Under any evicting policy a full Redis
/// may drop revocation markers (all of them have a TTL, so `volatile-*` policies pick them first), and a
/// dropped marker silently re-validates a revoked token. [`RedisStoreBuilder::build`] reads the policy and
/// logs a `tracing` warning unless it is `noeviction`; [`RedisStore::eviction_policy`] tells what it found.
/// With `noeviction`, a full Redis refuses writes: logins, refreshes and revocations answer 503.
///
/// **Revocation checks are local.** Every process keeps a mirror of the live revocations in memory, so the check
/// the layer makes for every request is a hash lookup with no round trip, on the synchronous path. The scripts that
/// write a revocation marker append it to the `feed` stream in the same script; each process follows the stream
/// with a blocking `XREAD` on its own connection, and before that (and after every broken read) reads every live
/// marker (`SCAN`), so nothing written while it was away is missed. A process sees its own revocations at once,
/// the others within a round trip (p99 0.63–0.67 ms from the start of the logout call, on loopback). Until the
/// mirror has hydrated, and while the feed has been silent for longer than
/// [`max_feed_lag`](RedisStoreBuilder::max_feed_lag) (5 s by default), checks fail closed with 503; the mirror
/// catches up by itself when Redis is back. It holds only live revocations (swept when their `until` passes).
///
/// Sentinel: use a `redis+sentinel://` URL if your redis crate build supports it, or point the URL at the
/// current master through your Sentinel-aware proxy.
///
/// **Cluster** ([`RedisStore::cluster`]): the hash tags above keep each script's keys in one slot, so every
/// script (and a rotation's single winner) works unchanged. The `feed` stream is in its own slot, so the store
/// appends to it outside the scripts: before the marker for unconditional revocations (a failed marker then
/// over-revokes, never under-revokes), right after the script for the conditional ones (refresh-token reuse,
/// revoking a refresh token). On a cluster every mirror also re-reads all markers (`SCAN` on every primary) every
/// five minutes, which bounds how long a process dying between such a script and its announcement could leave
/// the other processes unaware (its own Redis state is already revoked: the family can't be refreshed).
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    /// The feed is written inside the markers' scripts (one server) or by the store around them (a cluster).
    cluster: bool,
    prefix: Arc<str>,
    timeout: Duration,
    scripts: Arc<Scripts>,
    eviction_policy: Option<Arc<str>>,
    /// The local copy of the live revocations the layer checks (see [`RedisStoreBuilder::max_feed_lag`]).
    mirror: Arc<Mirror>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisStore`].
#[derive(Debug, Clone)]
pub struct RedisStoreBuilder {
    target: Target,
    prefix: String,
    timeout: Duration,
    max_feed_lag: Duration,
}

impl RedisStoreBuilder {
    /// Prefix of every key (default `tja`), so several applications can share one Redis.
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

    /// Creates the store, checks that Redis is 7.0 or later (an error otherwise) and reads its
    /// `maxmemory-policy` (waiting at most the store's timeout for each; a `tracing` warning unless it is
    /// `noeviction`, see the module docs). The connection is lazy: while Redis is
    /// unreachable the store's calls fail (503) until it comes back. Errors only for an invalid URL. Call it
    /// inside a tokio runtime.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let (connection, client) = open(&self.target, self.timeout)
            .map_err(|e| StoreError::new(format!("invalid Redis URL: {}", e.kind_str())))?;
        let cluster = client.is_cluster();
        let prefix: Arc<str> = self.prefix.into();
        let mirror = Mirror::new(self.max_feed_lag, "Redis revocation feed");
        tokio::spawn(follow(
            Arc::downgrade(&mirror),
            client,
            Layout {
                prefix: Arc::clone(&prefix),
            },
            self.timeout,
        ));
        let mut store = RedisStore {
            connection,
            cluster,
            prefix,
            mirror,
            timeout: self.timeout,
            scripts: Arc::new(Scripts {
                create: Script::new(CREATE),
                rotate: with_mark(ROTATE),
                revoke_session: with_mark(REVOKE_SESSION),
                revoke_refresh: with_mark(REVOKE_REFRESH),
                revoke_token: with_mark(REVOKE_TOKEN),
                revoke_subject: with_mark(REVOKE_SUBJECT),
                index_session: Script::new(INDEX_SESSION),
            }),
            eviction_policy: None,
        };
        if store
            .read_major_version()
            .await
            .is_some_and(|major| major < 7)
        {
            return Err(StoreError::new("RedisStore needs Redis 7.0 or later"));
        }
        store.eviction_policy = store.read_eviction_policy().await;
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
        }
    }

    fn session_key(&self, session_id: &str, suffix: &str) -> String {
        format!(
            "{}:{{{}}}:{suffix}",
            self.prefix,
            URL_SAFE_NO_PAD.encode(session_id)
        )
    }

    fn not_before_key(&self, issuer: &str, subject: &str) -> String {
        self.subject_key(subject, &format!("nb:{}", URL_SAFE_NO_PAD.encode(issuer)))
    }

    fn subject_key(&self, subject: &str, suffix: &str) -> String {
        format!(
            "{}:{{u:{}}}:{suffix}",
            self.prefix,
            URL_SAFE_NO_PAD.encode(subject)
        )
    }

    fn token_id_key(&self, jti: &str) -> String {
        format!("{}:j:{}", self.prefix, URL_SAFE_NO_PAD.encode(jti))
    }

    fn feed_key(&self) -> String {
        format!("{}:feed", self.prefix)
    }

    /// The feed key for a marker's script: on one server the script announces the revocation itself; on a
    /// cluster the feed is in another slot, and [`announce`](Self::announce) does it.
    fn script_feed(&self) -> Option<String> {
        (!self.cluster).then(|| self.feed_key())
    }

    /// On a cluster, appends a revocation to the feed (on one server the scripts do, atomically).
    async fn announce(&self, fields: Vec<(&'static str, String)>) -> Result<(), StoreError> {
        if !self.cluster {
            return Ok(());
        }
        let feed = self.feed_key();
        self.run(|mut connection, _| async move {
            let mut xadd = redis::cmd("XADD");
            xadd.arg(&feed)
                .arg("MINID")
                .arg("~")
                .arg(feed_min_id())
                .arg("*");
            for (name, value) in &fields {
                xadd.arg(*name).arg(value);
            }
            xadd.query_async::<String>(&mut connection).await
        })
        .await
        .map(drop)
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

    fn revoke_session_now(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let keys = [
            self.session_key(session_id, "s"),
            self.session_key(session_id, "r"),
        ];
        let feed = self.script_feed();
        let session_id = session_id.to_owned();
        self.boxed(async move {
            // On a cluster the announcement comes first: a marker that then fails over-revokes, never under.
            store.announce(session_entry(&session_id, until)).await?;
            let sid = session_id.clone();
            store
                .run(|mut connection, scripts| async move {
                    with_feed(&scripts.revoke_session, &[&keys[0], &keys[1]], &feed)
                        .arg(until.max(1))
                        .arg(feed_min_id())
                        .arg(&sid)
                        .invoke_async::<i64>(&mut connection)
                        .await
                })
                .await?;
            store.mirror.write().revoke_session(&session_id, until);
            Ok(())
        })
    }
}

/// An invocation of a marker's script with its `keys`, then the feed key when the script announces (one server).
fn with_feed<'a>(
    script: &'a Script,
    keys: &[&String],
    feed: &Option<String>,
) -> redis::ScriptInvocation<'a> {
    let mut invocation = script.prepare_invoke();
    for key in keys.iter().copied().chain(feed.as_ref()) {
        invocation.key(key);
    }
    invocation
}

/// The feed entry of a revoked session.
fn session_entry(session_id: &str, until: i64) -> Vec<(&'static str, String)> {
    vec![
        ("k", "s".to_owned()),
        ("i", session_id.to_owned()),
        ("u", until.max(1).to_string()),
    ]
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
impl crate::dpop::ReplayCache for RedisStore {
    fn first_use(&self, key: &[u8; 32], now: i64, until: i64) -> Lookup<bool> {
        let store = self.clone();
        let key = format!("{}:dp:{}", self.prefix, hex(key));
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
        let session_key = self.session_key(&session.session_id, "s");
        let index_key = self.subject_key(&session.subject, "ss");
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
        let keys = [
            self.session_key(&request.session_id, "s"),
            self.session_key(&request.session_id, "r"),
        ];
        let feed = self.script_feed();
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
                    with_feed(&scripts.rotate, &[&keys[0], &keys[1]], &feed)
                        .arg(generation)
                        .arg(hash)
                        .arg(now)
                        .arg(grace)
                        .arg(successor_hash)
                        .arg(successor_exp)
                        .arg(until)
                        .arg(feed_min_id())
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
                    let until = request.revoke_until.max(1);
                    store.mirror.write().revoke_session(&session_id, until);
                    store.announce(session_entry(&session_id, until)).await?;
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
        let keys = [
            self.session_key(session_id, "s"),
            self.session_key(session_id, "r"),
        ];
        let feed = self.script_feed();
        let session_id = session_id.to_owned();
        self.boxed(async move {
            let sid = session_id.clone();
            let revoked: i64 = store
                .run(|mut connection, scripts| async move {
                    with_feed(&scripts.revoke_refresh, &[&keys[0], &keys[1]], &feed)
                        .arg(generation)
                        .arg(hex(&secret_hash))
                        .arg(until.max(1))
                        .arg(feed_min_id())
                        .arg(&sid)
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            if revoked == 1 {
                store.mirror.write().revoke_session(&session_id, until);
                store.announce(session_entry(&session_id, until)).await?;
            }
            Ok(revoked == 1)
        })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let key = self.token_id_key(jti);
        let feed = self.script_feed();
        let jti = jti.to_owned();
        self.boxed(async move {
            store
                .announce(vec![
                    ("k", "j".to_owned()),
                    ("i", jti.clone()),
                    ("u", until.max(1).to_string()),
                ])
                .await?;
            let id = jti.clone();
            store
                .run(|mut connection, scripts| async move {
                    with_feed(&scripts.revoke_token, &[&key], &feed)
                        .arg(until.max(1))
                        .arg(feed_min_id())
                        .arg(&id)
                        .invoke_async::<i64>(&mut connection)
                        .await
                })
                .await?;
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
        let not_before_key = self.not_before_key(issuer, subject);
        let index_key = self.subject_key(subject, "ss");
        let feed_key = self.script_feed();
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            // First refuse the subject's older tokens and read its sessions; then end each session (each one
            // atomic, in its own slot) and take from the index only the sessions that were ended. A login that
            // lands meanwhile stays indexed, and the next pass (or the next logout-all) ends it.
            for _ in 0..SUBJECT_PASSES {
                let (nb_key, idx_key, feed) =
                    (not_before_key.clone(), index_key.clone(), feed_key.clone());
                let (iss, sub) = (issuer.clone(), subject.clone());
                store
                    .announce(vec![
                        ("k", "n".to_owned()),
                        ("i", issuer.clone()),
                        ("s", subject.clone()),
                        ("nb", not_before.to_string()),
                        ("u", until.max(1).to_string()),
                    ])
                    .await?;
                let sessions: Vec<String> = store
                    .run(|mut connection, scripts| async move {
                        with_feed(&scripts.revoke_subject, &[&nb_key, &idx_key], &feed)
                            .arg(not_before)
                            .arg(until.max(1))
                            .arg(not_before)
                            .arg(feed_min_id())
                            .arg(&iss)
                            .arg(&sub)
                            .invoke_async(&mut connection)
                            .await
                    })
                    .await?;
                store
                    .mirror
                    .write()
                    .revoke_subject(&issuer, &subject, not_before, until);
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
