//! With the `metrics` feature: the counters and histograms the crate reports through the `metrics` facade, read
//! back from `metrics-util`'s debugging recorder.
#![cfg(feature = "metrics")]

use crate::common;

use std::time::Duration;

use common::*;
use http::{Method, Request, StatusCode};
use jsonwebtoken::Algorithm;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

/// Every metric as `name{label=value,…}` → its value (counters as counts, histograms as sample counts).
fn read(recorder: &DebuggingRecorder) -> std::collections::BTreeMap<String, u64> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(n) => n,
                DebugValue::Gauge(g) => g.into_inner() as u64,
                DebugValue::Histogram(samples) => samples.len() as u64,
            };
            (name, value)
        })
        .collect()
}

#[test]
fn requests_cache_refreshes_sliding_and_store_calls_are_counted() {
    let recorder = DebuggingRecorder::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let f = common::sessions::fixture(Duration::ZERO);
            let pair = f.sessions.login("alice", &()).await.unwrap();
            assert_eq!(f.status(pair.access_token()).await, StatusCode::OK); // cache miss
            assert_eq!(f.status(pair.access_token()).await, StatusCode::OK); // cache hit
            assert_eq!(f.status("not.a.token").await, StatusCode::UNAUTHORIZED);
            let next = f.sessions.refresh(pair.refresh_token()).await.unwrap();
            assert!(f.sessions.refresh(pair.refresh_token()).await.is_err()); // reuse
            assert!(f.sessions.refresh("rt_nonsense").await.is_err());
            let _ = next;
            let fresh = f.sessions.login("bob", &()).await.unwrap();
            f.clock.advance(301);
            assert!(f.act(fresh.access_token()).await.1.is_some(), "a reissue");
            let bypass = builder_for(Algorithm::HS256)
                .bypass_cors_preflight()
                .build()
                .unwrap();
            let preflight = Request::builder()
                .method(Method::OPTIONS)
                .uri("/")
                .header("access-control-request-method", "POST")
                .body(String::new())
                .unwrap();
            assert_eq!(send(&bypass, preflight).await.status(), StatusCode::OK);
        })
    });
    let m = read(&recorder);
    let get = |name: &str| m.get(name).copied().unwrap_or(0);
    assert_eq!(get("jwt_auth_allowed_total{}"), 3, "{m:#?}");
    assert_eq!(
        get("jwt_auth_denied_total{reason=invalid_token}"),
        1,
        "{m:#?}"
    );
    assert_eq!(get("jwt_auth_token_cache_hit_total{}"), 1, "{m:#?}");
    assert!(get("jwt_auth_token_cache_miss_total{}") >= 2, "{m:#?}");
    assert_eq!(get("jwt_auth_refresh_total{outcome=rotated}"), 1, "{m:#?}");
    assert_eq!(get("jwt_auth_refresh_total{outcome=reused}"), 1, "{m:#?}");
    assert_eq!(
        get("jwt_auth_refresh_total{outcome=invalid}"),
        0,
        "a malformed token never reaches the store"
    );
    assert_eq!(get("jwt_auth_sliding_reissued_total{}"), 1, "{m:#?}");
    // The audit events, by kind, and the reuse counter.
    assert_eq!(get("jwt_auth_refresh_reuse_detected_total{}"), 1, "{m:#?}");
    for (event, count) in [
        ("login", 2),
        ("refresh", 1),
        ("reuse_detected", 1),
        ("sliding_reissue", 1),
    ] {
        let name = format!("jwt_auth_audit_events_total{{event={event}}}");
        assert_eq!(get(&name), count, "{name}: {m:#?}");
    }
    assert_eq!(get("jwt_auth_cors_preflight_bypassed_total{}"), 1, "{m:#?}");
    assert_eq!(
        get("jwt_auth_store_call_seconds{operation=create_session}"),
        2,
        "{m:#?}"
    );
    assert_eq!(
        get("jwt_auth_store_call_seconds{operation=rotate}"),
        2,
        "{m:#?}"
    );
    // No label carries a claim value.
    assert!(
        !m.keys().any(|k| k.contains("alice") || k.contains("bob")),
        "{m:#?}"
    );
}
