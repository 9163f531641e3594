//! Audit events (`SessionsBuilder::audit`): one typed event per login, refresh, reuse (naming the revoked
//! session), logout, logout everywhere, revocation (the RFC 7009 endpoint, both token kinds) and sliding
//! reissue, each with subject, session, issuer, time and user agent where known, and never a token or a
//! secret — in `Debug` or in its JSON; the bounded channel drops rather than blocks.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use common::sessions::test_issuer;
use common::*;
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::{Layer, ServiceExt};
use tower_jwt_auth::audit::{AuditChannel, AuditEvent, AuditEventKind};
use tower_jwt_auth::session::{LoginOptions, RefreshOptions, RevokeEndpoint, MAX_USER_AGENT_LEN};
use tower_jwt_auth::{
    clock::ManualClock, sliding::SlidingPolicy, JwtAuthLayer, MemoryStore, Sessions, TokenPair,
};

const T0: i64 = tower_jwt_auth::testing::T0;
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// Sessions whose audit events are collected, and a layer wired to them that slides on `POST /posts`.
struct Audited {
    clock: ManualClock,
    sessions: Sessions,
    layer: JwtAuthLayer,
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl Audited {
    fn new() -> Self {
        let clock = ManualClock::new(T0);
        let events = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&events);
        let sessions = Sessions::builder(
            test_issuer(&clock, Duration::from_secs(600)),
            MemoryStore::new(),
        )
        .audit(move |event: AuditEvent| collected.lock().unwrap().push(event))
        .build()
        .unwrap();
        let layer = JwtAuthLayer::builder()
            .sessions(&sessions)
            .sliding(SlidingPolicy::new().action(Method::POST, "/posts"))
            .build()
            .unwrap();
        Self {
            clock,
            sessions,
            layer,
            events,
        }
    }

    /// The events reported since the last call.
    fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }

    /// The one event reported since the last call, of `kind`.
    fn one(&self, kind: AuditEventKind) -> AuditEvent {
        let events = self.take();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, kind);
        events[0].clone()
    }

    async fn login(&self, subject: &str) -> TokenPair {
        let options = LoginOptions::new().user_agent(FIREFOX);
        self.sessions
            .login_with_options(subject, &json!({ "scope": "read" }), options)
            .await
            .unwrap()
    }
}

/// Asserts the event's facts, and that neither its `Debug` nor its JSON holds any part of `pair`.
fn assert_event(
    event: &AuditEvent,
    (subject, session_id, user_agent): (Option<&str>, Option<&str>, Option<&str>),
    at: i64,
    pair: &TokenPair,
) {
    assert_eq!(event.subject.as_deref(), subject, "{event:?}");
    assert_eq!(event.session_id.as_deref(), session_id, "{event:?}");
    assert_eq!(event.user_agent.as_deref(), user_agent, "{event:?}");
    assert_eq!(event.issuer.as_deref(), Some(ISSUER));
    assert_eq!(event.at, at);
    let secret = pair.refresh_token().rsplit('.').next().unwrap();
    for shown in [format!("{event:?}"), serde_json::to_string(event).unwrap()] {
        for part in [pair.access_token(), pair.refresh_token(), secret] {
            assert!(!shown.contains(part), "{shown} holds a token");
        }
    }
}

fn sid(pair: &TokenPair) -> String {
    payload(pair.access_token())["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn login_refresh_and_reuse_are_reported_with_the_revoked_session() {
    let a = Audited::new();
    let pair = a.login("alice").await;
    let sid = sid(&pair);
    let event = a.one(AuditEventKind::Login);
    assert_event(
        &event,
        (Some("alice"), Some(&sid), Some(FIREFOX)),
        T0,
        &pair,
    );
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        json!({ "event": "login", "sub": "alice", "sid": sid, "iss": ISSUER, "at": T0, "user_agent": FIREFOX })
    );

    a.clock.advance(10);
    let next = a
        .sessions
        .refresh_with_options(
            pair.refresh_token(),
            RefreshOptions::new().user_agent("curl/8.5"),
        )
        .await
        .unwrap();
    let event = a.one(AuditEventKind::Refresh);
    assert_event(
        &event,
        (Some("alice"), Some(&sid), Some("curl/8.5")),
        T0 + 10,
        &next,
    );

    // The rotated token again: reuse, and the session it revoked (its subject told by the store).
    a.clock.advance(10);
    assert!(a.sessions.refresh(pair.refresh_token()).await.is_err());
    let event = a.one(AuditEventKind::ReuseDetected);
    assert_event(&event, (Some("alice"), Some(&sid), None), T0 + 20, &next);
    assert_eq!(
        a.sessions
            .refresh(next.refresh_token())
            .await
            .unwrap_err()
            .to_string(),
        "invalid_grant"
    );
    assert!(
        a.take().is_empty(),
        "a refresh of a revoked session reports nothing"
    );
}

#[tokio::test]
async fn reuse_of_an_older_generation_names_the_session_it_revoked() {
    let a = Audited::new();
    let first = a.login("alice").await;
    let sid = sid(&first);
    let second = a.sessions.refresh(first.refresh_token()).await.unwrap();
    let third = a.sessions.refresh(second.refresh_token()).await.unwrap();
    a.take();
    // Two generations back: the store can't tell whose it was, the tag proves it genuine; the session ends.
    assert!(a.sessions.refresh(first.refresh_token()).await.is_err());
    let event = a.one(AuditEventKind::ReuseDetected);
    assert_event(&event, (None, Some(&sid), None), T0, &third);
    assert!(a.sessions.refresh(third.refresh_token()).await.is_err());
}

#[tokio::test]
async fn logout_and_logout_everywhere_are_reported() {
    let a = Audited::new();
    let pair = a.login("alice").await;
    let sid = sid(&pair);
    a.take();
    let info = a.layer.verify_token(pair.access_token()).unwrap().1;
    a.sessions.logout(&info).await.unwrap();
    let event = a.one(AuditEventKind::Logout);
    assert_event(&event, (Some("alice"), Some(&sid), None), T0, &pair);

    let other = a.login("bob").await;
    a.take();
    a.clock.advance(5);
    a.sessions.logout_all("bob").await.unwrap();
    let event = a.one(AuditEventKind::LogoutAll);
    assert_event(&event, (Some("bob"), None, None), T0 + 5, &other);
}

#[tokio::test]
async fn revocations_through_the_endpoint_are_reported() {
    let a = Audited::new();
    let app = Router::new().route_service(
        "/revoke",
        RevokeEndpoint::new(a.sessions.clone()).with_access_tokens(a.layer.clone()),
    );
    let revoke = |token: &str| {
        let request = Request::post("/revoke")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("token={token}")))
            .unwrap();
        app.clone().oneshot(request)
    };
    // A refresh token: its session, by id (the subject is not in the token).
    let pair = a.login("alice").await;
    a.take();
    assert_eq!(
        revoke(pair.refresh_token()).await.unwrap().status(),
        StatusCode::OK
    );
    let event = a.one(AuditEventKind::Revoke);
    assert_event(&event, (None, Some(&sid(&pair)), None), T0, &pair);
    // An access token: its session, with the subject it names.
    let pair = a.login("alice").await;
    a.take();
    assert_eq!(
        revoke(pair.access_token()).await.unwrap().status(),
        StatusCode::OK
    );
    let event = a.one(AuditEventKind::Revoke);
    assert_event(&event, (Some("alice"), Some(&sid(&pair)), None), T0, &pair);
    // An unknown token revokes nothing, and reports nothing.
    assert_eq!(
        revoke("rt_AAAA.0.BBBB").await.unwrap().status(),
        StatusCode::OK
    );
    assert!(a.take().is_empty());
}

#[tokio::test]
async fn a_sliding_reissue_is_reported() {
    let a = Audited::new();
    let pair = a.login("alice").await;
    a.take();
    let service = a.layer.clone().layer(tower::service_fn(echo));
    let post = || {
        Request::post("/posts")
            .header("authorization", format!("Bearer {}", pair.access_token()))
            .body(String::new())
            .unwrap()
    };
    // Not due yet: no reissue, no event.
    let response = service.clone().oneshot(post()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(a.take().is_empty());
    a.clock.advance(400);
    let response = service.clone().oneshot(post()).await.unwrap();
    let renewed = response
        .headers()
        .get(tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER)
        .expect("a renewed token")
        .to_str()
        .unwrap()
        .to_owned();
    let event = a.one(AuditEventKind::SlidingReissue);
    assert_event(
        &event,
        (Some("alice"), Some(&sid(&pair)), None),
        T0 + 400,
        &pair,
    );
    assert!(!format!("{event:?}").contains(&renewed));
}

#[tokio::test]
async fn user_agents_are_cut_and_the_channel_drops_rather_than_blocks() {
    let clock = ManualClock::new(T0);
    let (sink, events) = AuditChannel::bounded(2);
    let sessions = Sessions::builder(
        test_issuer(&clock, Duration::from_secs(600)),
        MemoryStore::new(),
    )
    .audit(sink.clone())
    .build()
    .unwrap();
    let long = "é".repeat(MAX_USER_AGENT_LEN);
    for _ in 0..3 {
        let options = LoginOptions::new().user_agent(&long);
        sessions
            .login_with_options("alice", &json!({}), options)
            .await
            .unwrap();
    }
    assert_eq!(sink.dropped(), 1, "the third event found the queue full");
    let received: Vec<AuditEvent> = events.try_iter().collect();
    assert_eq!(received.len(), 2);
    let user_agent = received[0].user_agent.as_deref().unwrap();
    assert_eq!(user_agent, "é".repeat(MAX_USER_AGENT_LEN / 2));
    // Control characters (a header can't carry them, a caller might) become spaces.
    let options = LoginOptions::new().user_agent("evil\r\nX-Injected: 1");
    sessions
        .login_with_options("alice", &json!({}), options)
        .await
        .unwrap();
    let event = events.try_recv().unwrap();
    assert_eq!(event.user_agent.as_deref(), Some("evil  X-Injected: 1"));
    let names: Vec<&str> = AuditEventKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "login",
            "refresh",
            "reuse_detected",
            "logout",
            "logout_all",
            "revoke",
            "session_ended",
            "sliding_reissue",
            "dpop_replay",
            "backchannel_logout"
        ]
    );
}

#[tokio::test]
async fn a_session_ended_from_the_device_list_is_reported_with_its_user_agent() {
    let a = Audited::new();
    let laptop = a.login("alice").await;
    let phone = a
        .sessions
        .login_with_options(
            "alice",
            &json!({}),
            LoginOptions::new().user_agent("phone/1"),
        )
        .await
        .unwrap();
    let bob = a.login("bob").await;
    a.take();
    let me = a.layer.verify_token(laptop.access_token()).unwrap().1;
    // Another user's session: not ended, not reported.
    assert!(!a.sessions.end_session_of(&me, &sid(&bob)).await.unwrap());
    assert!(a.take().is_empty());
    a.clock.advance(30);
    assert!(a.sessions.end_session_of(&me, &sid(&phone)).await.unwrap());
    let event = a.one(AuditEventKind::SessionEnded);
    assert_event(
        &event,
        (Some("alice"), Some(&sid(&phone)), Some("phone/1")),
        T0 + 30,
        &phone,
    );
}
