//! The conformance case that holds every store to the one statement of the refresh decision
//! (`store/presented.rs`): a table of presented-token states, each run through the store's own `rotate`, whose
//! expected outcome is what that module's `judge_rotation` says. The memory and SQL stores call it; the Redis
//! store's Lua script states it again, and this case is what keeps them the same.

use super::harness::{StoreUnderTest, T0};
use crate::store::presented::{judge_rotation, Presented, StoredTokens};
use crate::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};

/// When each case's session ends.
const SESSION_END: i64 = T0 + 1_000;
/// How long each refresh token lives (the successor of a rotation at `now` expires at `now + REFRESH_TTL`).
const REFRESH_TTL: i64 = 300;
/// A secret no token of the session has.
const STRANGER: [u8; 32] = [9; 32];

/// The state the session is in when the token is presented.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Rotated twice: generation 2 (secret `[3; 32]`) is current, generation 1 (`[2; 32]`) previous, rotated at
    /// `T0 + 20`; generation 0 (`[1; 32]`) is older.
    Rotated,
    /// Rotated twice, then revoked (a logout): the family is gone.
    Revoked,
    /// No session of that id was ever created.
    Unknown,
}

/// One presentation: the state, then the presented generation, secret, time and grace period.
type Case = (&'static str, State, u64, [u8; 32], i64, i64);

const CASES: &[Case] = &[
    ("the current token", State::Rotated, 2, [3; 32], T0 + 30, 0),
    (
        "the current token at its expiry",
        State::Rotated,
        2,
        [3; 32],
        T0 + 20 + REFRESH_TTL,
        0,
    ),
    (
        "the current generation with a wrong secret",
        State::Rotated,
        2,
        STRANGER,
        T0 + 30,
        0,
    ),
    (
        "the previous token within the grace period",
        State::Rotated,
        1,
        [2; 32],
        T0 + 25,
        10,
    ),
    (
        "the previous token at the grace period's end",
        State::Rotated,
        1,
        [2; 32],
        T0 + 30,
        10,
    ),
    (
        "the previous token without a grace period",
        State::Rotated,
        1,
        [2; 32],
        T0 + 21,
        0,
    ),
    (
        "the previous generation with a wrong secret",
        State::Rotated,
        1,
        STRANGER,
        T0 + 25,
        10,
    ),
    (
        "an older generation (reused)",
        State::Rotated,
        0,
        [1; 32],
        T0 + 25,
        10,
    ),
    (
        "a generation from the future",
        State::Rotated,
        3,
        STRANGER,
        T0 + 25,
        0,
    ),
    (
        "the current token of a revoked family",
        State::Revoked,
        2,
        [3; 32],
        T0 + 30,
        0,
    ),
    (
        "a token of an unknown session",
        State::Unknown,
        0,
        [1; 32],
        T0 + 30,
        0,
    ),
    // Last: stores keep the latest time a caller gave them (and may sweep by it); it never goes back after this.
    (
        "the previous token after the session's end",
        State::Rotated,
        1,
        [2; 32],
        SESSION_END,
        5_000,
    ),
];

fn record(session_id: &str) -> SessionRecord {
    SessionRecord::new(session_id, "alice", T0, SESSION_END, r#"{"scope":"read"}"#)
}

fn request(
    session_id: &str,
    generation: u64,
    secret: [u8; 32],
    now: i64,
    grace: i64,
) -> RotateRequest {
    RotateRequest {
        session_id: session_id.to_owned(),
        generation,
        secret_hash: secret,
        successor: RefreshGrant::new(
            generation + 1,
            [generation as u8 + 2; 32],
            now + REFRESH_TTL,
        ),
        now,
        grace_period: grace,
        revoke_until: SESSION_END + 60,
    }
}

/// Brings a fresh session `session_id` into `state` through the store; returns what the store must now keep of
/// it (`None`: nothing), as `presented.rs` sees a session.
async fn prepare(store: &dyn SessionStore, session_id: &str, state: State) -> Option<StoredTokens> {
    if let State::Unknown = state {
        return None;
    }
    let first = RefreshGrant::new(0, [1; 32], T0 + REFRESH_TTL);
    let new = NewSession {
        session: record(session_id),
        refresh: first,
    };
    store.create_session(new).await.expect("create a session");
    for (generation, now) in [(0, T0 + 10), (1, T0 + 20)] {
        let secret = [generation as u8 + 1; 32];
        let outcome = store
            .rotate(request(session_id, generation, secret, now, 0))
            .await;
        assert!(
            matches!(outcome, Ok(RotateOutcome::Rotated { .. })),
            "setting up: rotating generation {generation} must succeed, got {outcome:?}"
        );
    }
    if let State::Revoked = state {
        store
            .revoke_session(session_id, SESSION_END + 60)
            .await
            .expect("revoke");
        return None;
    }
    Some(StoredTokens {
        current: RefreshGrant::new(2, [3; 32], T0 + 20 + REFRESH_TTL),
        previous_hash: Some([2; 32]),
        rotated_at: T0 + 20,
    })
}

/// What the store must answer, given what `presented.rs` decided.
fn expected(
    judged: Presented,
    request: &RotateRequest,
    stored: Option<&StoredTokens>,
) -> RotateOutcome {
    let session = record(&request.session_id);
    match (judged, stored) {
        (Presented::Current, Some(_)) => RotateOutcome::Rotated {
            successor: RefreshGrant {
                expires_at: request.successor.expires_at.min(SESSION_END),
                ..request.successor.clone()
            },
            session,
        },
        (Presented::Retry, Some(tokens)) => RotateOutcome::Retried {
            successor: tokens.current.clone(),
            session,
        },
        (Presented::Reuse, _) => RotateOutcome::Reused {
            session_id: session.session_id,
            subject: session.subject,
        },
        (Presented::Outdated, _) => RotateOutcome::Outdated,
        _ => RotateOutcome::Invalid,
    }
}

/// The outcome without the session's last refresh, which a store may give as of the rotation or not (nothing
/// decides by it).
fn comparable(mut outcome: RotateOutcome) -> RotateOutcome {
    if let RotateOutcome::Rotated { session, .. } | RotateOutcome::Retried { session, .. } =
        &mut outcome
    {
        session.last_refresh_at = session.created_at;
    }
    outcome
}

/// Every presented-token state (current, expired, wrong secret, previous inside and after the grace period and
/// after the session's end, older, future, revoked family, unknown session) gets from the store's `rotate` the
/// outcome `store/presented.rs` decides; after a reuse the family is gone (its current token is refused too).
pub async fn rotation_follows_the_refresh_decision(under_test: StoreUnderTest) {
    let store = &*under_test.store;
    for (index, &(what, state, generation, secret, now, grace)) in CASES.iter().enumerate() {
        let session_id = format!("decision-case-{index}");
        let stored = prepare(store, &session_id, state).await;
        let presented = request(&session_id, generation, secret, now, grace);
        let judged = judge_rotation(
            stored.as_ref().map(|tokens| (tokens, SESSION_END)),
            generation,
            &secret,
            now,
            grace,
        );
        let want = expected(judged, &presented, stored.as_ref());
        let got = comparable(store.rotate(presented).await.expect("rotate"));
        assert_eq!(
            got, want,
            "{what}: the store must decide as presented.rs ({judged:?})"
        );
        if judged == Presented::Reuse {
            let current = request(&session_id, 2, [3; 32], now, 0);
            let judged = judge_rotation(None, 2, &[3; 32], now, 0);
            let want = expected(judged, &current, None);
            let got = store.rotate(current).await.expect("rotate");
            assert_eq!(got, want, "{what}: after a reuse the family is revoked");
        }
    }
}
