//! A model-based test of the session lifecycle: random sequences of logins, refreshes (of the current, the
//! previous and older tokens, and concurrent pairs), sliding actions, logouts, logouts everywhere, revocations
//! and time steps (also into the leeway window), run against `MemoryStore` and a real `RedisStore` over a
//! manual clock. After every step, every access token ever issued is checked against a small reference model:
//! accepted exactly when the model says so (a revoked or logged-out token, session or subject is never accepted
//! again; nothing is accepted past its session's cap), every refresh gives the model's outcome (reuse of any
//! older token revokes the family), and the store's size is bounded by the sessions, not the rotations.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use http::StatusCode;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::json;
use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, ManualClock, MemoryStore, RevocationCheck, SessionStore, Sessions,
    TokenPair, VerificationKey,
};

const T0: i64 = 1_900_000_000;
const TTL: i64 = 600;
const MAX_SESSION: i64 = 3000;
const LEEWAY: i64 = 30;
const USERS: [&str; 2] = ["alice", "bob"];

#[derive(Debug, Clone)]
enum Which {
    Current,
    Previous,
    Older(Index),
}

#[derive(Debug, Clone)]
enum Op {
    Login(usize),
    Refresh(Index, Which),
    ConcurrentRefresh(Index),
    Slide(Index),
    Logout(Index),
    LogoutAll(usize),
    Revoke(Index),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let which = prop_oneof![
        3 => Just(Which::Current),
        1 => Just(Which::Previous),
        1 => any::<Index>().prop_map(Which::Older),
    ];
    prop_oneof![
        3 => (0..USERS.len()).prop_map(Op::Login),
        5 => (any::<Index>(), which).prop_map(|(s, w)| Op::Refresh(s, w)),
        1 => any::<Index>().prop_map(Op::ConcurrentRefresh),
        3 => any::<Index>().prop_map(Op::Slide),
        1 => any::<Index>().prop_map(Op::Logout),
        1 => (0..USERS.len()).prop_map(Op::LogoutAll),
        1 => any::<Index>().prop_map(Op::Revoke),
        // Small steps, steps across half a lifetime, and steps that land inside the leeway after an expiry.
        4 => prop_oneof![Just(1i64), Just(LEEWAY - 1), Just(TTL / 2 + 1), Just(TTL + 1), Just(TTL + LEEWAY - 1), 1..700i64]
            .prop_map(Op::Advance),
    ]
}

/// What the model knows of one session.
struct ModelSession {
    user: usize,
    /// Refresh tokens by generation.
    refresh: Vec<String>,
    end: i64,
    auth_time: i64,
    revoked: bool,
}

struct ModelAccess {
    token: String,
    session: usize,
    iat: i64,
    exp: i64,
    jti: String,
}

#[derive(Default)]
struct Model {
    sessions: Vec<ModelSession>,
    access: Vec<ModelAccess>,
    revoked_jti: HashSet<String>,
    not_before: HashMap<usize, i64>,
    logins: usize,
}

impl Model {
    fn accepted(&self, token: &ModelAccess, now: i64) -> bool {
        let session = &self.sessions[token.session];
        let alive = token.exp > now - LEEWAY && token.iat <= now + LEEWAY;
        let logged_out = self
            .not_before
            .get(&session.user)
            .is_some_and(|nb| token.iat < *nb);
        alive && !session.revoked && !self.revoked_jti.contains(&token.jti) && !logged_out
    }

    fn issue(&mut self, session: usize, token: &str) {
        let claims = payload(token);
        self.access.push(ModelAccess {
            token: token.to_owned(),
            session,
            iat: claims["iat"].as_i64().unwrap(),
            exp: claims["exp"].as_i64().unwrap(),
            jti: claims["jti"].as_str().unwrap().to_owned(),
        });
    }
}

fn payload(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap(),
    )
    .unwrap()
}

struct System {
    clock: ManualClock,
    sessions: Sessions,
    layer: JwtAuthLayer,
    sliding: JwtAuthLayer,
    size: Box<dyn Fn() -> futures::future::BoxFuture<'static, usize>>,
}

fn system(store: Arc<dyn SessionStore>, clock: ManualClock) -> System {
    let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(TTL as u64));
    // Refresh tokens idle out with the session, so idle expiry never precedes the absolute end.
    let sessions = Sessions::builder_shared(issuer, store.clone())
        .refresh_ttl(Duration::from_secs(MAX_SESSION as u64))
        .max_session(Duration::from_secs(MAX_SESSION as u64))
        .clock(clock.clone())
        .build()
        .unwrap();
    let revocation: Arc<dyn RevocationCheck> = store;
    let builder = || {
        JwtAuthLayer::builder()
            .key(VerificationKey::hmac(Algorithm::HS256, SECRET).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .leeway(Duration::from_secs(LEEWAY as u64))
            .clock(clock.clone())
            .revocation_shared(revocation.clone())
    };
    System {
        layer: builder().build().unwrap(),
        sliding: builder()
            .sliding(sessions.sliding().action(http::Method::POST, "/posts"))
            .build()
            .unwrap(),
        clock,
        sessions,
        size: Box::new(|| Box::pin(async { 0 })),
    }
}

async fn accepted(layer: &JwtAuthLayer, token: &str) -> bool {
    match send(layer, bearer(token)).await.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected status {other}"),
    }
}

/// Applies a refresh outcome to the model: success issues a token and a generation.
fn refreshed(model: &mut Model, session: usize, pair: &TokenPair) {
    model.sessions[session]
        .refresh
        .push(pair.refresh_token().to_owned());
    model.issue(session, pair.access_token());
}

async fn run(ops: Vec<Op>, sys: System) {
    let mut model = Model::default();
    let mut now = T0;
    for (step, op) in ops.into_iter().enumerate() {
        let context = format!("step {step}: {op:?}");
        match op {
            Op::Login(user) => {
                let pair = sys.sessions.login(USERS[user], &json!({})).await.unwrap();
                model.logins += 1;
                model.sessions.push(ModelSession {
                    user,
                    refresh: vec![pair.refresh_token().to_owned()],
                    end: now + MAX_SESSION,
                    auth_time: now,
                    revoked: false,
                });
                model.issue(model.sessions.len() - 1, pair.access_token());
            }
            Op::Refresh(index, which) if !model.sessions.is_empty() => {
                let s = index.index(model.sessions.len());
                let session = &model.sessions[s];
                let current = session.refresh.len() - 1;
                let generation = match which {
                    Which::Current => current,
                    Which::Previous => current.saturating_sub(1),
                    Which::Older(i) => i.index(current + 1),
                };
                let token = session.refresh[generation].clone();
                let live = !session.revoked && now < session.end;
                let result = sys.sessions.refresh(&token).await;
                if live && generation == current {
                    let pair = result.unwrap_or_else(|e| panic!("{context}: {e}"));
                    refreshed(&mut model, s, &pair);
                } else {
                    assert!(result.is_err(), "{context}: refresh should fail");
                    if live {
                        // Reuse of an older generation: the family is revoked.
                        model.sessions[s].revoked = true;
                    }
                }
            }
            Op::ConcurrentRefresh(index) if !model.sessions.is_empty() => {
                let s = index.index(model.sessions.len());
                let token = model.sessions[s].refresh.last().unwrap().clone();
                let live = !model.sessions[s].revoked && now < model.sessions[s].end;
                let (a, b) =
                    futures::join!(sys.sessions.refresh(&token), sys.sessions.refresh(&token));
                let wins: Vec<TokenPair> = [a, b].into_iter().filter_map(Result::ok).collect();
                if live {
                    assert_eq!(wins.len(), 1, "{context}: exactly one rotation wins");
                    refreshed(&mut model, s, &wins[0]);
                    // The loser presented the rotated token: reuse (no grace period).
                    model.sessions[s].revoked = true;
                } else {
                    assert!(wins.is_empty(), "{context}");
                }
            }
            Op::Slide(index) if !model.access.is_empty() => {
                let a = index.index(model.access.len());
                let token = &model.access[a];
                let expected = model.accepted(token, now);
                let request = http::Request::post("/posts")
                    .header("authorization", format!("Bearer {}", token.token))
                    .body(String::new())
                    .unwrap();
                let response = send(&sys.sliding, request).await;
                let renewed = response
                    .headers()
                    .get("x-access-token")
                    .map(|v| v.to_str().unwrap().to_owned());
                assert_eq!(response.status() == StatusCode::OK, expected, "{context}");
                let session = &model.sessions[token.session];
                let cap = session.auth_time + MAX_SESSION;
                let due = token.exp > now && token.exp - now < now - token.iat;
                let gains = (now + TTL).min(cap) > token.exp;
                assert_eq!(
                    renewed.is_some(),
                    expected && due && gains,
                    "{context}: reissue decision"
                );
                if let Some(renewed) = renewed {
                    let claims = payload(&renewed);
                    assert!(
                        claims["exp"].as_i64().unwrap() <= session.end,
                        "{context}: past the cap"
                    );
                    let s = token.session;
                    model.issue(s, &renewed);
                }
            }
            Op::Logout(index) if !model.access.is_empty() => {
                let a = index.index(model.access.len());
                let token = &model.access[a];
                if model.accepted(token, now) {
                    let (_, info) = sys.layer.verify_token(&token.token).unwrap();
                    sys.sessions.logout(&info).await.unwrap();
                    model.revoked_jti.insert(token.jti.clone());
                    let s = token.session;
                    model.sessions[s].revoked = true;
                }
            }
            Op::LogoutAll(user) => {
                sys.sessions.logout_all(USERS[user]).await.unwrap();
                for session in model.sessions.iter_mut().filter(|s| s.user == user) {
                    session.revoked = true;
                }
                let nb = model.not_before.entry(user).or_insert(now);
                *nb = (*nb).max(now);
            }
            Op::Revoke(index) if !model.sessions.is_empty() => {
                let s = index.index(model.sessions.len());
                let session = &model.sessions[s];
                if session.revoked || now >= session.end {
                    continue;
                }
                let token = session.refresh.last().unwrap().clone();
                assert!(sys.sessions.revoke(&token).await.unwrap(), "{context}");
                model.sessions[s].revoked = true;
            }
            Op::Advance(seconds) => {
                now += seconds;
                sys.clock.set(now);
            }
            _ => continue,
        }
        for token in &model.access {
            assert_eq!(
                accepted(&sys.layer, &token.token).await,
                model.accepted(token, now),
                "{context}: token of session {} (iat {}, exp {}) at {now}",
                token.session,
                token.iat,
                token.exp,
            );
            assert!(token.exp <= model.sessions[token.session].end);
        }
        let size = (sys.size)().await;
        let bound = 3 * model.logins + 2 * USERS.len();
        assert!(size <= bound, "{context}: store size {size} > {bound}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_memory_store_follows_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let clock = ManualClock::new(T0);
        let store = MemoryStore::new().with_clock(clock.clone());
        let mut sys = system(Arc::new(store.clone()), clock);
        sys.size = Box::new(move || {
            let len = store.len();
            Box::pin(async move { len })
        });
        runtime().block_on(run(ops, sys));
    }
}

#[cfg(feature = "redis")]
mod redis_store {
    use super::*;

    use common::redis_server::RedisServer;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn the_redis_store_follows_the_model(ops in prop::collection::vec(op(), 1..40)) {
            // A fresh server per case, stopped when the case ends.
            let Some(server) = RedisServer::start(&[]) else { return Ok(()) };
            let prefix = "model".to_owned();
            let url = server.url();
            let runtime = runtime();
            runtime.block_on(async move {
                let store = tower_jwt_auth::RedisStore::builder(&url)
                    .prefix(&prefix)
                    .build()
                    .await
                    .unwrap();
                let mut sys = system(Arc::new(store), ManualClock::new(T0));
                let client = redis::Client::open(url).unwrap();
                sys.size = Box::new(move || {
                    let (client, pattern) = (client.clone(), format!("{prefix}:*"));
                    Box::pin(async move {
                        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
                        let keys: Vec<String> = redis::cmd("KEYS")
                            .arg(pattern)
                            .query_async(&mut connection)
                            .await
                            .unwrap();
                        keys.len()
                    })
                });
                run(ops, sys).await;
            });
        }
    }
}
