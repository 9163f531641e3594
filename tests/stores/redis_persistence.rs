//! Sessions in Redis outlive a process: append-only persistence keeps them across a restart of the server, and
//! two demo processes share them.
#![cfg(feature = "redis")]

use crate::common;

use std::time::Duration;

use crate::redis_fixtures::{app, refresh};
use common::demo;
use common::redis_server::RedisServer;
use http::StatusCode;

#[tokio::test]
async fn append_only_persistence_keeps_sessions_across_a_restart() {
    let Some(mut server) = RedisServer::start(&["--appendonly", "yes", "--appendfsync", "always"])
    else {
        return;
    };
    let (router, sessions, _) = app(&server.url(), "durable").await;
    let pair = sessions
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let (status, rotated) = refresh(&router, pair.refresh_token()).await;
    assert_eq!(status, StatusCode::OK);
    server.restart(); // SIGKILL, then start on the same append-only file
    let mut body = serde_json::Value::Null;
    for _ in 0..50 {
        let (status, json) = refresh(&router, rotated["refresh_token"].as_str().unwrap()).await;
        if status == StatusCode::OK {
            body = json;
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        body["refresh_token"].is_string(),
        "a refresh token issued before the restart still rotates"
    );
    // ... and reuse detection survived too.
    assert_eq!(
        refresh(&router, pair.refresh_token()).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn two_demo_processes_share_sessions_through_redis() {
    let Some(server) = RedisServer::start(&[]) else {
        return;
    };
    demo::two_demos_share_sessions(&[("REDIS_URL", server.url())]).await;
}
