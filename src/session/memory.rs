//! [`MemoryStore`]: the embedded, single-process store. Thread-safe, bounded, and self-cleaning.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use subtle::ConstantTimeEq;

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::revocation::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::session::store::{
    NewSession, RefreshGrant, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};
use crate::TokenInfo;

/// Default bound on stored entries (sessions + refresh tokens + revocations).
const DEFAULT_CAPACITY: usize = 1_000_000;
/// Expired entries are swept every this many writes (and whenever the store is full).
const SWEEP_EVERY: u64 = 4096;

/// An in-memory [`SessionStore`] and [`RevocationCheck`] for one process.
///
/// Cloning shares the same data. Every operation answers immediately, so the verifying layer's revocation
/// check stays on its synchronous path. Expired sessions, tokens and revocations are removed as the store is
/// used; when `capacity` live entries exist, further writes fail (the endpoints answer 503) rather than grow
/// without bound. Several processes need a shared store instead (the `redis` feature).
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
    clock: SharedClock,
}

#[derive(Default)]
struct SessionState {
    sessions: HashMap<String, SessionEntry>,
    tokens: HashMap<String, TokenEntry>,
    by_subject: HashMap<String, HashSet<String>>,
    writes: u64,
}

struct SessionEntry {
    record: SessionRecord,
    current: String,
    token_ids: Vec<String>,
}

struct TokenEntry {
    session_id: String,
    secret_hash: [u8; 32],
    expires_at: i64,
    used_at: Option<i64>,
    replaced_by: Option<String>,
}

#[derive(Default)]
struct Revocations {
    token_ids: HashMap<String, i64>,
    session_ids: HashMap<String, i64>,
    /// subject → (not before, until)
    subjects: HashMap<String, (i64, i64)>,
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
    /// A store bounded to one million entries.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store bounded to `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::build(capacity, Arc::new(SystemClock))
    }

    /// Uses `clock` to decide what has expired (tests move time instead of sleeping).
    pub fn with_clock(self, clock: impl Clock) -> Self {
        Self::build(self.inner.capacity, Arc::new(clock))
    }

    fn build(capacity: usize, clock: SharedClock) -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions: Mutex::new(SessionState::default()),
                revocations: RwLock::new(Revocations::default()),
                capacity,
                clock,
            }),
        }
    }

    /// Live entries: sessions, refresh tokens and revocations.
    pub fn len(&self) -> usize {
        let sessions = self.lock_sessions();
        sessions.sessions.len() + sessions.tokens.len() + self.read_revocations().len()
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

    fn read_revocations(&self) -> std::sync::RwLockReadGuard<'_, Revocations> {
        self.inner
            .revocations
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn write_revocations(&self) -> std::sync::RwLockWriteGuard<'_, Revocations> {
        self.inner
            .revocations
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a write; sweeps expired entries now and then, and refuses the write when still full.
    fn make_room(&self, sessions: &mut SessionState, now: i64) -> Result<(), StoreError> {
        sessions.writes += 1;
        let full =
            || sessions.sessions.len() + sessions.tokens.len() + self.read_revocations().len();
        if sessions.writes.is_multiple_of(SWEEP_EVERY) || full() >= self.inner.capacity {
            sessions.sweep(now);
            self.write_revocations().sweep(now);
        }
        let used = sessions.sessions.len() + sessions.tokens.len() + self.read_revocations().len();
        if used >= self.inner.capacity {
            return Err(StoreError::new("memory store is full"));
        }
        Ok(())
    }

    fn revoke_session_locked(&self, sessions: &mut SessionState, session_id: &str, until: i64) {
        sessions.remove_session(session_id);
        self.write_revocations()
            .session_ids
            .insert(session_id.to_owned(), until);
    }

    fn ready<T: Send + 'static>(result: Result<T, StoreError>) -> StoreFuture<T> {
        Box::pin(std::future::ready(result))
    }
}

impl SessionState {
    fn remove_session(&mut self, session_id: &str) {
        if let Some(entry) = self.sessions.remove(session_id) {
            for id in &entry.token_ids {
                self.tokens.remove(id);
            }
            if let Some(sids) = self.by_subject.get_mut(&entry.record.subject) {
                sids.remove(session_id);
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
            .filter(|(_, s)| s.record.expires_at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ended {
            self.remove_session(&id);
        }
        let stale: Vec<(String, String)> = self
            .tokens
            .iter()
            .filter(|(_, t)| t.used_at.is_none() && t.expires_at <= now)
            .map(|(id, t)| (id.clone(), t.session_id.clone()))
            .collect();
        for (id, session_id) in stale {
            self.tokens.remove(&id);
            if let Some(session) = self.sessions.get_mut(&session_id) {
                session.token_ids.retain(|t| *t != id);
            }
        }
    }
}

impl Revocations {
    fn len(&self) -> usize {
        self.token_ids.len() + self.session_ids.len() + self.subjects.len()
    }

    fn sweep(&mut self, now: i64) {
        self.token_ids.retain(|_, until| *until > now);
        self.session_ids.retain(|_, until| *until > now);
        self.subjects.retain(|_, (_, until)| *until > now);
    }

    fn is_revoked(&self, token: &TokenInfo) -> bool {
        if token
            .token_id()
            .is_some_and(|jti| self.token_ids.contains_key(jti))
        {
            return true;
        }
        if token
            .session_id()
            .is_some_and(|sid| self.session_ids.contains_key(sid))
        {
            return true;
        }
        match token.subject().and_then(|sub| self.subjects.get(sub)) {
            Some((not_before, _)) => token.issued_at().is_none_or(|iat| iat < *not_before),
            None => false,
        }
    }
}

impl RevocationCheck for MemoryStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Ok(self.read_revocations().is_revoked(token)))
    }
}

impl SessionStore for MemoryStore {
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        let now = self.inner.clock.now();
        let mut sessions = self.lock_sessions();
        if let Err(e) = self.make_room(&mut sessions, now) {
            return Self::ready(Err(e));
        }
        let NewSession { session, refresh } = new;
        let session_id = session.session_id.clone();
        sessions
            .by_subject
            .entry(session.subject.clone())
            .or_default()
            .insert(session_id.clone());
        sessions.tokens.insert(
            refresh.id.clone(),
            TokenEntry {
                session_id: session_id.clone(),
                secret_hash: refresh.secret_hash,
                expires_at: refresh.expires_at.min(session.expires_at),
                used_at: None,
                replaced_by: None,
            },
        );
        sessions.sessions.insert(
            session_id,
            SessionEntry {
                record: session,
                current: refresh.id.clone(),
                token_ids: vec![refresh.id],
            },
        );
        Self::ready(Ok(()))
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let now = request.now;
        let mut sessions = self.lock_sessions();
        let state = &mut *sessions;
        let Some(token) = state.tokens.get(&request.id) else {
            return Self::ready(Ok(RotateOutcome::Invalid));
        };
        // Hash before anything else: a wrong secret for a real id changes nothing.
        if !bool::from(token.secret_hash.ct_eq(&request.secret_hash)) {
            return Self::ready(Ok(RotateOutcome::Invalid));
        }
        let session_id = token.session_id.clone();
        let Some(session) = state.sessions.get(&session_id) else {
            return Self::ready(Ok(RotateOutcome::Invalid));
        };
        if now >= session.record.expires_at {
            return Self::ready(Ok(RotateOutcome::Invalid));
        }
        let (record, current) = (session.record.clone(), session.current.clone());
        match (token.used_at, token.replaced_by.clone()) {
            (None, _) => {
                if now >= token.expires_at {
                    return Self::ready(Ok(RotateOutcome::Invalid));
                }
                if let Err(e) = self.make_room(state, now) {
                    return Self::ready(Err(e));
                }
                let successor = RefreshGrant {
                    expires_at: request.successor.expires_at.min(record.expires_at),
                    ..request.successor
                };
                let token = state.tokens.get_mut(&request.id).expect("checked above");
                token.used_at = Some(now);
                token.replaced_by = Some(successor.id.clone());
                state.tokens.insert(
                    successor.id.clone(),
                    TokenEntry {
                        session_id: session_id.clone(),
                        secret_hash: successor.secret_hash,
                        expires_at: successor.expires_at,
                        used_at: None,
                        replaced_by: None,
                    },
                );
                let session = state.sessions.get_mut(&session_id).expect("checked above");
                session.current = successor.id.clone();
                session.token_ids.push(successor.id.clone());
                Self::ready(Ok(RotateOutcome::Rotated {
                    session: record,
                    successor,
                }))
            }
            (Some(used_at), Some(next))
                if now < used_at + request.grace_period && next == current =>
            {
                Self::ready(Ok(RotateOutcome::Retried {
                    session: record,
                    successor_id: next,
                }))
            }
            (Some(_), _) => {
                let subject = record.subject;
                let until = record.expires_at;
                self.revoke_session_locked(state, &session_id, until);
                Self::ready(Ok(RotateOutcome::Reused {
                    session_id,
                    subject,
                }))
            }
        }
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let mut sessions = self.lock_sessions();
        self.revoke_session_locked(&mut sessions, session_id, until);
        Self::ready(Ok(()))
    }

    fn revoke_refresh_token(&self, id: &str, secret_hash: [u8; 32]) -> StoreFuture<bool> {
        let mut sessions = self.lock_sessions();
        let Some(token) = sessions.tokens.get(id) else {
            return Self::ready(Ok(false));
        };
        if !bool::from(token.secret_hash.ct_eq(&secret_hash)) {
            return Self::ready(Ok(false));
        }
        let session_id = token.session_id.clone();
        let until = sessions
            .sessions
            .get(&session_id)
            .map_or(0, |s| s.record.expires_at);
        self.revoke_session_locked(&mut sessions, &session_id, until);
        Self::ready(Ok(true))
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let now = self.inner.clock.now();
        let mut sessions = self.lock_sessions();
        if let Err(e) = self.make_room(&mut sessions, now) {
            return Self::ready(Err(e));
        }
        self.write_revocations()
            .token_ids
            .insert(jti.to_owned(), until);
        Self::ready(Ok(()))
    }

    fn revoke_subject(&self, subject: &str, not_before: i64, until: i64) -> StoreFuture<()> {
        let mut sessions = self.lock_sessions();
        let session_ids: Vec<String> = sessions
            .by_subject
            .get(subject)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for session_id in session_ids {
            let end = sessions
                .sessions
                .get(&session_id)
                .map_or(until, |s| s.record.expires_at);
            self.revoke_session_locked(&mut sessions, &session_id, end);
        }
        self.write_revocations()
            .subjects
            .insert(subject.to_owned(), (not_before, until));
        Self::ready(Ok(()))
    }
}
