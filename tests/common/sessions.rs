//! Sessions over a store (memory or Redis) with a manual clock.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use tower_jwt_auth::testing::{Harness, StoreUnderTest};
use tower_jwt_auth::{
    clock::ManualClock, issuer::TokenIssuerBuilder, Algorithm, JwtAuthLayer, MemoryStore,
    SessionStore, Sessions, SigningKey, TokenIssuer,
};

use super::redis_server::RedisServer;

pub const T0: i64 = tower_jwt_auth::testing::T0;

pub struct Fixture {
    pub clock: ManualClock,
    pub store: Arc<dyn SessionStore>,
    pub sessions: Sessions,
    pub layer: JwtAuthLayer,
    /// The same layer with sliding on `POST /posts`.
    pub sliding: JwtAuthLayer,
    /// Keeps the Redis server of a Redis fixture alive.
    pub server: Option<RedisServer>,
    /// The memory store of a memory fixture.
    pub memory: Option<MemoryStore>,
    /// The crate's own test harness the fixture is made of.
    pub harness: Harness,
}

/// The tests' HS256 issuer (test secret, issuer and audience), before its lifetime and clock are chosen.
/// The tests' HS256 issuer, to configure further.
pub fn issuer_builder() -> TokenIssuerBuilder {
    TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
}

/// The tests' HS256 issuer (test issuer and audience) with this access-token lifetime, on `clock`.
pub fn test_issuer(clock: &ManualClock, ttl: Duration) -> TokenIssuer {
    issuer_builder()
        .ttl(ttl)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The tests' HS256 issuer with the default access-token lifetime, on the system clock.
pub fn system_issuer() -> TokenIssuer {
    issuer_builder().build().unwrap()
}

/// The crate's test harness over `store` (1 h idle, 4 h absolute, 10 min access tokens, clock at [`T0`]): sessions
/// and layers wired to them.
pub fn fixture_with(store: Arc<dyn SessionStore>, grace: Duration) -> Fixture {
    let harness = Harness::new(StoreUnderTest::new(Arc::clone(&store)), grace);
    Fixture {
        clock: harness.clock.clone(),
        store,
        sessions: harness.sessions.clone(),
        layer: harness.layer.clone(),
        sliding: harness.sliding.clone(),
        server: None,
        memory: None,
        harness,
    }
}

/// A fixture over a fresh memory store.
pub fn fixture(grace: Duration) -> Fixture {
    let store = MemoryStore::new();
    let mut fixture = fixture_with(Arc::new(store.clone()), grace);
    fixture.memory = Some(store);
    fixture
}

/// A fresh memory store for the crate's conformance suite and model test, which counts its entries.
pub fn memory_store_under_test() -> StoreUnderTest {
    let store = MemoryStore::new();
    let (size, sweep) = (store.clone(), store.clone());
    StoreUnderTest::new(Arc::new(store))
        .with_size(move || {
            let len = size.len();
            async move { len }
        })
        .with_sweep(move || {
            sweep.sweep();
            async {}
        })
}

/// How the model test makes a SQL store sweep now.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn sql_sweep(
    store: &tower_jwt_auth::SqlStore,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync + 'static
{
    let store = store.clone();
    move || {
        let store = store.clone();
        Box::pin(async move {
            store.sweep().await.unwrap();
        })
    }
}

/// A fresh Redis server and a store on it, for the crate's conformance suite and model test (which counts its
/// keys), or `None` when redis-server is not installed (outside CI).
#[cfg(feature = "redis")]
pub async fn redis_store_under_test() -> Option<StoreUnderTest> {
    let server = RedisServer::start(&[])?;
    let url = server.url();
    let store = tower_jwt_auth::RedisStore::builder(url.as_str())
        .build()
        .await
        .unwrap();
    let client = redis::Client::open(url).unwrap();
    Some(
        StoreUnderTest::new(Arc::new(store))
            .with_size(move || {
                let client = client.clone();
                async move {
                    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
                    super::redis_server::stored_entries(&mut connection, "tja").await
                }
            })
            .keep_alive(server),
    )
}

/// A store with a fresh prefix on a Redis Cluster (which it keeps alive), for the crate's conformance suite and
/// model test (which counts its keys over all nodes); `None` when the binaries are not installed (outside CI).
#[cfg(feature = "redis")]
pub async fn cluster_store_under_test(
    cluster: std::sync::Arc<super::redis_cluster::RedisCluster>,
) -> StoreUnderTest {
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let prefix = format!(
        "case{}",
        CASE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let store = tower_jwt_auth::RedisStore::cluster(cluster.urls())
        .prefix(&prefix)
        .build()
        .await
        .unwrap();
    let counted = std::sync::Arc::clone(&cluster);
    StoreUnderTest::new(Arc::new(store))
        .with_size(move || {
            let (cluster, prefix) = (std::sync::Arc::clone(&counted), prefix.clone());
            async move { cluster.keys(&prefix).await }
        })
        .keep_alive(cluster)
}

/// A fixture over a fresh Redis server, or `None` when redis-server is not installed (outside CI).
#[cfg(feature = "redis")]
pub async fn redis_fixture(grace: Duration) -> Option<Fixture> {
    let server = RedisServer::start(&[])?;
    let store = tower_jwt_auth::RedisStore::builder(server.url())
        .build()
        .await
        .unwrap();
    let mut fixture = fixture_with(Arc::new(store), grace);
    fixture.server = Some(server);
    Some(fixture)
}

impl Fixture {
    /// `POST /posts` with `token` through the sliding layer: the status and the reissued token, if any.
    pub async fn act(&self, token: &str) -> (http::StatusCode, Option<String>) {
        self.harness.act(token).await
    }

    /// `GET /` with `token` through the plain layer.
    pub async fn status(&self, token: &str) -> http::StatusCode {
        self.harness.status(token).await
    }

    /// How many entries the store holds: the memory store's `len()`, or the number of Redis keys.
    pub async fn store_size(&self) -> usize {
        match &self.memory {
            Some(store) => store.len(),
            None => self.redis_keys().await.len(),
        }
    }

    /// The Redis keys of this fixture's server (empty for the memory store).
    pub async fn redis_keys(&self) -> Vec<String> {
        let Some(server) = &self.server else {
            return Vec::new();
        };
        let client = redis::Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .unwrap()
    }
}

/// `count` logins on instance `b`, each checked on `a`, then logged out on `b`: `b` must refuse the token at
/// once and `a` within a second. Returns, per logout, the time from the start of the logout call until `a`
/// refused.
pub async fn logouts_propagate(a: &Harness, b: &Harness, count: usize) -> Vec<Duration> {
    use http::StatusCode;
    let mut delays = Vec::with_capacity(count);
    for i in 0..count {
        let pair = b.sessions.login(&format!("user{i}"), &()).await.unwrap();
        assert_eq!(a.status(pair.access_token()).await, StatusCode::OK);
        let info = b.token_info(pair.access_token()).await.unwrap();
        let started = std::time::Instant::now();
        b.sessions.logout(&info).await.unwrap();
        assert_eq!(
            b.status(pair.access_token()).await,
            StatusCode::UNAUTHORIZED
        );
        while a.status(pair.access_token()).await != StatusCode::UNAUTHORIZED {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "instance A still accepts a token logged out on B"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        delays.push(started.elapsed());
    }
    delays.sort();
    delays
}

/// Rows of the SQL store's tables that hold state (sessions and markers; the log is its feed, swept with them).
#[cfg(any(feature = "postgres", feature = "sqlite"))]
macro_rules! sql_size {
    ($pool:expr, $prefix:expr) => {{
        let (pool, prefix) = ($pool, $prefix);
        move || {
            let (pool, prefix) = (pool.clone(), prefix.clone());
            async move {
                let mut rows = 0i64;
                for table in ["sessions", "revocations"] {
                    let count: i64 =
                        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {prefix}{table}"))
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                    rows += count;
                }
                rows as usize
            }
        }
    }};
}

/// A SQL store on an in-memory SQLite database of its own, for the conformance suite and model test.
#[cfg(feature = "sqlite")]
pub async fn sqlite_memory_store_under_test() -> StoreUnderTest {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let store = tower_jwt_auth::SqlStore::sqlite(pool.clone())
        .build()
        .await
        .unwrap();
    let sweep = sql_sweep(&store);
    StoreUnderTest::new(Arc::new(store))
        .with_size(sql_size!(pool, "jwt_auth_".to_owned()))
        .with_sweep(sweep)
}

/// A SQLite database file in a fresh temporary directory (removed when the guard is dropped).
#[cfg(feature = "sqlite")]
pub struct SqliteFile {
    pub dir: std::path::PathBuf,
}

#[cfg(feature = "sqlite")]
impl SqliteFile {
    pub fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tja-sqlite-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.dir.join("sessions.db").display())
    }
}

#[cfg(feature = "sqlite")]
impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A SQL store on a SQLite file of its own (write-ahead log, several connections).
#[cfg(feature = "sqlite")]
pub async fn sqlite_file_store_under_test() -> StoreUnderTest {
    let file = SqliteFile::new();
    let builder = tower_jwt_auth::SqlStore::connect(&file.url())
        .await
        .unwrap();
    let store = builder.build().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&file.url()).await.unwrap();
    let sweep = sql_sweep(&store);
    StoreUnderTest::new(Arc::new(store))
        .with_size(sql_size!(pool, "jwt_auth_".to_owned()))
        .with_sweep(sweep)
        .keep_alive(file)
}

/// A SQL store with a fresh table prefix on the test binary's PostgreSQL server; `None` when PostgreSQL is not
/// installed (outside CI).
#[cfg(feature = "postgres")]
pub async fn postgres_store_under_test() -> Option<StoreUnderTest> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let server = super::postgres_server::PostgresServer::shared()?;
    let prefix = format!(
        "t{}_{}_",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&server.url())
        .await
        .unwrap();
    let store = tower_jwt_auth::SqlStore::postgres(pool.clone())
        .table_prefix(prefix.as_str())
        .build()
        .await
        .unwrap();
    let sweep = sql_sweep(&store);
    Some(
        StoreUnderTest::new(Arc::new(store))
            .with_size(sql_size!(pool, prefix))
            .with_sweep(sweep)
            .keep_alive(server),
    )
}

/// One account churning: a login, `n` refreshes, then an RFC 7009 revocation (through `RevokeEndpoint`, which
/// verifies access tokens with the harness's layer) of every access token the account was given, each answered
/// 200. What stores keep for this must not grow with `n`.
pub async fn login_refresh_and_revoke_each(h: &Harness, n: usize) {
    use tower::ServiceExt;
    let endpoint = tower_jwt_auth::session::RevokeEndpoint::new(h.sessions.clone())
        .with_access_tokens(h.layer.clone());
    let mut pair = h
        .sessions
        .login("mallory", &serde_json::json!({}))
        .await
        .unwrap();
    let mut access = vec![pair.access_token().to_owned()];
    for _ in 0..n {
        pair = h.sessions.refresh(pair.refresh_token()).await.unwrap();
        access.push(pair.access_token().to_owned());
    }
    for token in &access {
        let request = http::Request::post("/revoke")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .unwrap();
        let response = endpoint.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        assert_eq!(h.status(token).await, http::StatusCode::UNAUTHORIZED);
    }
}
