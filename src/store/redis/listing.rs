//! The Redis store's device list: a page of a subject's session index (the `LIST_SESSIONS` script, in the
//! index's slot), then each listed session's hash (in its own slot), live ones only.

use crate::store::redis::store::RedisStore;
use crate::store::{
    ListSessions, RevocationCheck, SessionCursor, SessionPage, SessionRecord, StoreError,
};
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
        let mut sessions = Vec::new();
        let mut last = None;
        for pair in reply.get(1..).unwrap_or_default().chunks(2) {
            let [session_id, end] = pair else {
                return Err(StoreError::new("unexpected reply from Redis"));
            };
            let expires_at = end
                .parse::<f64>()
                .map_err(|_| StoreError::new("unexpected reply from Redis"))?
                as i64;
            if let Some(record) = self.live_session(session_id, now).await? {
                sessions.push(record);
            }
            last = Some(SessionCursor::new(expires_at, session_id.as_str()));
        }
        Ok(SessionPage::new(sessions, last.filter(|_| more)))
    }

    /// Session `session_id` if it is live at `now`: its hash exists (a revoked or idled-out session has none),
    /// neither end has passed, and no revocation marker names it.
    pub(super) async fn live_session(
        &self,
        session_id: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let key = self.layout.session(session_id);
        let values: Vec<Option<String>> = self
            .run(|mut connection, _| async move {
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg(&FIELDS)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        let field = |i: usize| values.get(i).cloned().flatten();
        let number = |i: usize| field(i).and_then(|v| v.parse::<i64>().ok());
        let (Some(subject), Some(auth_time), Some(expires_at), Some(token_end)) =
            (field(0), number(1), number(2), number(4))
        else {
            return Ok(None);
        };
        let revoked = matches!(
            self.is_revoked(&TokenInfo::of_session(session_id))
                .resolve()
                .await,
            Ok(true)
        );
        if expires_at <= now || token_end <= now || revoked {
            return Ok(None);
        }
        let record = SessionRecord::new(
            session_id,
            subject,
            auth_time,
            expires_at,
            field(3).unwrap_or_default(),
        );
        // A session stored before its start was kept started at its `auth_time`.
        Ok(Some(
            record
                .with_created_at(number(5).unwrap_or(auth_time))
                .with_last_refresh_at(number(6).unwrap_or(auth_time))
                .with_user_agent(field(7)),
        ))
    }
}
