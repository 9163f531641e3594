//! [`RedisStoreBuilder`]: configuring a [`RedisStore`], and what `build` checks of the server it reaches (its
//! version, eviction policy and clock).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::store::follower::{follow, Feed};
use crate::store::mirror::{Mirror, DEFAULT_MAX_FEED_LAG};
use crate::store::redis::connection::KindStr;
use crate::store::redis::connection::{open, Target};
use crate::store::redis::feed::StreamFeed;
use crate::store::redis::keys::Layout;
use crate::store::redis::scripts::Scripts;
use crate::store::redis::store::RedisStore;
use crate::store::StoreError;

/// How far the application's clock and Redis's may differ before the build warns.
const MAX_CLOCK_SKEW: i64 = 5;

/// The default time limit of one store call.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// Builds a [`RedisStore`].
#[derive(Clone)]
pub struct RedisStoreBuilder {
    target: Target,
    prefix: String,
    timeout: Duration,
    max_feed_lag: Duration,
    clock: SharedClock,
    require_noeviction: bool,
    fail_if_unreachable: bool,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("target", &self.target)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("max_feed_lag", &self.max_feed_lag)
            .field("require_noeviction", &self.require_noeviction)
            .field("fail_if_unreachable", &self.fail_if_unreachable)
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

    /// Makes [`build`](Self::build) fail unless Redis's `maxmemory-policy` is `noeviction` (read with
    /// `CONFIG GET`; a policy it cannot read fails too). Without it an evicting policy is only a warning
    /// (through `tracing`, or on standard error when no subscriber is installed): under memory pressure Redis
    /// may then evict revocation markers, and revoked tokens pass again. The error names the policy found and the fix
    /// (`CONFIG SET maxmemory-policy noeviction`, and the same in `redis.conf`).
    pub fn require_noeviction(mut self) -> Self {
        self.require_noeviction = true;
        self
    }

    /// Makes [`build`](Self::build) fail when Redis does not answer within the store's
    /// [`timeout`](Self::timeout). Without it the store is built anyway (the connection is lazy) and its calls
    /// fail with 503 until Redis answers.
    pub fn fail_if_unreachable(mut self) -> Self {
        self.fail_if_unreachable = true;
        self
    }

    /// Creates the store, checks that Redis is 7.0 or later (an error otherwise), reads its
    /// `maxmemory-policy` and compares its clock with the application's (waiting at most the store's timeout for
    /// each; a warning unless the policy is `noeviction`, or when the clocks differ by more than 5 s — through
    /// `tracing` when a subscriber is installed, else on standard error; see the type's docs). The connection is lazy: while Redis is unreachable the store's calls fail (503)
    /// until it comes back — unless [`fail_if_unreachable`](Self::fail_if_unreachable) makes that an error, as
    /// [`require_noeviction`](Self::require_noeviction) does an evicting policy. Errors for an invalid URL or
    /// prefix. Call it inside a tokio runtime.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let layout = Layout::new(&self.prefix)?;
        let (connection, client) = open(&self.target, self.timeout)
            .map_err(|e| StoreError::new(format!("invalid Redis URL: {}", e.kind_str())))?;
        let cluster = client.is_cluster();
        let mirror = Mirror::new(self.max_feed_lag, StreamFeed::NAME);
        let feed = StreamFeed::new(
            client,
            layout.clone(),
            self.timeout,
            Arc::clone(&self.clock),
        );
        tokio::spawn(follow(Arc::downgrade(&mirror), feed, None));
        let mut store = RedisStore {
            connection,
            cluster,
            layout,
            mirror,
            timeout: self.timeout,
            scripts: Arc::new(Scripts::new()),
            eviction_policy: None,
            clock_skew: None,
        };
        match store.read_major_version().await {
            Some(major) if major < 7 => {
                return Err(StoreError::new("RedisStore needs Redis 7.0 or later"))
            }
            None if self.fail_if_unreachable => return Err(unreachable(self.timeout)),
            _ => {}
        }
        store.eviction_policy = store.read_eviction_policy().await;
        if self.require_noeviction {
            refuse_eviction(store.eviction_policy.as_deref())?;
        }
        store.clock_skew = store.read_clock_skew(&*self.clock).await;
        // The mirror hydrates before the first check can pass; wait a little for it (checks fail closed until
        // then, as while Redis is unreachable).
        let deadline = tokio::time::Instant::now() + self.timeout + Duration::from_secs(1);
        while !store.mirror.is_fresh() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        store.warn_about_the_server();
        Ok(store)
    }
}

/// The error of [`RedisStoreBuilder::fail_if_unreachable`] (never the URL: it may hold a password).
fn unreachable(timeout: Duration) -> StoreError {
    StoreError::new(format!(
        "Redis did not answer within {timeout:?} (fail_if_unreachable): start it or fix the URL, raise the \
         timeout, or drop fail_if_unreachable() to start anyway and answer 503 until Redis is reachable"
    ))
}

/// The error of [`RedisStoreBuilder::require_noeviction`], unless `policy` is `noeviction`.
fn refuse_eviction(policy: Option<&str>) -> Result<(), StoreError> {
    let found = match policy {
        Some("noeviction") => return Ok(()),
        Some(policy) => format!("Redis maxmemory-policy is {policy}"),
        None => "could not read Redis maxmemory-policy (Redis unreachable, or CONFIG disabled)"
            .to_owned(),
    };
    Err(StoreError::new(format!(
        "{found}, and require_noeviction() was asked: an evicting Redis may drop revocation markers and accept \
         revoked tokens again; run CONFIG SET maxmemory-policy noeviction (and set it in redis.conf)"
    )))
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
            require_noeviction: false,
            fail_if_unreachable: false,
        }
    }

    /// Warns unless the eviction policy is `noeviction`, and when the clocks differ by more than
    /// [`MAX_CLOCK_SKEW`] (see the type's docs): a `tracing` warning when a subscriber listens, else a line on
    /// standard error, so an application without a subscriber still hears about it.
    fn warn_about_the_server(&self) {
        let unheard =
            tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>());
        let policy = self.eviction_policy.as_deref().unwrap_or("unreadable");
        if policy != "noeviction" {
            let found = match &self.eviction_policy {
                Some(policy) => format!("Redis maxmemory-policy is {policy}, not noeviction"),
                None => {
                    "could not read Redis maxmemory-policy (Redis unreachable, or CONFIG disabled)"
                        .into()
                }
            };
            let message = format!(
                "{found}: a full Redis may evict revocation markers and re-validate revoked tokens; set \
                 maxmemory-policy noeviction, or build the store with require_noeviction() to refuse to start"
            );
            match unheard {
                true => eprintln!("warning (tower-jwt-auth RedisStore): {message}"),
                false => tracing::warn!(policy, "{message}"),
            }
        }
        if let Some(skew) = self.clock_skew.filter(|s| s.abs() > MAX_CLOCK_SKEW) {
            let message = format!(
                "the application's clock differs from Redis's TIME by {skew} s, more than {MAX_CLOCK_SKEW} s: \
                 revocation markers are pruned by Redis's clock, so one behind it shortens every revocation by \
                 the difference; synchronise both clocks (NTP)"
            );
            match unheard {
                true => eprintln!("warning (tower-jwt-auth RedisStore): {message}"),
                false => tracing::warn!(skew_seconds = skew, "{message}"),
            }
        }
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
}
