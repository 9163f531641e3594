//! One revocation marker of the SQL store, as its two tables hold it (`<prefix>revocations`, the live markers,
//! and `<prefix>revocation_log`, the feed), read back from their rows and applied to a mirror.

use sqlx::Row;

use crate::store::revocations::Revocations;

/// One revocation marker, as stored in both tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    /// `j` a token id, `s` a session, `n` a subject's not-before, `p` another issuer's session.
    pub(crate) kind: &'static str,
    /// The issuer of a subject or issuer-session marker; empty otherwise.
    pub(crate) issuer: String,
    pub(crate) id: String,
    pub(crate) not_before: i64,
    pub(crate) until: i64,
}

impl Marker {
    pub(crate) fn token(jti: &str, until: i64) -> Self {
        Self::new("j", "", jti, 0, until)
    }

    pub(crate) fn session(session_id: &str, until: i64) -> Self {
        Self::new("s", "", session_id, 0, until)
    }

    pub(crate) fn subject(issuer: &str, subject: &str, not_before: i64, until: i64) -> Self {
        Self::new("n", issuer, subject, not_before, until)
    }

    /// Session `session_id` of another issuer (an identity provider's back-channel logout).
    pub(crate) fn issuer_session(issuer: &str, session_id: &str, until: i64) -> Self {
        Self::new("p", issuer, session_id, 0, until)
    }

    fn new(kind: &'static str, issuer: &str, id: &str, not_before: i64, until: i64) -> Self {
        Self {
            kind,
            issuer: issuer.to_owned(),
            id: id.to_owned(),
            not_before,
            until,
        }
    }

    /// The marker read back from a row (`kind, issuer, id, not_before, until_at`); `None` for an unknown kind.
    fn from_columns(
        kind: &str,
        issuer: String,
        id: String,
        not_before: i64,
        until: i64,
    ) -> Option<Self> {
        let kind = ["j", "s", "n", "p"].into_iter().find(|k| *k == kind)?;
        Some(Self {
            kind,
            issuer,
            id,
            not_before,
            until,
        })
    }

    pub(crate) fn apply(&self, revocations: &mut Revocations) {
        match self.kind {
            "j" => revocations.revoke_token(&self.id, self.until),
            "s" => revocations.revoke_session(&self.id, self.until),
            "p" => revocations.revoke_issuer_session(&self.issuer, &self.id, self.until),
            _ => revocations.revoke_subject(&self.issuer, &self.id, self.not_before, self.until),
        }
    }
}

/// Reads markers or log rows: `kind, issuer, id, not_before, until_at` from column `first` on.
pub(crate) fn markers_of<R: Row>(rows: &[R], first: usize) -> Result<Vec<Marker>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut markers = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get(first)?;
        let marker = Marker::from_columns(
            &kind,
            row.try_get(first + 1)?,
            row.try_get(first + 2)?,
            row.try_get(first + 3)?,
            row.try_get(first + 4)?,
        );
        markers.extend(marker);
    }
    Ok(markers)
}

/// Log rows (`seq, kind, issuer, id, not_before, until_at`): their numbers and markers.
pub(crate) fn log_rows<R: Row>(rows: &[R]) -> Result<(Vec<i64>, Vec<Marker>), sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let seqs = rows
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((seqs, markers_of(rows, 1)?))
}
