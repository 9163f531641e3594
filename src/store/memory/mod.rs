//! [`MemoryStore`]: the embedded, single-process store. Thread-safe, bounded, and self-cleaning. Its state and
//! the helpers its operations share are here; the [`SessionStore`](crate::SessionStore) operations are in
//! `session_store`.

mod session_store;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::store::presented::StoredTokens;
use crate::store::revocations::Revocations;
use crate::store::{ListSessions, SessionCursor, SessionPage};
use crate::store::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::store::{RefreshGrant, RotateOutcome, SessionRecord};
use crate::token::info::TokenInfo;

/// Default bound on stored sessions.
const DEFAULT_CAPACITY: usize = 1_000_000;
/// Expired entries are swept every this many writes (and whenever the store is full).
const SWEEP_EVERY: u64 = 4096;

/// An in-memory [`SessionStore`](crate::SessionStore) and [`RevocationCheck`] for one process.
///
/// Cloning shares the same data. Every operation answers immediately, so the verifying layer's revocation
/// check stays on its synchronous path. A session takes one entry however often it is refreshed; expired
/// sessions and revocations are removed as the store is used. The store never reads a clock: the time comes
/// from [`Sessions`](crate::Sessions) with every session it creates or rotates. When `capacity` live sessions
/// exist, new sessions are refused (login answers 503) rather than grow without bound; refreshes, logouts and
/// revocations are never refused, and revocations never count against the capacity (so no number of
/// revocations can lock logins out). Revocations are bounded by what they cover: a logout or a revocation of a
/// session's token keeps one marker per session, a logout everywhere one per subject, and a revocation that
/// changes nothing adds nothing. Several processes need a shared store instead (the `redis`
/// feature).
///
/// ```
/// use tower_jwt_auth::MemoryStore;
/// let store = MemoryStore::with_capacity(10_000);
/// # let _ = store;
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: Mutex<SessionState>,
    revocations: RwLock<Revocations>,
    capacity: usize,
    /// The latest time a caller gave (sessions and rotations carry their `now`): the store never reads a clock,
    /// and sweeps of writes that carry no time use this one.
    latest_now: AtomicI64,
}

#[derive(Default)]
struct SessionState {
    sessions: HashMap<String, SessionEntry>,
    /// Each subject's sessions, in listing order: (end, id).
    by_subject: HashMap<String, BTreeSet<(i64, String)>>,
    writes: u64,
}

/// One session: constant size, whatever the number of rotations.
struct SessionEntry {
    record: SessionRecord,
    tokens: StoredTokens,
}

impl SessionEntry {
    /// Rotates the current token at `now`: `successor` (its expiry capped at the session end) becomes current,
    /// the current one previous.
    fn rotate(&mut self, successor: RefreshGrant, now: i64) -> RotateOutcome {
        let tokens = &mut self.tokens;
        let successor = RefreshGrant {
            generation: tokens.current.generation.saturating_add(1),
            expires_at: successor.expires_at.min(self.record.expires_at),
            ..successor
        };
        tokens.previous_hash = Some(tokens.current.secret_hash);
        tokens.current = successor.clone();
        tokens.rotated_at = now;
        RotateOutcome::Rotated {
            session: self.record.clone().with_last_refresh_at(now),
            successor,
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.inner.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store bounded to one million live sessions.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store bounded to `capacity` live sessions.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions: Mutex::new(SessionState::default()),
                revocations: RwLock::new(Revocations::default()),
                capacity,
                latest_now: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// Records `now` as told by a caller; returns the latest time seen.
    fn observe(&self, now: i64) -> i64 {
        self.inner
            .latest_now
            .fetch_max(now, Ordering::SeqCst)
            .max(now)
    }

    /// Removes the sessions and revocations that have expired, as of the latest time a caller gave the store
    /// (it never reads a clock). The store also does this by itself every few thousand writes and whenever it
    /// is full; call it to free memory sooner.
    pub fn sweep(&self) {
        let now = self.inner.latest_now.load(Ordering::SeqCst);
        let mut sessions = self.lock_sessions();
        self.sweep_locked(&mut sessions, now);
    }

    /// Live entries: sessions and revocations.
    pub fn len(&self) -> usize {
        self.lock_sessions().sessions.len() + self.read_revocations().len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_sessions(&self) -> MutexGuard<'_, SessionState> {
        // A panic while holding the lock can't leave the maps half-updated in a way that matters more than
        // refusing service forever would, so recover the guard.
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn read_revocations(&self) -> RwLockReadGuard<'_, Revocations> {
        self.inner
            .revocations
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn write_revocations(&self) -> RwLockWriteGuard<'_, Revocations> {
        self.inner
            .revocations
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a write and sweeps expired entries now and then.
    fn count_write(&self, sessions: &mut SessionState, now: i64) {
        sessions.writes += 1;
        if sessions.writes.is_multiple_of(SWEEP_EVERY) {
            self.sweep_locked(sessions, now);
        }
    }

    fn sweep_locked(&self, sessions: &mut SessionState, now: i64) {
        sessions.sweep(now);
        self.write_revocations().sweep(now);
    }

    /// Room for one more session: sweeps when full, and refuses when still full. Revocations don't count.
    fn room_for_session(&self, sessions: &mut SessionState, now: i64) -> Result<(), StoreError> {
        if sessions.sessions.len() >= self.inner.capacity {
            self.sweep_locked(sessions, now);
            if sessions.sessions.len() >= self.inner.capacity {
                return Err(StoreError::new("memory store is full"));
            }
        }
        Ok(())
    }

    fn revoke_session_locked(&self, sessions: &mut SessionState, session_id: &str, until: i64) {
        sessions.remove_session(session_id);
        self.write_revocations().revoke_session(session_id, until);
    }

    /// Records a revocation marker (touching no session), counting it as a write.
    fn record_marker(&self, revoke: impl FnOnce(&mut Revocations)) -> StoreFuture<()> {
        let now = self.inner.latest_now.load(Ordering::SeqCst);
        let mut sessions = self.lock_sessions();
        self.count_write(&mut sessions, now);
        revoke(&mut self.write_revocations());
        Self::ready(Ok(()))
    }

    fn ready<T: Send + 'static>(result: Result<T, StoreError>) -> StoreFuture<T> {
        Box::pin(std::future::ready(result))
    }
}

impl SessionState {
    fn remove_session(&mut self, session_id: &str) {
        if let Some(entry) = self.sessions.remove(session_id) {
            let record = &entry.record;
            if let Some(sids) = self.by_subject.get_mut(&record.subject) {
                sids.remove(&(record.expires_at, session_id.to_owned()));
                if sids.is_empty() {
                    self.by_subject.remove(&entry.record.subject);
                }
            }
        }
    }

    fn sweep(&mut self, now: i64) {
        let ended: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.record.expires_at <= now || s.tokens.current.expires_at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ended {
            self.remove_session(&id);
        }
    }
}

impl SessionEntry {
    /// The session as listed: its record with the last rotation; `None` once ended or idled out at `now`.
    fn live_record(&self, now: i64) -> Option<SessionRecord> {
        let live = self.record.expires_at > now && self.tokens.current.expires_at > now;
        live.then(|| {
            self.record
                .clone()
                .with_last_refresh_at(self.tokens.rotated_at)
        })
    }
}

impl SessionState {
    /// A page of a subject's live sessions: a range of its ordered index, at most `limit` entries read.
    fn list(&self, request: &ListSessions) -> SessionPage {
        let Some(index) = self.by_subject.get(&request.subject) else {
            return SessionPage::default();
        };
        let start = match &request.after {
            Some(cursor) => Bound::Excluded((cursor.expires_at, cursor.session_id.clone())),
            None => Bound::Unbounded,
        };
        let mut read = index.range((start, Bound::Unbounded)).take(request.limit);
        let mut sessions = Vec::new();
        let mut last = None;
        for (expires_at, session_id) in read.by_ref() {
            last = Some(SessionCursor::new(*expires_at, session_id.as_str()));
            let entry = self.sessions.get(session_id);
            sessions.extend(entry.and_then(|entry| entry.live_record(request.now)));
        }
        let more = last.as_ref().is_some_and(|cursor| {
            index
                .range((
                    Bound::Excluded((cursor.expires_at, cursor.session_id.clone())),
                    Bound::Unbounded,
                ))
                .next()
                .is_some()
        });
        SessionPage::new(sessions, last.filter(|_| more))
    }
}

impl RevocationCheck for MemoryStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Ok(self.read_revocations().is_revoked(token)))
    }
}
