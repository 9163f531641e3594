//! The session lifecycle model test: random sequences of logins, refreshes (of the current, the previous and
//! older tokens, and concurrent pairs), sliding actions, logouts, logouts everywhere, revocations, sweeps of what
//! has expired, and time steps (also into the leeway window, and past the refresh tokens' idle expiry while
//! sessions go on sliding), over a manual clock. After every step, every access token ever issued is checked
//! against a small reference model (`session_model.rs`): accepted exactly when the model says so (a revoked or
//! logged-out token, session or subject is never accepted again; nothing is accepted past its session's cap),
//! every refresh gives the model's outcome (reuse of any older token revokes the family), each user's device list
//! holds exactly the model's live sessions, and, when the store can tell its size, storage is bounded by the
//! sessions, not the rotations.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use super::harness::{claims_of, Harness, StoreUnderTest, T0};
use super::session_model::{refreshed, Model, ModelSession, LEEWAY, MAX_SESSION, REFRESH_TTL, TTL};
use crate::store::ListSessions;
use crate::TokenPair;

const USERS: [&str; 2] = ["alice", "bob"];

/// A position in a list whose length is known only when the step runs (the same fixed-point mapping as
/// proptest's `sample::Index`).
#[derive(Debug, Clone, Copy)]
struct Pick(u64);

impl Pick {
    fn index(self, len: usize) -> usize {
        ((len as u128 * u128::from(self.0)) >> 64) as usize
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    any::<u64>().prop_map(Pick)
}

#[derive(Debug, Clone)]
enum Which {
    Current,
    Previous,
    Older(Pick),
}

#[derive(Debug, Clone)]
enum Op {
    Login(usize),
    Refresh(Pick, Which),
    ConcurrentRefresh(Pick),
    Slide(Pick),
    Logout(Pick),
    LogoutAll(usize),
    Revoke(Pick),
    /// The store removes what has expired (sessions whose refresh token idled out, markers past their end).
    Sweep,
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let which = prop_oneof![
        3 => Just(Which::Current),
        1 => Just(Which::Previous),
        1 => pick().prop_map(Which::Older),
    ];
    prop_oneof![
        3 => (0..USERS.len()).prop_map(Op::Login),
        5 => (pick(), which).prop_map(|(s, w)| Op::Refresh(s, w)),
        1 => pick().prop_map(Op::ConcurrentRefresh),
        3 => pick().prop_map(Op::Slide),
        1 => pick().prop_map(Op::Logout),
        1 => (0..USERS.len()).prop_map(Op::LogoutAll),
        1 => pick().prop_map(Op::Revoke),
        1 => Just(Op::Sweep),
        // Small steps, steps across half a lifetime, and steps that land inside the leeway after an expiry.
        4 => prop_oneof![Just(1i64), Just(LEEWAY - 1), Just(TTL / 2 + 1), Just(TTL + 1), Just(TTL + LEEWAY - 1), Just(REFRESH_TTL + 1), 1..700i64]
            .prop_map(Op::Advance),
    ]
}

async fn accepted(h: &Harness, token: &str) -> bool {
    match h.status(token).await {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected status {other}"),
    }
}

/// Runs `ops` against the system and the model, checking every access token after each step that applied.
async fn run(ops: Vec<Op>, sys: Harness) {
    let mut model = Model::default();
    let mut now = T0;
    for (step, op) in ops.into_iter().enumerate() {
        let context = format!("step {step}: {op:?}");
        if apply(&mut model, &mut now, &sys, op, &context).await {
            check(&model, &sys, now, &context).await;
        }
    }
}

/// Applies one step to the system and the model; `false` when it did not apply (nothing to act on).
async fn apply(model: &mut Model, now: &mut i64, sys: &Harness, op: Op, context: &str) -> bool {
    match op {
        Op::Login(user) => login(model, sys, user, *now).await,
        Op::Refresh(index, which) if !model.sessions.is_empty() => {
            refresh(model, sys, index, which, *now, context).await
        }
        Op::ConcurrentRefresh(index) if !model.sessions.is_empty() => {
            concurrent_refresh(model, sys, index, *now, context).await
        }
        Op::Slide(index) if !model.access.is_empty() => {
            slide(model, sys, index, *now, context).await
        }
        Op::Logout(index) if !model.access.is_empty() => logout(model, sys, index, *now).await,
        Op::LogoutAll(user) => {
            sys.sessions.logout_all(USERS[user]).await.unwrap();
            for session in model.sessions.iter_mut().filter(|s| s.user == user) {
                session.revoked = true;
            }
            let nb = model.not_before.entry(user).or_insert(*now);
            *nb = (*nb).max(*now);
        }
        Op::Revoke(index) if !model.sessions.is_empty() => {
            return revoke(model, sys, index, *now, context).await
        }
        Op::Sweep => sweep(model, sys, *now).await,
        Op::Advance(seconds) => {
            *now += seconds;
            sys.clock.set(*now);
        }
        _ => return false,
    }
    true
}

async fn login(model: &mut Model, sys: &Harness, user: usize, now: i64) {
    let pair = sys.sessions.login(USERS[user], &json!({})).await.unwrap();
    model.logins += 1;
    model.sessions.push(ModelSession {
        user,
        refresh: vec![pair.refresh_token().to_owned()],
        end: now + MAX_SESSION,
        refresh_end: (now + REFRESH_TTL).min(now + MAX_SESSION),
        auth_time: now,
        revoked: false,
        swept: false,
    });
    model.issue(model.sessions.len() - 1, pair.access_token());
}

/// Refreshes with the current, the previous or an older refresh token of a session.
async fn refresh(
    model: &mut Model,
    sys: &Harness,
    index: Pick,
    which: Which,
    now: i64,
    context: &str,
) {
    let s = index.index(model.sessions.len());
    let session = &model.sessions[s];
    let current = session.refresh.len() - 1;
    let generation = match which {
        Which::Current => current,
        Which::Previous => current.saturating_sub(1),
        Which::Older(i) => i.index(current + 1),
    };
    let token = session.refresh[generation].clone();
    let live = session.refreshable(now);
    // Reuse is recognised while the store holds the session, also after its refresh token idled out.
    let reuse_detected = !session.revoked && now < session.end && session.stored();
    let result = sys.sessions.refresh(&token).await;
    if live && generation == current {
        let pair = result.unwrap_or_else(|e| panic!("{context}: {e}"));
        refreshed(model, s, &pair, now);
    } else {
        assert!(result.is_err(), "{context}: refresh should fail");
        if reuse_detected && generation != current {
            // Reuse of an older generation: the family is revoked.
            model.sessions[s].revoked = true;
        }
    }
}

/// Two refreshes with the same current refresh token at once.
async fn concurrent_refresh(
    model: &mut Model,
    sys: &Harness,
    index: Pick,
    now: i64,
    context: &str,
) {
    let s = index.index(model.sessions.len());
    let token = model.sessions[s].refresh.last().unwrap().clone();
    let live = model.sessions[s].refreshable(now);
    let (a, b) = tokio::join!(sys.sessions.refresh(&token), sys.sessions.refresh(&token));
    let wins: Vec<TokenPair> = [a, b].into_iter().filter_map(Result::ok).collect();
    if live {
        assert_eq!(wins.len(), 1, "{context}: exactly one rotation wins");
        refreshed(model, s, &wins[0], now);
        // The loser presented the rotated token: reuse (no grace period).
        model.sessions[s].revoked = true;
    } else {
        assert!(wins.is_empty(), "{context}");
    }
}

/// A sliding action with one of the access tokens: accepted as the model says, reissued when due.
async fn slide(model: &mut Model, sys: &Harness, index: Pick, now: i64, context: &str) {
    let a = index.index(model.access.len());
    let token = &model.access[a];
    let expected = model.accepted(token, now);
    let (status, renewed) = sys.act(&token.token).await;
    assert_eq!(status == StatusCode::OK, expected, "{context}");
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
        let claims = claims_of(&renewed);
        assert!(
            claims["exp"].as_i64().unwrap() <= session.end,
            "{context}: past the cap"
        );
        let s = token.session;
        model.issue(s, &renewed);
    }
}

/// A logout with one of the access tokens, when it is still accepted.
async fn logout(model: &mut Model, sys: &Harness, index: Pick, now: i64) {
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

/// Revokes a session with its current refresh token; `false` when it is already over (nothing to act on).
async fn revoke(model: &mut Model, sys: &Harness, index: Pick, now: i64, context: &str) -> bool {
    let s = index.index(model.sessions.len());
    let session = &model.sessions[s];
    if session.revoked || now >= session.end {
        return false;
    }
    let token = session.refresh.last().unwrap().clone();
    // Also once a sweep removed the session's row: a genuine token still ends its session (whose
    // access tokens may still be sliding).
    assert!(sys.sessions.revoke(&token).await.unwrap(), "{context}");
    model.sessions[s].revoked = true;
    true
}

async fn sweep(model: &mut Model, sys: &Harness, now: i64) {
    // A login tells the store the time (a sweep on demand uses the latest time the store was told, not a
    // clock), then the store sweeps.
    sys.sessions.login("sweeper", &json!({})).await.unwrap();
    model.logins += 1;
    if sys.sweep().await {
        for session in &mut model.sessions {
            session.swept |= session.refresh_end <= now;
        }
    }
}

/// Every access token ever issued is accepted exactly when the model says so, none outlives its session, and
/// the store (when it can tell its size) is bounded by the logins.
async fn check(model: &Model, sys: &Harness, now: i64, context: &str) {
    for token in &model.access {
        assert_eq!(
            accepted(sys, &token.token).await,
            model.accepted(token, now),
            "{context}: token of session {} (iat {}, exp {}) at {now}",
            token.session,
            token.iat,
            token.exp,
        );
        assert!(token.exp <= model.sessions[token.session].end);
    }
    for (user, name) in USERS.iter().enumerate() {
        let live: BTreeSet<String> = model
            .sessions
            .iter()
            .filter(|s| s.user == user && s.refreshable(now))
            .map(ModelSession::session_id)
            .collect();
        let listed = device_list(sys, name, now, context).await;
        assert_eq!(
            listed, live,
            "{context}: the device list of {name} at {now}"
        );
    }
    if let Some(size) = sys.store_size().await {
        let bound = 3 * model.logins + 2 * USERS.len();
        assert!(size <= bound, "{context}: store size {size} > {bound}");
    }
}

/// The ids of `subject`'s sessions the store lists at `now`, read two at a time (so the pages' cursors are used).
async fn device_list(sys: &Harness, subject: &str, now: i64, context: &str) -> BTreeSet<String> {
    let mut request = ListSessions::new(subject, now, 2);
    let mut ids = BTreeSet::new();
    for _ in 0..100 {
        let page = sys.store().list_sessions(request.clone()).await.unwrap();
        for record in page.sessions {
            assert!(
                ids.insert(record.session_id),
                "{context}: a session listed twice"
            );
        }
        match page.next {
            Some(next) => request = request.after(Some(next)),
            None => break,
        }
    }
    ids
}

/// Sequences that once failed (shrunk by proptest), replayed first against every store.
fn regressions() -> Vec<Vec<Op>> {
    vec![
        vec![
            Op::Login(0),
            Op::Login(0),
            Op::Login(0),
            Op::Refresh(Pick(12297829382473034411), Which::Current),
            Op::Refresh(Pick(12297829382473034411), Which::Current),
            Op::Login(0),
            Op::Refresh(Pick(9223372036854775808), Which::Older(Pick(122401020231))),
        ],
        // A session that only slides outlives its refresh token; once swept, a logout-all in the same second
        // as a reissue must still end it (the adversarial review's escape), and a login right after works.
        vec![
            Op::Login(0),
            Op::Advance(TTL / 2 + 1),
            Op::Slide(Pick(u64::MAX)),
            Op::Advance(REFRESH_TTL - TTL / 2 - 1),
            Op::Sweep,
            Op::Slide(Pick(u64::MAX)),
            Op::LogoutAll(0),
            Op::Login(0),
            Op::Slide(Pick(u64::MAX)),
            Op::Advance(1),
            Op::Slide(Pick(u64::MAX)),
        ],
    ]
}

fn harness(store: StoreUnderTest) -> Harness {
    Harness::with_lifetimes(
        store,
        Duration::ZERO,
        Duration::from_secs(TTL as u64),
        Duration::from_secs(REFRESH_TTL as u64),
        Duration::from_secs(MAX_SESSION as u64),
        Duration::from_secs(LEEWAY as u64),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Replays the sequences that once failed, then runs `cases` random operation sequences (up to 60 steps each), each against a fresh store from `make_store`
/// in its own tokio runtime, and panics with the shrunk failing sequence when the store breaks the model.
pub fn check_lifecycle_model<F, Fut>(cases: u32, make_store: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = StoreUnderTest>,
{
    for ops in regressions() {
        let replay = std::panic::AssertUnwindSafe(|| {
            runtime().block_on(async { run(ops, harness(make_store().await)).await })
        });
        if let Err(panic) = std::panic::catch_unwind(replay) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!(
                "the store breaks the session lifecycle model (a sequence that once failed): {why}"
            );
        }
    }
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        runtime().block_on(async { run(ops, harness(make_store().await)).await });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("the store breaks the session lifecycle model: {failure}");
    }
}
