//! The SQL store's revocations: a marker and its log row written in one transaction (with the sessions a
//! revocation ends), put into the local mirror at once, and the check the layer makes (answered by the mirror).

use crate::store::sql::dialect::on_pool;
use crate::store::sql::feed::sql_error;
use crate::store::sql::marker::Marker;
use crate::store::sql::store::SqlStore;
use crate::store::{Lookup, RevocationCheck, StoreError};
use crate::token::info::TokenInfo;

/// Upserts a marker (keeping the later `until` and not-before) and, when that changed the stored marker,
/// appends its log row, on `$executor`: a revocation that changes nothing writes and announces nothing.
macro_rules! write_marker {
    ($statements:expr, $executor:expr, $marker:expr) => {{
        let (s, m) = ($statements, $marker);
        for statement in [&s.upsert_marker, &s.log_marker] {
            let written = sqlx::query(statement)
                .bind(m.kind)
                .bind(&m.issuer)
                .bind(&m.id)
                .bind(m.not_before)
                .bind(m.until)
                .execute(&mut *$executor)
                .await?;
            if written.rows_affected() == 0 {
                break;
            }
        }
    }};
}

impl SqlStore {
    /// Writes `markers` (and their log rows) in one transaction, after deleting `session` (if any), and puts
    /// them into the local mirror at once.
    pub(super) async fn revoke(
        &self,
        session: Option<&str>,
        markers: &[Marker],
    ) -> Result<(), StoreError> {
        let s = &self.inner.feed.statements;
        on_pool!(&self.inner.feed.backend, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(session_id) = session {
                sqlx::query(&s.delete_session)
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for marker in markers {
                write_marker!(s, &mut *tx, marker);
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        })
        .map_err(sql_error)?;
        self.mirror(markers);
        Ok(())
    }

    /// Puts `markers` into the local mirror.
    pub(super) fn mirror(&self, markers: &[Marker]) {
        let mut revocations = self.inner.mirror.write();
        for marker in markers {
            marker.apply(&mut revocations);
        }
    }

    /// Logs `subject` of `issuer` out everywhere: its sessions deleted and every marker written in one
    /// transaction (on PostgreSQL under a table lock, so a concurrent login lands before or after).
    pub(super) async fn revoke_everywhere(
        &self,
        issuer: String,
        subject: String,
        not_before: i64,
        until: i64,
    ) -> Result<(), StoreError> {
        self.observe(not_before);
        let s = &self.inner.feed.statements;
        let markers = on_pool!(&self.inner.feed.backend, |pool| {
            let mut tx = pool.begin().await?;
            if let (Some(timeout), Some(lock)) = (&s.lock_timeout, &s.lock_sessions) {
                sqlx::query(timeout).execute(&mut *tx).await?;
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let sessions: Vec<String> = sqlx::query_scalar(&s.delete_subject_sessions)
                .bind(&subject)
                .fetch_all(&mut *tx)
                .await?;
            let mut markers: Vec<Marker> = sessions
                .iter()
                .map(|session_id| Marker::session(session_id, until))
                .collect();
            markers.push(Marker::subject(&issuer, &subject, not_before, until));
            for marker in &markers {
                write_marker!(s, &mut *tx, marker);
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(markers)
        })
        .map_err(sql_error)?;
        self.mirror(&markers);
        Ok(())
    }
}

impl RevocationCheck for SqlStore {
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(self.inner.mirror.is_revoked(token))
    }
}
