//! With the `tracing` feature: the audit events (login, refresh, reuse) are structured tracing events with
//! subject, session, issuer and user agent, at WARN for reuse, and never carry a token.
#![cfg(feature = "tracing")]

use crate::common;

use common::trace_recorder::Recorder;
use common::*;

#[test]
fn audit_events_are_structured_tracing_events_without_tokens() {
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let f = common::sessions::fixture(std::time::Duration::ZERO);
    let (pair, sid) = tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let options = tower_jwt_auth::session::LoginOptions::new().user_agent("curl/8.5");
            let pair = f
                .sessions
                .login_with_options("alice", &serde_json::json!({}), options)
                .await
                .unwrap();
            f.sessions.refresh(pair.refresh_token()).await.unwrap();
            assert!(f.sessions.refresh(pair.refresh_token()).await.is_err());
            let sid = payload(pair.access_token())["sid"]
                .as_str()
                .unwrap()
                .to_owned();
            (pair, sid)
        })
    });
    let events = recorder.events.lock().unwrap();
    let audit: Vec<&String> = events.iter().filter(|e| e.contains("event=")).collect();
    assert_eq!(audit.len(), 3, "{events:?}");
    let sid = format!("sid=\"{sid}\"");
    let iss = format!("iss=\"{ISSUER}\"");
    for field in [
        "event=\"login\"",
        &sid,
        "sub=\"alice\"",
        &iss,
        "user_agent=\"curl/8.5\"",
        "level=INFO",
    ] {
        assert!(audit[0].contains(field), "{field} in {}", audit[0]);
    }
    assert!(audit[1].contains("event=\"refresh\""), "{}", audit[1]);
    assert!(
        audit[2].contains("event=\"reuse_detected\"") && audit[2].contains("level=WARN"),
        "{}",
        audit[2]
    );
    for event in &audit {
        assert!(!event.contains(pair.refresh_token()) && !event.contains(pair.access_token()));
    }
}
