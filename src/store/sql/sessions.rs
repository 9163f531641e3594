//! The SQL store's sessions: creating, rotating (one conditional `UPDATE`, then the decision of
//! `store/presented.rs` on the row it reads) and revoking refresh tokens.

use sqlx::Row;

use crate::store::presented::{judge_rotation, Presented, StoredTokens};
use crate::store::sql::dialect::on_pool;
use crate::store::sql::feed::sql_error;
use crate::store::sql::listing::with_device;
use crate::store::sql::marker::Marker;
use crate::store::sql::store::SqlStore;
use crate::store::{
    ListSessions, NewSession, RefreshGrant, RefreshTokenState, RotateOutcome, RotateRequest,
    SessionPage, SessionRecord, SessionStore, StoreError, StoreFuture,
};

/// A stored session, as `read_session` returns it.
struct StoredSession {
    record: SessionRecord,
    tokens: StoredTokens,
}

/// A stored SHA-256 hash (a column of 32 bytes).
fn hash_of(bytes: Vec<u8>) -> Result<[u8; 32], sqlx::Error> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| sqlx::Error::Decode("a stored refresh-token hash is not 32 bytes".into()))
}

impl SqlStore {
    async fn read_session(&self, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
        let s = &self.inner.feed.statements;
        let row = on_pool!(&self.inner.feed.backend, |pool| {
            let row = sqlx::query(&s.read_session)
                .bind(session_id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let record = SessionRecord::new(
                    session_id,
                    row.try_get::<String, _>(0)?,
                    row.try_get::<i64, _>(1)?,
                    row.try_get::<i64, _>(2)?,
                    row.try_get::<String, _>(3)?,
                );
                Ok::<_, sqlx::Error>(StoredSession {
                    record: with_device(record, &row, 8)?,
                    tokens: StoredTokens {
                        current: RefreshGrant::new(
                            row.try_get::<i64, _>(4)? as u64,
                            hash_of(row.try_get::<Vec<u8>, _>(5)?)?,
                            row.try_get::<i64, _>(6)?,
                        ),
                        previous_hash: row
                            .try_get::<Option<Vec<u8>>, _>(7)?
                            .map(hash_of)
                            .transpose()?,
                        rotated_at: row.try_get::<i64, _>(8)?,
                    },
                })
            })
            .transpose()
        })
        .map_err(sql_error)?;
        Ok(row)
    }

    async fn create(&self, new: NewSession) -> Result<(), StoreError> {
        let NewSession {
            session,
            mut refresh,
        } = new;
        self.observe(session.auth_time);
        refresh.expires_at = refresh.expires_at.min(session.expires_at);
        let s = &self.inner.feed.statements;
        on_pool!(&self.inner.feed.backend, |pool| {
            sqlx::query(&s.create_session)
                .bind(&session.session_id)
                .bind(&session.subject)
                .bind(session.auth_time)
                .bind(session.expires_at)
                .bind(&session.claims)
                .bind(refresh.generation as i64)
                .bind(refresh.secret_hash.to_vec())
                .bind(refresh.expires_at)
                .bind(i64::MIN)
                .bind(session.created_at)
                .bind(session.user_agent.as_deref())
                .execute(pool)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
        .map_err(sql_error)
    }

    /// The conditional `UPDATE` that rotates the current token, not expired, in a live session: the outcome when
    /// it updated the row, `None` when the presented token is not that.
    async fn rotate_current(
        &self,
        request: &RotateRequest,
    ) -> Result<Option<RotateOutcome>, StoreError> {
        let now = request.now;
        let s = &self.inner.feed.statements;
        on_pool!(&self.inner.feed.backend, |pool| {
            let row = sqlx::query(&s.rotate)
                .bind(&request.session_id)
                .bind(request.generation as i64)
                .bind(request.secret_hash.to_vec())
                .bind(request.successor.secret_hash.to_vec())
                .bind(request.successor.expires_at)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let session = SessionRecord::new(
                    request.session_id.as_str(),
                    row.try_get::<String, _>(0)?,
                    row.try_get::<i64, _>(1)?,
                    row.try_get::<i64, _>(2)?,
                    row.try_get::<String, _>(3)?,
                );
                let session = with_device(session, &row, 6)?;
                let successor = RefreshGrant::new(
                    row.try_get::<i64, _>(4)? as u64,
                    request.successor.secret_hash,
                    row.try_get::<i64, _>(5)?,
                );
                Ok::<_, sqlx::Error>(RotateOutcome::Rotated { session, successor })
            })
            .transpose()
        })
        .map_err(sql_error)
    }

    async fn rotate_now(&self, request: RotateRequest) -> Result<RotateOutcome, StoreError> {
        let now = request.now;
        self.observe(now);
        if let Some(rotated) = self.rotate_current(&request).await? {
            return Ok(rotated);
        }
        // Not the current token (or not any more): the previous one (a retry, or reuse), an older one, or
        // nothing valid.
        let Some(stored) = self.read_session(&request.session_id).await? else {
            return Ok(RotateOutcome::Invalid);
        };
        let judged = judge_rotation(
            Some((&stored.tokens, stored.record.expires_at)),
            request.generation,
            &request.secret_hash,
            now,
            request.grace_period,
        );
        Ok(match judged {
            Presented::Retry => RotateOutcome::Retried {
                session: stored.record,
                successor: stored.tokens.current,
            },
            Presented::Reuse => {
                let marker = Marker::session(&request.session_id, request.revoke_until);
                self.revoke(Some(&request.session_id), &[marker]).await?;
                RotateOutcome::Reused {
                    session_id: request.session_id,
                    subject: stored.record.subject,
                }
            }
            Presented::Outdated => RotateOutcome::Outdated,
            // Current, yet the conditional update missed it: it expired (or moved on) in between.
            Presented::Current | Presented::Invalid => RotateOutcome::Invalid,
        })
    }

    async fn revoke_refresh(
        &self,
        session_id: String,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> Result<bool, StoreError> {
        let Some(stored) = self.read_session(&session_id).await? else {
            return Ok(false);
        };
        if !stored
            .tokens
            .is_current_or_previous(generation, &secret_hash)
        {
            return Ok(false);
        }
        self.revoke(Some(&session_id), &[Marker::session(&session_id, until)])
            .await?;
        Ok(true)
    }
}

impl SessionStore for SqlStore {
    fn create_session(&self, session: NewSession) -> StoreFuture<()> {
        let store = self.clone();
        self.boxed(async move { store.create(session).await })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<RotateOutcome> {
        let store = self.clone();
        self.boxed(async move { store.rotate_now(request).await })
    }

    fn revoke_session(&self, session_id: &str, until: i64) -> StoreFuture<()> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            let marker = Marker::session(&session_id, until);
            store.revoke(Some(&session_id), &[marker]).await
        })
    }

    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> StoreFuture<bool> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            store
                .revoke_refresh(session_id, generation, secret_hash, until)
                .await
        })
    }

    fn list_sessions(&self, request: ListSessions) -> StoreFuture<SessionPage> {
        let store = self.clone();
        self.boxed(async move { store.list_page(request).await })
    }

    fn find_session(&self, session_id: &str, now: i64) -> StoreFuture<Option<SessionRecord>> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            let stored = store.read_session(&session_id).await?;
            Ok(stored
                .filter(|s| s.record.expires_at > now && s.tokens.current.expires_at > now)
                .map(|s| s.record))
        })
    }

    fn reauthenticate(&self, request: crate::store::Reauthentication) -> StoreFuture<bool> {
        let store = self.clone();
        self.boxed(async move { store.reauthenticate_session(request).await })
    }

    fn revoke_token(&self, jti: &str, until: i64) -> StoreFuture<()> {
        let (store, jti) = (self.clone(), jti.to_owned());
        self.boxed(async move { store.revoke(None, &[Marker::token(&jti, until)]).await })
    }

    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let (store, issuer, subject) = (self.clone(), issuer.to_owned(), subject.to_owned());
        self.boxed(async move {
            store
                .revoke_everywhere(issuer, subject, not_before, until)
                .await
        })
    }

    fn refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        let (store, session_id) = (self.clone(), session_id.to_owned());
        self.boxed(async move {
            let stored = store.read_session(&session_id).await?;
            Ok(stored.and_then(|StoredSession { record, tokens }| {
                tokens.live_state(&record, generation, &secret_hash, now)
            }))
        })
    }

    fn revoke_issuer_session(&self, issuer: &str, session_id: &str, until: i64) -> StoreFuture<()> {
        let marker = Marker::issuer_session(issuer, session_id, until);
        let store = self.clone();
        self.boxed(async move { store.revoke(None, &[marker]).await })
    }

    fn revoke_issuer_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> StoreFuture<()> {
        let marker = Marker::subject(issuer, subject, not_before, until);
        let store = self.clone();
        self.boxed(async move { store.revoke(None, &[marker]).await })
    }
}
