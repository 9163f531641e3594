//! The SQL store's device list: a page of a subject's live sessions, one indexed query in (end, id) order.

use sqlx::Row;

use crate::store::sql::dialect::on_pool;
use crate::store::sql::feed::sql_error;
use crate::store::sql::store::SqlStore;
use crate::store::{ListSessions, SessionCursor, SessionPage, SessionRecord, StoreError};

/// `record` with what the device list reads beside it, from column `first` on (the statements'
/// `DEVICE_COLUMNS`): the last rotation (before any: earlier than the start), the start, the user agent.
pub(super) fn with_device<R: Row>(
    record: SessionRecord,
    row: &R,
    first: usize,
) -> Result<SessionRecord, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(record
        .with_created_at(row.try_get::<i64, _>(first + 1)?)
        .with_last_refresh_at(row.try_get::<i64, _>(first)?)
        .with_user_agent(row.try_get::<Option<String>, _>(first + 2)?))
}

impl SqlStore {
    /// One page of `request.subject`'s live sessions: `limit` + 1 rows read, the last only to tell whether a
    /// next page exists.
    pub(super) async fn list_page(&self, request: ListSessions) -> Result<SessionPage, StoreError> {
        let s = &self.inner.feed.statements;
        let limit = request.limit as i64;
        let mut sessions = on_pool!(&self.inner.feed.backend, |pool| {
            let query = match &request.after {
                None => sqlx::query(&s.list_first),
                Some(_) => sqlx::query(&s.list_after),
            };
            let mut query = query
                .bind(&request.subject)
                .bind(request.now)
                .bind(limit + 1);
            if let Some(cursor) = &request.after {
                query = query.bind(cursor.expires_at).bind(&cursor.session_id);
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let record = SessionRecord::new(
                        row.try_get::<String, _>(0)?,
                        row.try_get::<String, _>(1)?,
                        row.try_get::<i64, _>(2)?,
                        row.try_get::<i64, _>(3)?,
                        row.try_get::<String, _>(4)?,
                    );
                    with_device(record, row, 5)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql_error)?;
        let more = sessions.len() > request.limit;
        sessions.truncate(request.limit);
        let next = sessions
            .last()
            .filter(|_| more)
            .map(|last| SessionCursor::new(last.expires_at, last.session_id.as_str()));
        Ok(SessionPage::new(sessions, next))
    }
}
