//! The [`SessionStore`] operations of [`MemoryStore`]: each one lock of its state, answered at once.

use super::{MemoryStore, SessionEntry};
use crate::store::presented::{judge_rotation, Presented, StoredTokens};
use crate::store::StoreFuture;
use crate::store::{ListSessions, SessionPage};
use crate::store::{
    NewSession, RefreshTokenState, RotateOutcome, RotateRequest, SessionRecord, SessionStore,
};

impl SessionStore for MemoryStore {
    /// One process's memory: a random successor key lives exactly as long as the sessions.
    fn is_shared_or_persistent(&self) -> bool {
        false
    }
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        // A session starts now: its `auth_time` is the caller's clock.
        let now = self.observe(new.session.auth_time);
        let mut sessions = self.lock_sessions();
        self.count_write(&mut sessions, now);
        if let Err(e) = self.room_for_session(&mut sessions, now) {
            return Self::ready(Err(e));
        }
        let NewSession {
            session,
            mut refresh,
        } = new;
        refresh.expires_at = refresh.expires_at.min(session.expires_at);
        let session_id = session.session_id.clone();
        sessions
            .by_subject
            .entry(session.subject.clone())
            .or_default()
            .insert((session.expires_at, session_id.clone()));
        sessions.sessions.insert(
            session_id,
            SessionEntry {
                record: session,
                tokens: StoredTokens {
                    current: refresh,
                    previous_hash: None,
                    rotated_at: i64::MIN,
                },
            },
        );
        Self::ready(Ok(()))
    }

    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        self.observe(request.now);
        let mut sessions = self.lock_sessions();
        let entry = sessions
            .sessions
            .get_mut(&request.session_id)
            .filter(|entry| {
                entry.record.subject == request.subject && entry.record.expires_at > request.now
            });
        let Some(entry) = entry else {
            return Self::ready(Ok(false));
        };
        entry.record.auth_time = request.auth_time;
        entry.record.claims = request.claims;
        Self::ready(Ok(true))
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let now = request.now;
        self.observe(now);
        let mut sessions = self.lock_sessions();
        self.count_write(&mut sessions, now);
        let Some(entry) = sessions.sessions.get_mut(&request.session_id) else {
            return Self::ready(Ok(RotateOutcome::Invalid));
        };
        let judged = judge_rotation(
            Some((&entry.tokens, entry.record.expires_at)),
            request.generation,
            &request.secret_hash,
            now,
            request.grace_period,
        );
        let outcome = match judged {
            Presented::Current => entry.rotate(request.successor, now),
            Presented::Retry => RotateOutcome::Retried {
                session: entry
                    .record
                    .clone()
                    .with_last_refresh_at(entry.tokens.rotated_at),
                successor: entry.tokens.current.clone(),
            },
            Presented::Reuse => {
                let subject = entry.record.subject.clone();
                self.revoke_session_locked(
                    &mut sessions,
                    &request.session_id,
                    request.revoke_until,
                );
                RotateOutcome::Reused {
                    session_id: request.session_id,
                    subject,
                }
            }
            Presented::Outdated => RotateOutcome::Outdated,
            Presented::Invalid => RotateOutcome::Invalid,
        };
        Self::ready(Ok(outcome))
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let mut sessions = self.lock_sessions();
        self.revoke_session_locked(&mut sessions, session_id, until);
        Self::ready(Ok(()))
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let mut sessions = self.lock_sessions();
        let Some(entry) = sessions.sessions.get(session_id) else {
            return Self::ready(Ok(false));
        };
        if !entry
            .tokens
            .is_current_or_previous(generation, &secret_hash)
        {
            return Self::ready(Ok(false));
        }
        self.revoke_session_locked(&mut sessions, session_id, until);
        Self::ready(Ok(true))
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        self.record_marker(|revocations| revocations.revoke_token(jti, until))
    }

    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        Self::ready(Ok(self.lock_sessions().list(&request)))
    }

    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        let sessions = self.lock_sessions();
        let entry = sessions.sessions.get(session_id);
        Self::ready(Ok(entry.and_then(|entry| entry.live_record(now))))
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        // One lock over the sessions: a login either lands before (and is revoked) or after (and is not).
        let mut sessions = self.lock_sessions();
        let session_ids: Vec<String> = sessions
            .by_subject
            .get(subject)
            .map(|s| s.iter().map(|(_, id)| id.clone()).collect())
            .unwrap_or_default();
        for session_id in session_ids {
            self.revoke_session_locked(&mut sessions, &session_id, until);
        }
        self.write_revocations()
            .revoke_subject(issuer, subject, not_before, until);
        Self::ready(Ok(()))
    }

    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        let sessions = self.lock_sessions();
        let entry = sessions.sessions.get(session_id);
        let state = entry.and_then(|e| {
            e.tokens
                .live_state(&e.record, generation, &secret_hash, now)
        });
        Self::ready(Ok(state))
    }

    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        self.record_marker(|r| r.revoke_issuer_session(issuer, session_id, until))
    }

    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.record_marker(|r| r.revoke_subject(issuer, subject, not_before, until))
    }
}
