//! A store written outside the crate, the way an application would write one (here over a `Mutex<HashMap>`,
//! answering revocation checks asynchronously like a network store), runs the crate's store conformance suite
//! and lifecycle model test through the public `testing` module (feature `test-util`). A store that forgets
//! reuse detection fails them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tower_jwt_auth::store::{ListSessions, SessionCursor, SessionPage};
use tower_jwt_auth::testing::{self, StoreUnderTest};
use tower_jwt_auth::{
    store::Lookup, store::NewSession, store::RefreshGrant, store::RevocationCheck,
    store::RotateOutcome, store::RotateRequest, store::SessionRecord, store::StoreError,
    store::StoreFuture, SessionStore, TokenInfo,
};

#[derive(Clone)]
struct Session {
    record: SessionRecord,
    current: RefreshGrant,
    previous_hash: Option<[u8; 32]>,
    rotated_at: i64,
}

impl Session {
    /// Live at `now`: neither the session nor its current refresh token has ended.
    fn is_live(&self, now: i64) -> bool {
        self.record.expires_at > now && self.current.expires_at > now
    }

    /// The session as a device list shows it.
    fn listed(&self) -> SessionRecord {
        self.record.clone().with_last_refresh_at(self.rotated_at)
    }
}

#[derive(Default)]
struct Tables {
    sessions: HashMap<String, Session>,
    by_subject: HashMap<String, HashSet<String>>,
    revoked_tokens: HashMap<String, i64>,
    revoked_sessions: HashMap<String, i64>,
    /// (issuer, subject) → not before.
    logged_out: HashMap<(String, String), i64>,
}

impl Tables {
    fn end_session(&mut self, session_id: &str, until: i64) {
        if let Some(session) = self.sessions.remove(session_id) {
            if let Some(ids) = self.by_subject.get_mut(&session.record.subject) {
                ids.remove(session_id);
            }
        }
        let marker = self
            .revoked_sessions
            .entry(session_id.to_owned())
            .or_insert(until);
        *marker = (*marker).max(until);
    }

    fn entries(&self) -> usize {
        self.sessions.len()
            + self.revoked_tokens.len()
            + self.revoked_sessions.len()
            + self.logged_out.len()
    }
}

/// A complete store in about a hundred lines: one lock per operation makes every method atomic.
#[derive(Clone, Default)]
struct HashMapStore {
    tables: Arc<Mutex<Tables>>,
    /// A deliberately broken variant: presenting a rotated token again is not treated as reuse.
    forgets_reuse: bool,
}

fn ready<T: Send + 'static>(value: T) -> StoreFuture<T> {
    Box::pin(std::future::ready(Ok::<T, StoreError>(value)))
}

impl RevocationCheck for HashMapStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        let tables = Arc::clone(&self.tables);
        let token = token.clone();
        // Answered later, as a network store would: the layer's asynchronous path.
        Lookup::Pending(Box::pin(async move {
            tokio::task::yield_now().await;
            let tables = tables.lock().unwrap();
            let by_jti = token
                .token_id()
                .is_some_and(|jti| tables.revoked_tokens.contains_key(jti));
            let by_session = token
                .session_id()
                .is_some_and(|sid| tables.revoked_sessions.contains_key(sid));
            let by_subject = match (token.issuer(), token.subject()) {
                (Some(iss), Some(sub)) => tables
                    .logged_out
                    .get(&(iss.to_owned(), sub.to_owned()))
                    .is_some_and(|nb| token.is_logged_out_by(*nb)),
                _ => false,
            };
            Ok(by_jti || by_session || by_subject)
        }))
    }
}

impl SessionStore for HashMapStore {
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        let mut tables = self.tables.lock().unwrap();
        let mut current = new.refresh;
        current.expires_at = current.expires_at.min(new.session.expires_at);
        let id = new.session.session_id.clone();
        tables
            .by_subject
            .entry(new.session.subject.clone())
            .or_default()
            .insert(id.clone());
        let session = Session {
            record: new.session,
            current,
            previous_hash: None,
            rotated_at: i64::MIN,
        };
        tables.sessions.insert(id, session);
        ready(())
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let mut tables = self.tables.lock().unwrap();
        let now = request.now;
        let Some(session) = tables.sessions.get_mut(&request.session_id) else {
            return ready(RotateOutcome::Invalid);
        };
        if now >= session.record.expires_at {
            return ready(RotateOutcome::Invalid);
        }
        let generation = session.current.generation;
        if request.generation == generation && request.secret_hash == session.current.secret_hash {
            if now >= session.current.expires_at {
                return ready(RotateOutcome::Invalid);
            }
            let successor = RefreshGrant::new(
                generation + 1,
                request.successor.secret_hash,
                request.successor.expires_at.min(session.record.expires_at),
            );
            session.previous_hash = Some(session.current.secret_hash);
            session.current = successor.clone();
            session.rotated_at = now;
            let session = session.record.clone();
            return ready(RotateOutcome::Rotated { session, successor });
        }
        let previous = request.generation + 1 == generation
            && session.previous_hash == Some(request.secret_hash);
        if previous && now < session.rotated_at.saturating_add(request.grace_period) {
            let (session, successor) = (session.record.clone(), session.current.clone());
            return ready(RotateOutcome::Retried { session, successor });
        }
        if previous && !self.forgets_reuse {
            let subject = session.record.subject.clone();
            tables.end_session(&request.session_id, request.revoke_until);
            return ready(RotateOutcome::Reused {
                session_id: request.session_id,
                subject,
            });
        }
        if request.generation < generation && !self.forgets_reuse {
            return ready(RotateOutcome::Outdated);
        }
        ready(RotateOutcome::Invalid)
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        self.tables.lock().unwrap().end_session(session_id, until);
        ready(())
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let mut tables = self.tables.lock().unwrap();
        let known = tables.sessions.get(session_id).is_some_and(|s| {
            (s.current.generation == generation && s.current.secret_hash == secret_hash)
                || (generation + 1 == s.current.generation && s.previous_hash == Some(secret_hash))
        });
        if known {
            tables.end_session(session_id, until);
        }
        ready(known)
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let mut tables = self.tables.lock().unwrap();
        let marker = tables.revoked_tokens.entry(jti.to_owned()).or_insert(until);
        *marker = (*marker).max(until);
        ready(())
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let mut tables = self.tables.lock().unwrap();
        let ids: Vec<String> = tables
            .by_subject
            .get(subject)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            tables.end_session(&id, until);
        }
        let nb = tables
            .logged_out
            .entry((issuer.to_owned(), subject.to_owned()))
            .or_insert(not_before);
        *nb = (*nb).max(not_before);
        ready(())
    }

    // The device list. This store sorts the subject's sessions on every call; one with many sessions per subject
    // keeps them ordered instead (the crate's stores read a page of an ordered index).
    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        let tables = self.tables.lock().unwrap();
        let ids = tables
            .by_subject
            .get(&request.subject)
            .into_iter()
            .flatten();
        let mut live: Vec<SessionRecord> = ids
            .filter_map(|id| tables.sessions.get(id))
            .filter(|s| s.is_live(request.now))
            .filter(|s| request.is_after_cursor(s.record.expires_at, &s.record.session_id))
            .map(Session::listed)
            .collect();
        live.sort_by(|a, b| (a.expires_at, &a.session_id).cmp(&(b.expires_at, &b.session_id)));
        let more = live.len() > request.limit;
        live.truncate(request.limit);
        let next = live
            .last()
            .filter(|_| more)
            .map(|last| SessionCursor::new(last.expires_at, last.session_id.as_str()));
        ready(SessionPage::new(live, next))
    }

    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        let tables = self.tables.lock().unwrap();
        let session = tables.sessions.get(session_id).filter(|s| s.is_live(now));
        ready(session.map(Session::listed))
    }
}

fn under_test(store: HashMapStore) -> StoreUnderTest {
    let tables = Arc::clone(&store.tables);
    StoreUnderTest::new(Arc::new(store)).with_size(move || {
        let entries = tables.lock().unwrap().entries();
        async move { entries }
    })
}

mod hash_map_store {
    tower_jwt_auth::store_conformance_tests!(async { super::under_test(Default::default()) });
}

#[tokio::test]
async fn the_whole_suite_runs_from_one_call() {
    testing::run_store_conformance(|| async { under_test(HashMapStore::default()) }).await;
}

#[test]
fn the_outside_store_follows_the_lifecycle_model() {
    testing::check_lifecycle_model(32, || async { under_test(HashMapStore::default()) });
}

fn forgetful() -> StoreUnderTest {
    under_test(HashMapStore {
        forgets_reuse: true,
        ..HashMapStore::default()
    })
}

#[tokio::test]
#[should_panic(expected = "assertion failed")]
async fn a_store_that_forgets_reuse_fails_the_suite() {
    testing::reuse_of_a_rotated_token_revokes_the_family_only(forgetful()).await;
}

#[test]
#[should_panic(expected = "the store breaks the session lifecycle model")]
fn a_store_that_forgets_reuse_fails_the_model() {
    testing::check_lifecycle_model(64, || async { forgetful() });
}
