//! The Redis store's device list: a page of a subject's session index (the `LIST_SESSIONS` script, in the
//! index's slot), then each listed session's hash (in its own slot; pipelined on one server), live ones only.

use crate::store::redis::store::RedisStore;
use crate::store::{ListSessions, SessionCursor, SessionPage, SessionRecord, StoreError};
use crate::token::info::TokenInfo;

/// The fields of a session hash a listing reads, in this order.
const FIELDS: [&str; 8] = [
    "sub",
    "auth_time",
    "exp",
    "claims",
    "texp",
    "created",
    "rotated",
    "ua",
];

impl RedisStore {
    /// One page of `request.subject`'s live sessions.
    pub(super) async fn list_page(&self, request: ListSessions) -> Result<SessionPage, StoreError> {
        let index_key = self.layout.subject_sessions(&request.subject);
        let (after_end, after_id) = match &request.after {
            Some(cursor) => (cursor.expires_at.to_string(), cursor.session_id.clone()),
            None => (String::new(), String::new()),
        };
        let limit = request.limit;
        let now = request.now;
        let reply: Vec<String> = self
            .run(|mut connection, scripts| async move {
                scripts
                    .list_sessions
                    .key(&index_key)
                    .arg(now)
                    .arg(limit)
                    .arg(after_end)
                    .arg(after_id)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        let more = reply.first().map(String::as_str) == Some("more");
        let mut listed = Vec::new();
        for pair in reply.get(1..).unwrap_or_default().chunks(2) {
            let [session_id, end] = pair else {
                return Err(StoreError::new("unexpected reply from Redis"));
            };
            let expires_at = end
                .parse::<f64>()
                .map_err(|_| StoreError::new("unexpected reply from Redis"))?;
            listed.push(SessionCursor::new(expires_at as i64, session_id.as_str()));
        }
        let ids: Vec<&str> = listed.iter().map(|c| c.session_id.as_str()).collect();
        let fields = self.session_fields(&ids).await?;
        let mut sessions = Vec::new();
        for (session_id, values) in ids.iter().zip(fields) {
            sessions.extend(self.live_record(session_id, &values, now));
        }
        Ok(SessionPage::new(sessions, listed.pop().filter(|_| more)))
    }

    /// The listed fields of each session's hash: one pipelined round trip on one server; on a cluster, whose
    /// sessions live in slots of their own, one call per session.
    async fn session_fields(&self, ids: &[&str]) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        let keys: Vec<String> = ids.iter().map(|id| self.layout.session(id)).collect();
        // An empty pipeline is a client error, and there is nothing to read.
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if !self.cluster {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("HMGET").arg(key).arg(&FIELDS);
            }
            return self
                .run(|mut connection, _| async move { pipe.query_async(&mut connection).await })
                .await;
        }
        let mut all = Vec::with_capacity(keys.len());
        for key in keys {
            let values: Vec<Option<String>> = self
                .run(|mut connection, _| async move {
                    redis::cmd("HMGET")
                        .arg(&key)
                        .arg(&FIELDS)
                        .query_async(&mut connection)
                        .await
                })
                .await?;
            all.push(values);
        }
        Ok(all)
    }

    /// Session `session_id` if it is live at `now` (see [`live_record`](Self::live_record)).
    pub(super) async fn live_session(
        &self,
        session_id: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let fields = self.session_fields(&[session_id]).await?;
        let values = fields.into_iter().next().unwrap_or_default();
        Ok(self.live_record(session_id, &values, now))
    }

    /// The session read from its hash's [`FIELDS`] if it is live at `now`: the hash exists (a revoked or
    /// idled-out session has none), neither end has passed, and no revocation marker names it.
    fn live_record(
        &self,
        session_id: &str,
        values: &[Option<String>],
        now: i64,
    ) -> Option<SessionRecord> {
        let field = |i: usize| values.get(i).cloned().flatten();
        let number = |i: usize| field(i).and_then(|v| v.parse::<i64>().ok());
        let (subject, auth_time, expires_at, token_end) =
            (field(0)?, number(1)?, number(2)?, number(4)?);
        let revoked = matches!(
            self.mirror.is_revoked(&TokenInfo::of_session(session_id)),
            Ok(true)
        );
        if expires_at <= now || token_end <= now || revoked {
            return None;
        }
        let record = SessionRecord::new(
            session_id,
            subject,
            auth_time,
            expires_at,
            field(3).unwrap_or_default(),
        );
        // A session stored before its start was kept started at its `auth_time`.
        Some(
            record
                .with_created_at(number(5).unwrap_or(auth_time))
                .with_last_refresh_at(number(6).unwrap_or(auth_time))
                .with_user_agent(field(7)),
        )
    }
}
