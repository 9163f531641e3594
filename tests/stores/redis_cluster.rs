//! The Redis store on a real three-primary Redis Cluster the tests start: the store conformance suite, the
//! lifecycle model test (each case on a fresh key prefix), and the revocation mirror across two instances
//! (a logout on one is refused by the other; checks make no round trip).
#![cfg(feature = "redis")]

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::redis_cluster::RedisCluster;
use common::sessions::cluster_store_under_test;
use http::StatusCode;
use tower_jwt_auth::testing::{self, Harness};

#[tokio::test]
async fn the_store_conformance_suite_passes_on_a_cluster() {
    let Some(cluster) = RedisCluster::start().map(Arc::new) else {
        return;
    };
    testing::run_store_conformance(|| cluster_store_under_test(Arc::clone(&cluster))).await;
}

#[test]
fn the_lifecycle_model_holds_on_a_cluster() {
    let Some(cluster) = RedisCluster::start().map(Arc::new) else {
        return;
    };
    testing::check_lifecycle_model(16, || cluster_store_under_test(Arc::clone(&cluster)));
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_by_another_on_a_cluster() {
    let Some(cluster) = RedisCluster::start().map(Arc::new) else {
        return;
    };
    let instance = || async {
        let store = tower_jwt_auth::RedisStore::cluster(cluster.urls())
            .prefix("shared")
            .build()
            .await
            .unwrap();
        Harness::new(
            testing::StoreUnderTest::new(Arc::new(store)),
            Duration::ZERO,
        )
    };
    let (a, b) = (instance().await, instance().await);
    let delays = common::sessions::logouts_propagate(&a, &b, 20).await;
    assert!(
        delays[19] < Duration::from_millis(100),
        "slowest {:?}",
        delays[19]
    );
    // The keys really are spread over the primaries.
    let mut nodes_with_keys = 0;
    for url in cluster.urls() {
        let mut connection = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("shared:*")
            .query_async(&mut connection)
            .await
            .unwrap();
        nodes_with_keys += usize::from(!keys.is_empty());
    }
    assert!(nodes_with_keys >= 2, "keys on {nodes_with_keys} node(s)");
    // Logout everywhere (the subject's keys are in one slot, its sessions in others) reaches A too.
    let pair = b.sessions.login("zoe", &()).await.unwrap();
    b.sessions.logout_all("zoe").await.unwrap();
    let started = Instant::now();
    while a.status(pair.access_token()).await != StatusCode::UNAUTHORIZED {
        assert!(started.elapsed() < Duration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn two_demo_processes_share_sessions_through_a_cluster() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let seeds = cluster
        .ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    common::demo::two_demos_share_sessions(&[("REDIS_CLUSTER", seeds)]).await;
}
