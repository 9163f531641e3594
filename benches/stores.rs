//! The stores side by side — memory, Redis, SQLite (a file, write-ahead log) and PostgreSQL: login, refresh (one
//! atomic rotation) and the layer's revocation check, one at a time and 32 in flight. Starts its own
//! redis-server and PostgreSQL on free 127.0.0.1 ports; without a binary it says so and skips that store.
//!
//! `cargo bench --bench stores`
//!
//! Round trips by construction: a Redis rotation is one `EVALSHA`, a login two scripts; a SQL rotation is one
//! conditional `UPDATE … RETURNING`, a login one `INSERT`; every revocation check reads the store's local mirror
//! (no round trip: the shared stores' numbers are their mirrors').

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/common/missing.rs"]
mod missing;
#[path = "../tests/common/postgres_server.rs"]
mod postgres_server;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, MemoryStore, RedisStore, SessionStore, Sessions, SigningKey, SqlStore,
    TokenInfo, TokenIssuer, VerificationKey,
};

const SECRET: [u8; 32] = [7; 32];

fn sessions(store: Arc<dyn SessionStore>) -> Sessions {
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &SECRET).unwrap())
        .issuer("bench")
        .audience("bench-api")
        .build()
        .unwrap();
    // Redis and SQL are shared stores: they need a stable successor key.
    Sessions::builder(issuer, store)
        .successor_key([9; 32])
        .build()
        .unwrap()
}

fn token_info(token: &str) -> TokenInfo {
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, &SECRET).unwrap())
        .issuer("bench")
        .audience("bench-api")
        // Only reads the facts of a session token: its session is checked by the store under test.
        .allow_unchecked_sessions()
        .build()
        .unwrap();
    layer.verify_token(token).unwrap().1
}

fn bench_store(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: Arc<dyn SessionStore>,
) {
    let sessions = sessions(Arc::clone(&store));
    let claims = serde_json::json!({ "scope": "read" });
    let mut group = c.benchmark_group(name);
    group.bench_function("login", |b| {
        b.iter(|| runtime.block_on(sessions.login("alice", &claims)).unwrap())
    });
    let mut pair = runtime.block_on(sessions.login("alice", &claims)).unwrap();
    group.bench_function("refresh_rotation", |b| {
        b.iter(|| {
            pair = runtime
                .block_on(sessions.refresh(pair.refresh_token()))
                .unwrap()
        })
    });
    let info = token_info(pair.access_token());
    group.bench_function("revocation_check", |b| {
        b.iter(|| assert!(!runtime.block_on(store.is_revoked(&info).resolve()).unwrap()))
    });
    group.bench_function("revocation_check_32_in_flight", |b| {
        b.iter_custom(|iterations| {
            let start = Instant::now();
            runtime.block_on(async {
                let mut remaining = iterations;
                while remaining > 0 {
                    let batch = remaining.min(32);
                    let checks = (0..batch).map(|_| store.is_revoked(&info).resolve());
                    for result in futures::future::join_all(checks).await {
                        assert!(!result.unwrap());
                    }
                    remaining -= batch;
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    // A worker thread runs the shared stores' feed followers while the benchmark loops on this one.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    bench_store(
        c,
        &runtime,
        "memory",
        Arc::new(MemoryStore::with_capacity(50_000_000)),
    );
    // Without a server binary each start says so loudly, and that store is not measured.
    if let Some(server) = redis_server::RedisServer::start(&["--appendonly", "no"]) {
        let store = runtime
            .block_on(RedisStore::builder(server.url()).build())
            .unwrap();
        bench_store(c, &runtime, "redis", Arc::new(store));
    }
    let dir = std::env::temp_dir().join(format!("tja-bench-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = runtime
        .block_on(async { SqlStore::connect(&url).await?.build().await })
        .unwrap();
    bench_store(c, &runtime, "sqlite_file", Arc::new(store));
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(server) = postgres_server::PostgresServer::start() {
        let store = runtime
            .block_on(async { SqlStore::connect(&server.url()).await?.build().await })
            .unwrap();
        bench_store(c, &runtime, "postgres", Arc::new(store));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
