//! The SQL store's step-up: one conditional `UPDATE` of a live session's claims and `auth_time`.

use crate::store::sql::dialect::on_pool;
use crate::store::sql::feed::sql_error;
use crate::store::sql::store::SqlStore;
use crate::store::{Reauthentication, StoreError};

impl SqlStore {
    /// Replaces the claims and `auth_time` of the live session `request` names; whether a row was updated.
    pub(crate) async fn reauthenticate_session(
        &self,
        request: Reauthentication,
    ) -> Result<bool, StoreError> {
        self.observe(request.now);
        let statement = &self.inner.feed.statements.reauthenticate;
        on_pool!(&self.inner.feed.backend, |pool| {
            let done = sqlx::query(statement)
                .bind(&request.session_id)
                .bind(&request.subject)
                .bind(request.auth_time)
                .bind(&request.claims)
                .bind(request.now)
                .execute(pool)
                .await?;
            Ok::<_, sqlx::Error>(done.rows_affected() == 1)
        })
        .map_err(sql_error)
    }
}
