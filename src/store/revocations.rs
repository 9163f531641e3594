//! Revocations held in memory: revoked token ids, revoked sessions and subjects' "logged out everywhere" times,
//! each kept until its `until`. The memory store keeps its revocations here, and the Redis store's local mirror
//! keeps its copy of Redis's here.

use std::collections::HashMap;

use crate::token::info::TokenInfo;

/// Revocation markers by kind, each with the time it may be forgotten.
#[derive(Debug, Default)]
pub(crate) struct Revocations {
    token_ids: HashMap<String, i64>,
    session_ids: HashMap<String, i64>,
    /// issuer → subject → (not before, until); nested so a lookup borrows instead of allocating a key.
    subjects: HashMap<String, HashMap<String, (i64, i64)>>,
    /// issuer → session id → until: another issuer's sessions (an identity provider's back-channel logout),
    /// matched only by tokens of that issuer.
    issuer_sessions: HashMap<String, HashMap<String, i64>>,
}

/// Keeps the later of two `until`s: a marker is only ever lengthened.
fn lengthen(map: &mut HashMap<String, i64>, key: &str, until: i64) {
    match map.get_mut(key) {
        Some(existing) => *existing = (*existing).max(until),
        None => {
            map.insert(key.to_owned(), until);
        }
    }
}

impl Revocations {
    /// How many markers are held.
    pub(crate) fn len(&self) -> usize {
        self.token_ids.len()
            + self.session_ids.len()
            + self.subjects.values().map(HashMap::len).sum::<usize>()
            + self
                .issuer_sessions
                .values()
                .map(HashMap::len)
                .sum::<usize>()
    }

    /// The token `jti` is revoked until `until`.
    pub(crate) fn revoke_token(&mut self, jti: &str, until: i64) {
        lengthen(&mut self.token_ids, jti, until);
    }

    /// The session is revoked until `until`.
    pub(crate) fn revoke_session(&mut self, session_id: &str, until: i64) {
        lengthen(&mut self.session_ids, session_id, until);
    }

    /// The subject's tokens of `issuer` issued before `not_before` are revoked until `until` (the later of each
    /// is kept).
    pub(crate) fn revoke_subject(
        &mut self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) {
        let subjects = self.subjects.entry(issuer.to_owned()).or_default();
        let entry = subjects
            .entry(subject.to_owned())
            .or_insert((not_before, until));
        *entry = (entry.0.max(not_before), entry.1.max(until));
    }

    /// The session `session_id` of `issuer` (not the local one: an identity provider's) is revoked until
    /// `until`: it covers only tokens whose `iss` is `issuer`.
    pub(crate) fn revoke_issuer_session(&mut self, issuer: &str, session_id: &str, until: i64) {
        let sessions = self.issuer_sessions.entry(issuer.to_owned()).or_default();
        lengthen(sessions, session_id, until);
    }

    /// Adds every marker of `other` (keeping the later `until` and not-before of each).
    #[cfg(feature = "redis")]
    pub(crate) fn merge(&mut self, other: Revocations) {
        for (jti, until) in other.token_ids {
            lengthen(&mut self.token_ids, &jti, until);
        }
        for (sid, until) in other.session_ids {
            lengthen(&mut self.session_ids, &sid, until);
        }
        for (issuer, subjects) in other.subjects {
            for (subject, (not_before, until)) in subjects {
                self.revoke_subject(&issuer, &subject, not_before, until);
            }
        }
        for (issuer, sessions) in other.issuer_sessions {
            for (sid, until) in sessions {
                self.revoke_issuer_session(&issuer, &sid, until);
            }
        }
    }

    /// Forgets the markers whose `until` has passed.
    pub(crate) fn sweep(&mut self, now: i64) {
        self.token_ids.retain(|_, until| *until > now);
        self.session_ids.retain(|_, until| *until > now);
        for subjects in self.subjects.values_mut() {
            subjects.retain(|_, (_, until)| *until > now);
        }
        self.subjects.retain(|_, subjects| !subjects.is_empty());
        for sessions in self.issuer_sessions.values_mut() {
            sessions.retain(|_, until| *until > now);
        }
        self.issuer_sessions
            .retain(|_, sessions| !sessions.is_empty());
    }

    /// Whether a marker covers `token`: its `jti`, its session, its issuer's session (an identity provider's), or
    /// its subject's not-before. Markers past their `until` still count until swept: they only cover tokens that
    /// have expired anyway.
    pub(crate) fn is_revoked(&self, token: &TokenInfo) -> bool {
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
        if self.subjects.is_empty() && self.issuer_sessions.is_empty() {
            return false;
        }
        let Some(iss) = token.issuer() else {
            return false;
        };
        if let (Some(sessions), Some(sid)) = (self.issuer_sessions.get(iss), token.session_id()) {
            if sessions.contains_key(sid) {
                return true;
            }
        }
        let Some(sub) = token.subject() else {
            return false;
        };
        self.subjects
            .get(iss)
            .and_then(|subjects| subjects.get(sub))
            .is_some_and(|(not_before, _)| token.is_logged_out_by(*not_before))
    }
}
