//! The session store the environment names (memory, Redis, Redis Cluster or SQL).

use std::sync::Arc;

use tower_jwt_auth::dpop::ReplayCache;
use tower_jwt_auth::{MemoryStore, SessionStore};

use crate::BoxError;

/// The session store, and the DPoP replay cache when the store is shared by several processes.
pub(crate) type Stores = (Arc<dyn SessionStore>, Option<Arc<dyn ReplayCache>>);

/// The SQL store when `DATABASE_URL` is set (`sqlite://path` or `postgres://…`: sessions survive restarts),
/// the Redis store on a cluster when `REDIS_CLUSTER` is set (comma-separated `host:port` seeds), else on one
/// server when `REDIS_URL` is set (sessions, and used DPoP proofs, shared by every demo process in each
/// case), else the memory store.
pub(crate) async fn store() -> Result<Stores, BoxError> {
    let cluster = std::env::var("REDIS_CLUSTER").ok();
    let url = std::env::var("REDIS_URL").ok();
    if let Ok(database) = std::env::var("DATABASE_URL") {
        if cluster.is_some() || url.is_some() {
            return Err(
                "DATABASE_URL and REDIS_URL/REDIS_CLUSTER are both set: choose one store".into(),
            );
        }
        return sql_store(&database).await;
    }
    match (cluster, url) {
        #[cfg(feature = "redis")]
        (Some(seeds), _) => {
            let nodes: Vec<String> = seeds
                .split(',')
                .map(str::trim)
                .filter(|seed| !seed.is_empty())
                .map(|seed| match seed.contains("://") {
                    true => seed.to_owned(),
                    false => format!("redis://{seed}"),
                })
                .collect();
            if nodes.is_empty() {
                return Err("REDIS_CLUSTER must list host:port seeds, separated by commas".into());
            }
            eprintln!("using the Redis store on a cluster ({} seeds)", nodes.len());
            let store = Arc::new(tower_jwt_auth::RedisStore::cluster(nodes).build().await?);
            Ok((store.clone(), Some(store)))
        }
        #[cfg(feature = "redis")]
        (None, Some(url)) => {
            eprintln!("using the Redis store");
            let store = Arc::new(tower_jwt_auth::RedisStore::builder(url).build().await?);
            Ok((store.clone(), Some(store)))
        }
        #[cfg(not(feature = "redis"))]
        (Some(_), _) | (None, Some(_)) => Err(
            "REDIS_URL or REDIS_CLUSTER is set, but the demo was built without the `redis` feature: \
                      cargo run --example demo --features redis"
                .into(),
        ),
        (None, None) => Ok((Arc::new(MemoryStore::new()), None)),
    }
}

/// The SQL store on `url` (tables created if missing), also the DPoP replay cache.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) async fn sql_store(url: &str) -> Result<Stores, BoxError> {
    let kind = if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    eprintln!("using the SQL store ({kind})");
    let store = Arc::new(
        tower_jwt_auth::SqlStore::connect(url)
            .await?
            .build()
            .await?,
    );
    Ok((store.clone(), Some(store)))
}

#[cfg(not(any(feature = "postgres", feature = "sqlite")))]
pub(crate) async fn sql_store(_: &str) -> Result<Stores, BoxError> {
    Err(
        "DATABASE_URL is set, but the demo was built without the `postgres`/`sqlite` features"
            .into(),
    )
}
