//! The demo's `/metrics`: the counters move with the requests.

use crate::common;

use crate::fixtures::{call, login, me_status, start_demo};
use common::demo::{self};
use http::StatusCode;

/// The value of the Prometheus series `series` (`name{labels}` as rendered), 0 when absent.
fn series(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_show_the_counters_moving() {
    let demo = start_demo(&[]);
    let (status, before) = demo::get_text(&demo, "/metrics").await;
    assert_eq!(status, StatusCode::OK, "unauthenticated");
    let reply = login(&demo, "alice", "alice-pass").await;
    for _ in 0..3 {
        assert_eq!(
            me_status(&demo, &reply.body, "access_token").await,
            StatusCode::OK
        );
    }
    let bad = call(&demo, http::Method::GET, "/me", Some("not.a.token"), None).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let (_, after) = demo::get_text(&demo, "/metrics").await;
    assert_eq!(
        series(&after, "jwt_auth_allowed_total") - series(&before, "jwt_auth_allowed_total"),
        3.0,
        "{after}"
    );
    assert_eq!(
        series(&after, "jwt_auth_denied_total{reason=\"invalid_token\"}"),
        1.0,
        "{after}"
    );
    assert!(
        series(&after, "jwt_auth_token_cache_hit_total") >= 2.0,
        "{after}"
    );
    assert!(after.contains("jwt_auth_store_call_seconds"), "{after}");
}
