//! A back-channel logout received by one instance is enforced by every instance sharing the store — Redis, a
//! Redis Cluster, a SQLite file, PostgreSQL — within the stores' propagation bound, and the same logout token replayed to another
//! instance is refused there; the local sessions of either instance are untouched.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::dpop::ReplayCache;
use tower_jwt_auth::SessionStore;

use crate::common;
use crate::fixtures::*;

/// How long another instance may take to see a revocation (the mirrors' feeds: Redis blocks 1 s, SQL polls).
const PROPAGATION: Duration = Duration::from_secs(3);

/// Waits until `layer` gives `token` the status `wanted`, at most [`PROPAGATION`].
async fn eventually(layer: &tower_jwt_auth::JwtAuthLayer, token: &str, wanted: StatusCode) {
    let start = Instant::now();
    loop {
        let got = status(layer, token).await;
        if got == wanted {
            return;
        }
        assert!(
            start.elapsed() < PROPAGATION,
            "still {got}, wanted {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A handle of the shared store: its sessions and revocations, and its replay cache.
type Handle = (Arc<dyn SessionStore>, Arc<dyn ReplayCache>);

/// Two instances over two handles of one shared store (`store` makes one), and a third started after the
/// logouts, which reads them from the store's markers rather than its feed.
async fn logout_reaches_the_other_instance<F, Fut>(store: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Handle>,
{
    let idp = idp().await;
    let ((store_a, replay_a), (store_b, replay_b)) = (store().await, store().await);
    let a = shared_instance(&idp, store_a, replay_a);
    let b = shared_instance(&idp, store_b, replay_b);
    let now = common::now();
    let by_sid = idp.access_token("alice", Some("idp-s1"), now - 10);
    let by_sub = idp.access_token("bob", None, now - 10);
    let untouched = idp.access_token("alice", Some("idp-s2"), now - 10);
    let local = b.sessions.login("bob", &json!({})).await.unwrap();
    for token in [&by_sid, &by_sub, &untouched] {
        eventually(&b.layer, token, StatusCode::OK).await;
    }

    let sid_logout = idp.logout_token(&logout_claims(Some("idp-s1"), Some("alice")));
    let sub_logout = idp.logout_token(&logout_claims(None, Some("bob")));
    assert_eq!(logout(&a, &sid_logout).await.status, StatusCode::OK);
    assert_eq!(logout(&a, &sub_logout).await.status, StatusCode::OK);
    eventually(&b.layer, &by_sid, StatusCode::UNAUTHORIZED).await;
    eventually(&b.layer, &by_sub, StatusCode::UNAUTHORIZED).await;
    assert_eq!(status(&b.layer, &untouched).await, StatusCode::OK);
    // The local bob of instance b is not the provider's bob.
    assert_eq!(status(&b.layer, local.access_token()).await, StatusCode::OK);
    b.sessions.refresh(local.refresh_token()).await.unwrap();

    // Replayed to the other instance: refused there too.
    for token in [&sid_logout, &sub_logout] {
        let answer = logout(&b, token).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    }
    // An instance started later hydrates the provider's revocations from the store.
    let (store_c, replay_c) = store().await;
    let c = shared_instance(&idp, store_c, replay_c);
    eventually(&c.layer, &by_sid, StatusCode::UNAUTHORIZED).await;
    eventually(&c.layer, &by_sub, StatusCode::UNAUTHORIZED).await;
    assert_eq!(status(&c.layer, &untouched).await, StatusCode::OK);
}

#[tokio::test]
async fn a_logout_at_one_instance_is_enforced_by_another_sharing_redis() {
    let Some(server) = common::redis_server::RedisServer::start(&[]) else {
        return; // said loudly; a failure under CI
    };
    let store = || async {
        let store = Arc::new(
            tower_jwt_auth::RedisStore::builder(server.url())
                .build()
                .await
                .unwrap(),
        );
        (
            store.clone() as Arc<dyn SessionStore>,
            store as Arc<dyn ReplayCache>,
        )
    };
    logout_reaches_the_other_instance(store).await;
}

#[tokio::test]
async fn a_logout_at_one_instance_is_enforced_by_another_on_a_redis_cluster() {
    let Some(cluster) = common::redis_cluster::RedisCluster::start() else {
        return; // said loudly; a failure under CI
    };
    let store = || async {
        let store = Arc::new(
            tower_jwt_auth::RedisStore::cluster(cluster.urls())
                .prefix("idp")
                .build()
                .await
                .unwrap(),
        );
        (
            store.clone() as Arc<dyn SessionStore>,
            store as Arc<dyn ReplayCache>,
        ) as Handle
    };
    logout_reaches_the_other_instance(store).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_logout_at_one_instance_is_enforced_by_another_sharing_sqlite() {
    let file = common::sessions::SqliteFile::new();
    let store = || async {
        let store = Arc::new(
            tower_jwt_auth::SqlStore::connect(&file.url())
                .await
                .unwrap()
                .build()
                .await
                .unwrap(),
        );
        (
            store.clone() as Arc<dyn SessionStore>,
            store as Arc<dyn ReplayCache>,
        )
    };
    logout_reaches_the_other_instance(store).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_logout_at_one_instance_is_enforced_by_another_sharing_postgres() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return; // said loudly; a failure under CI
    };
    let store = || async {
        let store = Arc::new(
            tower_jwt_auth::SqlStore::connect(&server.url())
                .await
                .unwrap()
                .table_prefix("idp_")
                .build()
                .await
                .unwrap(),
        );
        (
            store.clone() as Arc<dyn SessionStore>,
            store as Arc<dyn ReplayCache>,
        )
    };
    logout_reaches_the_other_instance(store).await;
}
