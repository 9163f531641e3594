//! A refused DPoP proof replay is an audit event (`dpop_replay`) of the sessions the layer or the refresh endpoint
//! is wired to: at the layer (this process's cache, and a cache shared with another instance, answered
//! asynchronously) with the token's subject and session, and at the refresh endpoint with the session of the
//! genuine refresh token — never with the proof or a token in it.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::session_fixtures::{proof_headers, refresh, refresh_proof, Secs, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::sessions::{fixture, test_issuer};
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::audit::{AuditEvent, AuditEventKind};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::session::RefreshEndpoint;
use tower_jwt_auth::{clock::ManualClock, JwtAuthLayer, MemoryStore, Sessions, TokenPair};

type Events = Arc<Mutex<Vec<AuditEvent>>>;

/// Sessions on `clock` reporting into the returned list.
fn audited_sessions(clock: &ManualClock) -> (Sessions, Events) {
    let events: Events = Arc::default();
    let collected = Arc::clone(&events);
    let sessions = Sessions::builder(
        test_issuer(clock, Duration::from_secs(600)),
        MemoryStore::new(),
    )
    .audit(move |event: AuditEvent| collected.lock().unwrap().push(event))
    .build()
    .unwrap();
    (sessions, events)
}

/// A login bound to `key` by a proof checked with `dpop`.
async fn bound_login(sessions: &Sessions, dpop: &Dpop, key: &ProofKey, now: i64) -> TokenPair {
    let proof = key.proof_at("POST", &format!("{ORIGIN}/login"), None, now);
    let uri = "/login".parse().unwrap();
    let checked = dpop
        .check(&Method::POST, &uri, &proof_headers(&proof), None)
        .await
        .unwrap()
        .unwrap();
    sessions
        .login_with("alice", &json!({}), Some(&checked))
        .await
        .unwrap()
}

fn layer(sessions: &Sessions, dpop: &Dpop) -> JwtAuthLayer {
    JwtAuthLayer::builder()
        .sessions(sessions)
        .dpop(dpop, DpopPolicy::Allowed)
        .build()
        .unwrap()
}

/// `GET /orders` through `layer` with the bound token and `proof`: the status.
async fn get(layer: &JwtAuthLayer, token: &str, proof: &str) -> StatusCode {
    let service = layer.clone().layer(service_fn(|_: Request<String>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    }));
    let request = Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(String::new())
        .unwrap();
    service.oneshot(request).await.unwrap().status()
}

/// The one event of `events` is a `dpop_replay` about alice's session `sid`, holding neither proof nor token.
fn assert_replay_reported(events: &Events, sid: Option<&str>, secrets: &[&str]) {
    let events = std::mem::take(&mut *events.lock().unwrap());
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.kind, AuditEventKind::DpopReplay);
    assert_eq!(event.session_id.as_deref(), sid);
    assert_eq!(event.issuer.as_deref(), Some(common::ISSUER));
    let shown = format!("{event:?} {}", serde_json::to_string(event).unwrap());
    for secret in secrets {
        assert!(!shown.contains(secret), "{shown}");
    }
}

fn sid_of(pair: &TokenPair) -> String {
    common::payload(pair.access_token())["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_replay_the_layer_refuses_is_reported_with_the_tokens_session() {
    let clock = ManualClock::new(common::sessions::T0);
    let (sessions, events) = audited_sessions(&clock);
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .clock(clock.clone())
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let pair = bound_login(&sessions, &dpop, &key, clock.now_secs()).await;
    events.lock().unwrap().clear();
    let layer = layer(&sessions, &dpop);
    let token = pair.access_token();
    let proof = key.proof_at(
        "GET",
        &format!("{ORIGIN}/orders"),
        Some(token),
        clock.now_secs(),
    );
    assert_eq!(get(&layer, token, &proof).await, StatusCode::OK);
    assert!(
        events.lock().unwrap().is_empty(),
        "a first use reports nothing"
    );
    assert_eq!(get(&layer, token, &proof).await, StatusCode::UNAUTHORIZED);
    assert_replay_reported(&events, Some(&sid_of(&pair)), &[token, &proof]);
}

#[tokio::test]
async fn a_replay_a_shared_cache_refuses_at_another_instance_is_reported() {
    let Some(server) = common::redis_server::RedisServer::start(&[]) else {
        return;
    };
    let clock = ManualClock::new(common::now());
    let (sessions, events) = audited_sessions(&clock);
    let instance = || async {
        let store = tower_jwt_auth::RedisStore::builder(server.url())
            .build()
            .await
            .unwrap();
        Dpop::builder()
            .public_url(ORIGIN)
            .clock(clock.clone())
            .replay_cache(store)
            .build()
            .unwrap()
    };
    let (a, b) = (instance().await, instance().await);
    let key = ProofKey::es256();
    let pair = bound_login(&sessions, &a, &key, clock.now_secs()).await;
    events.lock().unwrap().clear();
    let token = pair.access_token();
    let proof = key.proof_at(
        "GET",
        &format!("{ORIGIN}/orders"),
        Some(token),
        clock.now_secs(),
    );
    assert_eq!(
        get(&layer(&sessions, &a), token, &proof).await,
        StatusCode::OK
    );
    // The other instance's own cache has not seen it: the shared cache answers, asynchronously.
    assert_eq!(
        get(&layer(&sessions, &b), token, &proof).await,
        StatusCode::UNAUTHORIZED
    );
    assert_replay_reported(&events, Some(&sid_of(&pair)), &[token, &proof]);
}

#[tokio::test]
async fn a_replay_the_refresh_endpoint_refuses_is_reported_with_the_refresh_session() {
    let f = fixture(Duration::ZERO);
    let (sessions, events) = audited_sessions(&f.clock);
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let pair = bound_login(&sessions, &dpop, &key, f.clock.now_secs()).await;
    let endpoint = RefreshEndpoint::new(sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let proof = refresh_proof(&f, &key);
    let answer = refresh(&endpoint, pair.refresh_token(), Some(&proof)).await;
    assert_eq!(answer.0, StatusCode::OK);
    let next = answer.1["refresh_token"].as_str().unwrap().to_owned();
    events.lock().unwrap().clear();
    let answer = refresh(&endpoint, &next, Some(&proof)).await;
    assert_eq!(
        (answer.0, &answer.1["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof"))
    );
    assert_replay_reported(
        &events,
        Some(&sid_of(&pair)),
        &[&next, &proof, pair.refresh_token()],
    );
}
