//! The device list's conformance cases: a subject's live sessions listed in bounded pages with what a settings
//! page shows, and one session ended by id — never another subject's.

use std::collections::BTreeSet;
use std::time::Duration;

use http::StatusCode;
use serde_json::json;

use super::harness::{claims_of, Harness, StoreUnderTest, T0};
use crate::clock::Clock;
use crate::session::{LoginOptions, DEVICE_PAGE_SIZE};
use crate::store::{ListSessions, SessionRecord};
use crate::{TokenInfo, TokenPair};

/// How long one session of the harness lasts at most (its absolute lifetime).
const MAX_SESSION: i64 = 4 * 3600;

fn sid(pair: &TokenPair) -> String {
    claims_of(pair.access_token())["sid"]
        .as_str()
        .expect("a session token has a sid")
        .to_owned()
}

async fn login(h: &Harness, subject: &str, user_agent: &str) -> TokenPair {
    let options = LoginOptions::new().user_agent(user_agent);
    h.sessions
        .login_with_options(subject, &json!({}), options)
        .await
        .expect("login")
}

/// Every live session of `subject`, read from the store `limit` at a time: each page checked to hold at most
/// `limit` sessions of `subject`, the pages together in the stores' order without repeats.
async fn list_all(h: &Harness, subject: &str, limit: usize) -> Vec<SessionRecord> {
    let mut request = ListSessions::new(subject, h.clock.now(), limit);
    let mut all: Vec<SessionRecord> = Vec::new();
    for _ in 0..1000 {
        let page = h
            .store()
            .list_sessions(request.clone())
            .await
            .expect("a page");
        assert!(
            page.sessions.len() <= limit,
            "a page holds at most `limit` sessions"
        );
        for record in &page.sessions {
            assert_eq!(
                record.subject, subject,
                "only the subject's sessions are listed"
            );
        }
        all.extend(page.sessions);
        match page.next {
            Some(next) => request = request.after(Some(next)),
            None => break,
        }
    }
    let order: Vec<(i64, &str)> = all
        .iter()
        .map(|r| (r.expires_at, r.session_id.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(order, sorted, "listed in (end, id) order, each once");
    all
}

fn ids(records: &[SessionRecord]) -> BTreeSet<String> {
    records.iter().map(|r| r.session_id.clone()).collect()
}

async fn caller(h: &Harness, pair: &TokenPair) -> TokenInfo {
    h.token_info(pair.access_token())
        .await
        .expect("a valid token")
}

/// A subject's live sessions come in pages, each with its start, last refresh, end and user agent; sessions
/// logged out, reused, idled out or of another subject are not listed.
pub async fn the_device_list_pages_through_live_sessions_only(store: StoreUnderTest) {
    let h = Harness::new(store, Duration::ZERO);
    // Three sessions in the same second (one end: the order falls to the ids), then two later.
    let mut alice = Vec::new();
    for n in 0..3 {
        alice.push(login(&h, "alice", &format!("phone {n}")).await);
    }
    let bob = login(&h, "bob", "bob's laptop").await;
    h.clock.advance(10);
    alice.push(login(&h, "alice", "laptop").await);
    alice.push(login(&h, "alice", "tablet").await);
    assert!(
        list_all(&h, "nobody", 2).await.is_empty(),
        "a subject without sessions: an empty page"
    );
    let all = list_all(&h, "alice", 2).await;
    let expected: BTreeSet<String> = alice.iter().map(sid).collect();
    assert_eq!(
        ids(&all),
        expected,
        "every live session of alice, and only hers"
    );
    let phone = all
        .iter()
        .find(|r| r.session_id == sid(&alice[0]))
        .expect("listed");
    assert_eq!(
        (
            phone.created_at,
            phone.last_refresh_at,
            phone.expires_at,
            phone.user_agent.as_deref()
        ),
        (T0, T0, T0 + MAX_SESSION, Some("phone 0")),
        "the login time is the last refresh until the first refresh"
    );
    // A refresh moves the last refresh, not the start; the new pair's session is the same one.
    h.clock.advance(50);
    let refreshed = h
        .sessions
        .refresh(alice[0].refresh_token())
        .await
        .expect("refresh");
    // Ended: a logout, a reuse; idled out: one never refreshed for longer than the refresh lifetime.
    h.sessions
        .logout(&caller(&h, &alice[1]).await)
        .await
        .expect("logout");
    let reused = h
        .sessions
        .refresh(alice[2].refresh_token())
        .await
        .expect("refresh");
    assert!(h.sessions.refresh(alice[2].refresh_token()).await.is_err());
    drop(reused);
    let all = list_all(&h, "alice", 2).await;
    let expected: BTreeSet<String> = [&alice[0], &alice[3], &alice[4]]
        .into_iter()
        .map(sid)
        .collect();
    assert_eq!(
        ids(&all),
        expected,
        "logged-out and reused sessions are not listed"
    );
    let phone = all
        .iter()
        .find(|r| r.session_id == sid(&alice[0]))
        .expect("listed");
    assert_eq!((phone.created_at, phone.last_refresh_at), (T0, T0 + 60));
    h.clock.advance(3600 - 50);
    let live = list_all(&h, "alice", 2).await;
    assert_eq!(
        ids(&live),
        BTreeSet::from([sid(&alice[0])]),
        "idled-out sessions are not listed"
    );
    assert_eq!(
        ids(&list_all(&h, "bob", 2).await),
        BTreeSet::new(),
        "bob's session idled out too"
    );
    drop((bob, refreshed));
}

/// A subject with more sessions than a page gets a page and a cursor; `Sessions::sessions_of` marks the
/// caller's own session, and `end_session_of` ends only the caller's own sessions — another subject's id and an
/// unknown one are answered alike.
pub async fn sessions_are_listed_a_page_at_a_time_and_ended_by_their_owner(store: StoreUnderTest) {
    let h = Harness::new(store, Duration::ZERO);
    let count = DEVICE_PAGE_SIZE + 5;
    let mut alice = Vec::new();
    for n in 0..count {
        alice.push(login(&h, "alice", &format!("device {n}")).await);
    }
    let bob = login(&h, "bob", "bob's laptop").await;
    let me = caller(&h, &alice[count - 1]).await;
    let first = h.sessions.sessions_of(&me, None).await.expect("first page");
    assert_eq!(
        first.sessions.len(),
        DEVICE_PAGE_SIZE,
        "a page, not everything"
    );
    let next = first.next.as_deref().expect("a second page");
    let second = h
        .sessions
        .sessions_of(&me, Some(next))
        .await
        .expect("second page");
    assert!(second.next.is_none() && second.sessions.len() == 5);
    let listed: Vec<_> = first.sessions.iter().chain(&second.sessions).collect();
    let current: Vec<_> = listed.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].id, sid(&alice[count - 1]));
    assert!(h
        .sessions
        .sessions_of(&me, Some("not a cursor"))
        .await
        .expect("a page")
        .sessions
        .is_empty());

    // Another subject's session, and one that does not exist: the same answer, and nothing revoked.
    assert!(!h
        .sessions
        .end_session_of(&me, &sid(&bob))
        .await
        .expect("answered"));
    assert!(!h
        .sessions
        .end_session_of(&me, "AAAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect("answered"));
    assert_eq!(h.status(bob.access_token()).await, StatusCode::OK);
    assert!(h.sessions.refresh(bob.refresh_token()).await.is_ok());
    // One of alice's other devices: its refresh token and its access tokens stop working at once.
    let other = &alice[0];
    assert!(h
        .sessions
        .end_session_of(&me, &sid(other))
        .await
        .expect("ended"));
    assert!(h.sessions.refresh(other.refresh_token()).await.is_err());
    assert_eq!(
        h.status(other.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        !h.sessions
            .end_session_of(&me, &sid(other))
            .await
            .expect("answered"),
        "ended already"
    );
    let after = h.sessions.sessions_of(&me, None).await.expect("a page");
    assert!(after.sessions.iter().all(|s| s.id != sid(other)));
    assert_eq!(
        h.status(alice[count - 1].access_token()).await,
        StatusCode::OK,
        "the caller's stays"
    );
}
