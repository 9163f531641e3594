//! The Redis store's sessions: creating, rotating (the `ROTATE` script) and revoking refresh tokens.

use crate::store::redis::scripts::session_invocation;
use crate::store::redis::store::{hex, parse_hash, parse_i64, parse_u64, session_from, RedisStore};
use crate::store::{
    ListSessions, NewSession, RefreshGrant, RefreshTokenState, RotateOutcome, RotateRequest,
    SessionPage, SessionRecord, SessionStore, StoreError, StoreFuture,
};

impl SessionStore for RedisStore {
    fn create_session(&self, new: NewSession) -> StoreFuture<()> {
        let store = self.clone();
        let NewSession { session, refresh } = new;
        let session_key = self.layout.session(&session.session_id);
        let index_key = self.layout.subject_sessions(&session.subject);
        let now = session.auth_time;
        self.boxed(async move {
            store
                .run(|mut connection, scripts| async move {
                    scripts
                        .create
                        .key(&session_key)
                        .arg(&session.subject)
                        .arg(session.auth_time)
                        .arg(session.expires_at)
                        .arg(&session.claims)
                        .arg(refresh.generation)
                        .arg(hex(&refresh.secret_hash))
                        .arg(refresh.expires_at.min(session.expires_at).max(1))
                        .arg(session.created_at)
                        .arg(session.user_agent.as_deref().unwrap_or(""))
                        .invoke_async::<i64>(&mut connection)
                        .await?;
                    // The subject's session index, for "log out everywhere"; it lives as long as its longest
                    // session. Written after the session, so a logout-all that reads the index finds only
                    // sessions that exist (a session created but not yet indexed is a login still in progress).
                    scripts
                        .index_session
                        .key(&index_key)
                        .arg(&session.session_id)
                        .arg(session.expires_at.max(1))
                        .arg(now)
                        .invoke_async::<i64>(&mut connection)
                        .await
                        .map(drop)
                })
                .await
        })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let store = self.clone();
        self.boxed(async move {
            let reply = store.run_rotate(&request).await?;
            let session_id = request.session_id;
            Ok(match reply.first().map(String::as_str) {
                Some("rotated") => RotateOutcome::Rotated {
                    session: session_from(&session_id, &reply)?,
                    successor: RefreshGrant {
                        generation: parse_u64(reply.get(5))?,
                        secret_hash: request.successor.secret_hash,
                        expires_at: parse_i64(reply.get(6))?,
                    },
                },
                Some("retried") => RotateOutcome::Retried {
                    session: session_from(&session_id, &reply)?,
                    successor: RefreshGrant {
                        generation: parse_u64(reply.get(5))?,
                        expires_at: parse_i64(reply.get(6))?,
                        secret_hash: parse_hash(reply.get(7))?,
                    },
                },
                Some("reused") => {
                    store
                        .end_session(&session_id, request.revoke_until.max(1))
                        .await?;
                    RotateOutcome::Reused {
                        session_id,
                        subject: reply.get(1).cloned().unwrap_or_default(),
                    }
                }
                Some("outdated") => RotateOutcome::Outdated,
                _ => RotateOutcome::Invalid,
            })
        })
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        self.revoke_session_now(session_id, until)
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let store = self.clone();
        let session_key = self.layout.session(session_id);
        let marking = self.session_marking();
        let session_id = session_id.to_owned();
        self.boxed(async move {
            let sid = session_id.clone();
            let revoked: i64 = store
                .run(|mut connection, scripts| async move {
                    session_invocation(&scripts.revoke_refresh, &session_key, &marking)
                        .arg(generation)
                        .arg(hex(&secret_hash))
                        .arg(until.max(1))
                        .arg(&sid)
                        .invoke_async(&mut connection)
                        .await
                })
                .await?;
            if revoked == 1 {
                store.end_session(&session_id, until.max(1)).await?;
            }
            Ok(revoked == 1)
        })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        self.revoke_token_now(jti, until)
    }

    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        let store = self.clone();
        self.boxed(async move { store.list_page(request).await })
    }

    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move { store.live_session(&session_id, now).await })
    }

    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        let store = self.clone();
        self.boxed(async move { store.reauthenticate_session(request).await })
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.revoke_subject_everywhere(issuer, subject, not_before, until)
    }

    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        self.read_refresh_token_state(session_id, generation, secret_hash, now)
    }

    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        self.revoke_issuer_session_now(issuer, session_id, until)
    }

    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        self.revoke_issuer_subject_now(issuer, subject, not_before, until)
    }
}

impl RedisStore {
    /// Runs the `ROTATE` script for `request`: its reply (the outcome's name first, then the session's fields).
    async fn run_rotate(&self, request: &RotateRequest) -> Result<Vec<String>, StoreError> {
        let session_key = self.layout.session(&request.session_id);
        let marking = self.session_marking();
        let sid = request.session_id.clone();
        let args = (
            request.generation,
            hex(&request.secret_hash),
            request.now,
            request.grace_period,
            hex(&request.successor.secret_hash),
            request.successor.expires_at,
            request.revoke_until.max(1),
        );
        self.run(|mut connection, scripts| async move {
            let (generation, hash, now, grace, successor_hash, successor_exp, until) = args;
            session_invocation(&scripts.rotate, &session_key, &marking)
                .arg(generation)
                .arg(hash)
                .arg(now)
                .arg(grace)
                .arg(successor_hash)
                .arg(successor_exp)
                .arg(until)
                .arg(&sid)
                .invoke_async(&mut connection)
                .await
        })
        .await
    }
}
