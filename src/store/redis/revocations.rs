//! The Redis store's revocations: markers recorded and announced by one script each, sessions ended marker
//! first, logout everywhere, and the check the layer makes (answered by the local mirror).

use crate::store::redis::keys::{subject_member, Marker};
use crate::store::redis::store::RedisStore;
use crate::store::{Lookup, RevocationCheck, StoreError, StoreFuture};
use crate::token::info::TokenInfo;

/// How many times logout-all reads the session index again for logins that raced it.
const SUBJECT_PASSES: usize = 8;

impl RedisStore {
    /// Revokes a session now: its marker recorded and announced, then the session deleted.
    pub(super) fn revoke_session_now(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let session_key = self.layout.session(session_id);
        let session_id = session_id.to_owned();
        self.boxed(async move {
            // The marker (and its announcement) first: if ending the session then fails, it is over-revoked,
            // never under-revoked. A session already revoked until then or later writes nothing.
            store.mark(Marker::Session, &session_id, until).await?;
            store.mirror.write().revoke_session(&session_id, until);
            store
                .run(|mut connection, _| async move {
                    redis::cmd("DEL")
                        .arg(&session_key)
                        .query_async::<i64>(&mut connection)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    /// Ends a session a conditional script (reuse, revoking a refresh token) found to end. On one server the
    /// script ended it and recorded its marker: only the local mirror is left. On a cluster the script changed
    /// nothing, and the session is revoked now, marker first: a failure in between leaves it over-revoked or
    /// untouched (the request undone), never ended without its marker.
    pub(super) async fn end_session(&self, session_id: &str, until: i64) -> Result<(), StoreError> {
        if self.cluster {
            return self.revoke_session_now(session_id, until).await;
        }
        self.mirror.write().revoke_session(session_id, until);
        Ok(())
    }

    /// Revokes an access token id: its marker recorded and announced, then put into the local mirror.
    pub(super) fn revoke_token_now(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let store = self.clone();
        let jti = jti.to_owned();
        self.boxed(async move {
            store.mark(Marker::Token, &jti, until).await?;
            store.mirror.write().revoke_token(&jti, until);
            Ok(())
        })
    }

    /// Logs `subject` of `issuer` out everywhere: its marker first, then each of its sessions ended.
    pub(super) fn revoke_subject_everywhere(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let store = self.clone();
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            // First refuse the subject's older tokens (unless an equal or later logout-all already does), then read
            // its sessions and end each one (each atomic, in its own slot), and take from the index only the
            // sessions that were ended. A login that lands meanwhile stays indexed, and the next pass (or the next
            // logout-all) ends it.
            store
                .mark_subject(&issuer, &subject, not_before, until.max(1))
                .await?;
            store
                .mirror
                .write()
                .revoke_subject(&issuer, &subject, not_before, until.max(1));
            let index_key = store.layout.subject_sessions(&subject);
            for _ in 0..SUBJECT_PASSES {
                if !store
                    .end_indexed_sessions(&index_key, not_before, until)
                    .await?
                {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Revokes session `session_id` of another issuer (an identity provider's): its marker recorded and
    /// announced, then put into the local mirror. No session of this store is touched.
    pub(super) fn revoke_issuer_session_now(
        &self,
        issuer: &str,
        session_id: &str,
        until: i64,
    ) -> StoreFuture<()> {
        let store = self.clone();
        let (issuer, session_id) = (issuer.to_owned(), session_id.to_owned());
        self.boxed(async move {
            let member = subject_member(&issuer, &session_id);
            store.mark(Marker::IssuerSession, &member, until).await?;
            store
                .mirror
                .write()
                .revoke_issuer_session(&issuer, &session_id, until.max(1));
            Ok(())
        })
    }

    /// Refuses `subject`'s tokens of another issuer issued before `not_before`: the subject marker alone,
    /// recorded, announced and mirrored; no session of this store is ended.
    pub(super) fn revoke_issuer_subject_now(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let store = self.clone();
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            let until = until.max(1);
            store
                .mark_subject(&issuer, &subject, not_before, until)
                .await?;
            store
                .mirror
                .write()
                .revoke_subject(&issuer, &subject, not_before, until);
            Ok(())
        })
    }

    /// Records that `subject` of `issuer` is logged out everywhere before `not_before` (one script: the later
    /// not-before and the later until are kept, and announced).
    async fn mark_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> Result<(), StoreError> {
        let marker_keys = [
            self.layout.markers(Marker::Subject),
            self.layout.not_before(),
            self.layout.feed(),
        ];
        let member = subject_member(issuer, subject);
        let (iss, sub) = (issuer.to_owned(), subject.to_owned());
        self.run(|mut connection, scripts| async move {
            scripts
                .mark_subject
                .key(&marker_keys[0])
                .key(&marker_keys[1])
                .key(&marker_keys[2])
                .arg(&member)
                .arg(not_before)
                .arg(until)
                .arg(&iss)
                .arg(&sub)
                .invoke_async::<i64>(&mut connection)
                .await
        })
        .await
        .map(drop)
    }

    /// One pass of logout-all: reads the subject's indexed sessions (pruning ended ones), ends each, and takes
    /// the ended ones from the index; `false` when there were none.
    async fn end_indexed_sessions(
        &self,
        index_key: &str,
        not_before: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let idx_key = index_key.to_owned();
        let sessions: Vec<String> = self
            .run(|mut connection, scripts| async move {
                scripts
                    .subject_sessions
                    .key(&idx_key)
                    .arg(not_before)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        if sessions.is_empty() {
            return Ok(false);
        }
        for session_id in &sessions {
            self.revoke_session_now(session_id, until).await?;
        }
        let idx_key = index_key.to_owned();
        self.run(|mut connection, _| async move {
            redis::cmd("ZREM")
                .arg(&idx_key)
                .arg(&sessions)
                .query_async::<()>(&mut connection)
                .await
        })
        .await?;
        Ok(true)
    }
}

/// Answered from the local mirror: no round trip, on the layer's synchronous path. Fails closed (a
/// [`StoreError`], 503 from the layer) until the mirror has hydrated, and while the feed is silent for longer than
/// [`RedisStoreBuilder::max_feed_lag`](super::RedisStoreBuilder::max_feed_lag).
impl RevocationCheck for RedisStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(self.mirror.is_revoked(token))
    }
}
