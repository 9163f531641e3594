//! [`RedisStore`] (feature `redis`): sessions and revocations shared by every process that points at the same
//! Redis.
//!
//! Every multi-key step is one Lua script whose keys share a Redis Cluster hash slot: a session's keys are all
//! tagged `{<session id>}`, a subject's keys `{u:<subject>}`. Keys expire with what they protect (a session at
//! its absolute end, a revoked `jti` at the token's `exp`), so Redis cleans up after itself. Only SHA-256 of
//! refresh secrets is stored. Every call has a timeout; an unreachable or slow Redis is a [`StoreError`] (503
//! from the layer and the endpoints), and the connection manager reconnects by itself.
//!
//! Key layout, with the default prefix `tja`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `tja:{sid}:s` | hash | session: `sub`, `auth_time`, `exp`, `claims`, `current` (current refresh id) |
//! | `tja:{sid}:t:<token id>` | hash | refresh token: `h` (SHA-256 of the secret, hex), `exp`, `used`, `next` |
//! | `tja:{sid}:r` | string | the session is revoked: its access tokens are refused |
//! | `tja:j:<jti>` | string | the access token `jti` is revoked |
//! | `tja:{u:<sub>}:nb` | string | "logged out everywhere" time of the subject |
//! | `tja:{u:<sub>}:ss` | set | the subject's session ids (for logout everywhere) |
//!
//! Sentinel: use a `redis+sentinel://` URL if your redis crate build supports it, or point the URL at the
//! current master through your Sentinel-aware proxy. Cluster: the hash tags above keep each script's keys in one
//! slot; the revocation check issues its (at most three) reads in one pipeline, which needs a single node —
//! behind a cluster proxy (for example Envoy's or a managed Redis endpoint) it works unchanged.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use crate::revocation::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::session::refresh_token::split_id;
use crate::session::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::TokenInfo;

const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'auth_time', ARGV[2], 'exp', ARGV[3], 'claims', ARGV[4], 'current', ARGV[5])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'h', ARGV[6], 'exp', ARGV[7])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
return 1
";

/// KEYS: session, presented token, successor token, session-revoked marker.
/// ARGV: presented hash, now, grace, successor hash, successor exp, successor id.
const ROTATE: &str = r"
local s = redis.call('HMGET', KEYS[1], 'sub', 'auth_time', 'exp', 'claims', 'current')
if not s[1] then return {'invalid'} end
local t = redis.call('HMGET', KEYS[2], 'h', 'exp', 'used', 'next')
if not t[1] or t[1] ~= ARGV[1] then return {'invalid'} end
local now = tonumber(ARGV[2])
local session_end = tonumber(s[3])
if now >= session_end then return {'invalid'} end
if not t[3] then
  if now >= tonumber(t[2]) then return {'invalid'} end
  local successor_exp = math.min(tonumber(ARGV[5]), session_end)
  redis.call('HSET', KEYS[2], 'used', ARGV[2], 'next', ARGV[6])
  redis.call('HSET', KEYS[3], 'h', ARGV[4], 'exp', successor_exp)
  redis.call('EXPIREAT', KEYS[3], session_end)
  redis.call('HSET', KEYS[1], 'current', ARGV[6])
  return {'rotated', s[1], s[2], s[3], s[4], tostring(successor_exp)}
end
if now < tonumber(t[3]) + tonumber(ARGV[3]) and t[4] == s[5] then
  return {'retried', s[1], s[2], s[3], s[4], t[4]}
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[4], '1', 'EXAT', session_end)
return {'reused', s[1]}
";

/// KEYS: session, session-revoked marker. ARGV: until.
const REVOKE_SESSION: &str = r"
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EXAT', ARGV[1])
return 1
";

/// KEYS: session, token, session-revoked marker. ARGV: presented hash.
const REVOKE_REFRESH: &str = r"
local h = redis.call('HGET', KEYS[2], 'h')
if not h or h ~= ARGV[1] then return 0 end
local session_end = redis.call('HGET', KEYS[1], 'exp')
if not session_end then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[3], '1', 'EXAT', session_end)
return 1
";

/// The default time limit of one store call.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);

struct Scripts {
    create: Script,
    rotate: Script,
    revoke_session: Script,
    revoke_refresh: Script,
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
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
    scripts: Arc<Scripts>,
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
    url: String,
    prefix: String,
    timeout: Duration,
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

    /// Creates the store. It connects lazily: this never waits for Redis, and while Redis is unreachable the
    /// store's calls fail (503) until it comes back. Errors only for an invalid URL. Call it inside a tokio
    /// runtime.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| StoreError::new(format!("invalid Redis URL: {}", e.kind_str())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = client
            .get_connection_manager_lazy(config)
            .map_err(|e| StoreError::new(format!("Redis: {}", e.kind_str())))?;
        Ok(RedisStore {
            connection,
            prefix: self.prefix.into(),
            timeout: self.timeout,
            scripts: Arc::new(Scripts {
                create: Script::new(CREATE),
                rotate: Script::new(ROTATE),
                revoke_session: Script::new(REVOKE_SESSION),
                revoke_refresh: Script::new(REVOKE_REFRESH),
            }),
        })
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
        RedisStoreBuilder {
            url: url.into(),
            prefix: "tja".into(),
            timeout: DEFAULT_REDIS_TIMEOUT,
        }
    }

    fn session_key(&self, session_id: &str, suffix: &str) -> String {
        format!("{}:{{{session_id}}}:{suffix}", self.prefix)
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

    /// Runs `f` against the connection with the store's timeout.
    async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager, Arc<Scripts>) -> Fut,
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

fn session_from(session_id: &str, reply: &[String]) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        session_id: session_id.to_owned(),
        subject: reply.get(1).cloned().unwrap_or_default(),
        auth_time: parse_i64(reply.get(2))?,
        expires_at: parse_i64(reply.get(3))?,
        claims: reply.get(4).cloned().unwrap_or_default(),
    })
}

impl RevocationCheck for RedisStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        let store = self.clone();
        let jti = token.token_id().map(|jti| self.token_id_key(jti));
        let sid = token.session_id().map(|sid| self.session_key(sid, "r"));
        let sub = token.subject().map(|sub| self.subject_key(sub, "nb"));
        let issued_at = token.issued_at();
        Lookup::Pending(Box::pin(async move {
            // One round trip: the existence checks and the subject's not-before, pipelined.
            let (flags, not_before): (Vec<bool>, Option<i64>) = store
                .run(|mut connection, _| async move {
                    let mut pipe = redis::pipe();
                    for key in jti.iter().chain(sid.iter()) {
                        pipe.exists(key);
                    }
                    match &sub {
                        Some(key) => pipe.get(key),
                        None => pipe.cmd("ECHO").arg(""),
                    };
                    let mut reply: Vec<redis::Value> = pipe.query_async(&mut connection).await?;
                    let last = reply.pop();
                    let flags = reply
                        .iter()
                        .map(redis::from_redis_value_ref::<bool>)
                        .collect::<Result<Vec<bool>, _>>()?;
                    let not_before = match (&sub, last) {
                        (Some(_), Some(value)) => redis::from_redis_value::<Option<i64>>(value)?,
                        _ => None,
                    };
                    Ok((flags, not_before))
                })
                .await?;
            let logged_out = not_before.is_some_and(|nb| issued_at.is_none_or(|iat| iat < nb));
            Ok(flags.into_iter().any(|f| f) || logged_out)
        }))
    }
}

impl SessionStore for RedisStore {
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        let store = self.clone();
        let NewSession { session, refresh } = new;
        let Some((_, token_id)) = split_id(&refresh.id).map(|(s, t)| (s.to_owned(), t.to_owned()))
        else {
            return Box::pin(async { Err(StoreError::new("malformed refresh token id")) });
        };
        let session_key = self.session_key(&session.session_id, "s");
        let token_key = self.session_key(&session.session_id, &format!("t:{token_id}"));
        let index_key = self.subject_key(&session.subject, "ss");
        self.boxed(async move {
            store
                .run(|mut connection, scripts| async move {
                    scripts
                        .create
                        .key(&session_key)
                        .key(&token_key)
                        .arg(&session.subject)
                        .arg(session.auth_time)
                        .arg(session.expires_at)
                        .arg(&session.claims)
                        .arg(&refresh.id)
                        .arg(hex(&refresh.secret_hash))
                        .arg(refresh.expires_at.min(session.expires_at))
                        .invoke_async::<i64>(&mut connection)
                        .await?;
                    // The subject's session index, for "log out everywhere"; it lives as long as its longest session.
                    redis::pipe()
                        .sadd(&index_key, &session.session_id)
                        .cmd("EXPIREAT")
                        .arg(&index_key)
                        .arg(session.expires_at)
                        .arg("NX")
                        .cmd("EXPIREAT")
                        .arg(&index_key)
                        .arg(session.expires_at)
                        .arg("GT")
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await
        })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let store = self.clone();
        let ids = split_id(&request.id).zip(split_id(&request.successor.id));
        let Some(((session_id, token_id), (successor_session, successor_token))) = ids else {
            return Box::pin(async { Ok(RotateOutcome::Invalid) });
        };
        if session_id != successor_session {
            return Box::pin(async { Ok(RotateOutcome::Invalid) });
        }
        let session_id = session_id.to_owned();
        let keys = [
            self.session_key(&session_id, "s"),
            self.session_key(&session_id, &format!("t:{token_id}")),
            self.session_key(&session_id, &format!("t:{successor_token}")),
            self.session_key(&session_id, "r"),
        ];
        let args = (
            hex(&request.secret_hash),
            request.now,
            request.grace_period,
            hex(&request.successor.secret_hash),
            request.successor.expires_at,
            request.successor.id.clone(),
        );
        self.boxed(async move {
            let reply: Vec<String> = store
                .run(|mut connection, scripts| async move {
                    let mut invocation = scripts.rotate.prepare_invoke();
                    for key in &keys {
                        invocation.key(key);
                    }
                    let (hash, now, grace, successor_hash, successor_exp, successor_id) = args;
                    invocation
                        .arg(hash)
                        .arg(now)
                        .arg(grace)
                        .arg(successor_hash)
                        .arg(successor_exp)
                        .arg(successor_id)
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            Ok(match reply.first().map(String::as_str) {
                Some("rotated") => RotateOutcome::Rotated {
                    session: session_from(&session_id, &reply)?,
                    successor: RefreshGrant {
                        expires_at: parse_i64(reply.get(5))?,
                        ..request.successor
                    },
                },
                Some("retried") => RotateOutcome::Retried {
                    session: session_from(&session_id, &reply)?,
                    successor_id: reply.get(5).cloned().unwrap_or_default(),
                },
                Some("reused") => RotateOutcome::Reused {
                    session_id,
                    subject: reply.get(1).cloned().unwrap_or_default(),
                },
                _ => RotateOutcome::Invalid,
            })
        })
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let keys = [
            self.session_key(session_id, "s"),
            self.session_key(session_id, "r"),
        ];
        self.boxed(async move {
            store
                .run(|mut connection, scripts| async move {
                    scripts
                        .revoke_session
                        .key(&keys[0])
                        .key(&keys[1])
                        .arg(until.max(1))
                        .invoke_async::<i64>(&mut connection)
                        .await
                })
                .await
                .map(drop)
        })
    }

    fn revoke_refresh_token(&self, id: &str, secret_hash: [u8; 32]) -> StoreFuture<bool> {
        let store = self.clone();
        let Some((session_id, token_id)) = split_id(id) else {
            return Box::pin(async { Ok(false) });
        };
        let keys = [
            self.session_key(session_id, "s"),
            self.session_key(session_id, &format!("t:{token_id}")),
            self.session_key(session_id, "r"),
        ];
        self.boxed(async move {
            let revoked: i64 = store
                .run(|mut connection, scripts| async move {
                    scripts
                        .revoke_refresh
                        .key(&keys[0])
                        .key(&keys[1])
                        .key(&keys[2])
                        .arg(hex(&secret_hash))
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            Ok(revoked == 1)
        })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let key = self.token_id_key(jti);
        self.boxed(async move {
            store
                .run(|mut connection, _| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg("1")
                        .arg("EXAT")
                        .arg(until.max(1))
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await
        })
    }

    fn revoke_subject(&self, subject: &str, not_before: i64, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let not_before_key = self.subject_key(subject, "nb");
        let index_key = self.subject_key(subject, "ss");
        let index_key_to_clear = index_key.clone();
        self.boxed(async move {
            // First refuse the subject's older access tokens, then end each session (each atomically).
            let sessions: Vec<String> = store
                .run(|mut connection, _| async move {
                    redis::pipe()
                        .cmd("SET")
                        .arg(&not_before_key)
                        .arg(not_before)
                        .arg("EXAT")
                        .arg(until.max(1))
                        .ignore()
                        .smembers(&index_key)
                        .query_async::<(Vec<String>,)>(&mut connection)
                        .await
                        .map(|(sessions,)| sessions)
                })
                .await?;
            for session_id in sessions {
                store.revoke_session(&session_id, until).await?;
            }
            store
                .run(|mut connection, _| async move {
                    redis::cmd("DEL")
                        .arg(&index_key_to_clear)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await
        })
    }
}
