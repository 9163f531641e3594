//! The SQL store's revocation feed: every revocation is a marker row (`<prefix>revocations`) and, in the same
//! transaction, a log row (`<prefix>revocation_log`); each process's mirror hydrates from the markers and then
//! polls the log for rows after the last one it has seen, so the per-request check makes no round trip.
//!
//! - **Order.** Log sequence numbers are handed out when a transaction inserts, but transactions commit in any
//!   order, so a poll can see row 6 before row 5 commits. A missing number is kept as a gap and read again at
//!   every poll for [`GAP_WAIT`] (a rolled-back transaction leaves a gap forever; a slow one commits within it),
//!   then every [`LATE_GAP_RECHECK`] until [`REHYDRATION`] has passed since it was missed. At hydration the
//!   recent numbers are checked the same way, and every [`REHYDRATION`] the mirror reads every marker again.
//!   So a revocation whose commit becomes visible late reaches every mirror within a poll while it is less than
//!   [`GAP_WAIT`] late, within [`LATE_GAP_RECHECK`] and a poll while it is less than [`REHYDRATION`] late, and
//!   at the next rehydration (at most [`REHYDRATION`]) after that.
//! - **Fail closed.** Each successful poll marks the mirror fresh (see [`Mirror`]).
//! - **Sweeps.** Every minute (`sweep_interval`) a task of its own removes expired sessions, markers and log rows in
//!   batches, by the latest time the store's callers gave it (stores never read a clock), and prunes the
//!   mirror. A sweep re-checks expiry on each row it deletes, so a marker extended meanwhile stays.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::store::mirror::Mirror;
use crate::store::revocations::Revocations;
use crate::store::sql::dialect::{
    on_pool, Backend, Statements, LOG_BATCH, MARKER_PAGE, SWEEP_BATCH,
};
use crate::store::StoreError;

/// How long a missing log number is waited for, at least (and at least twice the store's call timeout plus
/// five seconds: a commit already sent can land after its caller gave up).
pub(crate) const GAP_WAIT: Duration = Duration::from_secs(10);
/// How often the gaps waited for longer than [`GAP_WAIT`] are read again (until [`REHYDRATION`] has passed since
/// they were missed, when a rehydration has read every marker).
pub(crate) const LATE_GAP_RECHECK: Duration = Duration::from_secs(5);
/// At most this many sweep batches per table in one sweep (a million rows a minute), so one sweep ends.
const SWEEP_ROUNDS: usize = 1000;
/// How often every marker is read again.
pub(crate) const REHYDRATION: Duration = Duration::from_secs(300);
/// How often expired rows are swept, unless configured.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// How many recent log numbers hydration checks for gaps.
const RECENT_AT_HYDRATION: i64 = 1000;
/// Of a jump in the log numbers, only the last this many missing numbers are tracked (transactions still in
/// flight hold the numbers just below the new one; it bounds the cursor's memory).
const MAX_TRACKED_GAP: i64 = 10_000;

/// One revocation marker, as stored in both tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    /// `j` a token id, `s` a session, `n` a subject's not-before.
    pub(crate) kind: &'static str,
    /// The issuer of a subject marker; empty otherwise.
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
        let kind = ["j", "s", "n"].into_iter().find(|k| *k == kind)?;
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
            _ => revocations.revoke_subject(&self.issuer, &self.id, self.not_before, self.until),
        }
    }
}

/// Reads markers or log rows: `kind, issuer, id, not_before, until_at` from column `first` on.
fn markers_of<R: Row>(rows: &[R], first: usize) -> Result<Vec<Marker>, sqlx::Error>
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
fn log_rows<R: Row>(rows: &[R]) -> Result<(Vec<i64>, Vec<Marker>), sqlx::Error>
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

/// Where the follower is in the log.
#[derive(Debug)]
pub(crate) struct Cursor {
    /// The highest sequence number seen.
    last: i64,
    /// Numbers below `last` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    /// How long a gap is read again at every poll (then every [`LATE_GAP_RECHECK`]).
    gap_wait: Duration,
    /// When the late gaps were last read again.
    late_checked: Instant,
}

impl Cursor {
    fn new(last: i64, gap_wait: Duration) -> Self {
        Self {
            last,
            gaps: BTreeMap::new(),
            gap_wait,
            late_checked: Instant::now(),
        }
    }

    /// The gaps to read again now: those missed less than `gap_wait` ago at every poll, and every
    /// [`LATE_GAP_RECHECK`] also the older ones. A gap missed [`REHYDRATION`] ago is given up: a rehydration
    /// since has read every marker.
    fn due_gaps(&mut self) -> Vec<i64> {
        let wait = self.gap_wait;
        self.gaps.retain(|_, since| since.elapsed() < REHYDRATION);
        let late_too = self.late_checked.elapsed() >= LATE_GAP_RECHECK;
        if late_too {
            self.late_checked = Instant::now();
        }
        self.gaps
            .iter()
            .filter(|(_, since)| late_too || since.elapsed() < wait)
            .map(|(seq, _)| *seq)
            .collect()
    }

    /// Keeps waiting for the gaps of an earlier cursor (a rehydration starts a new one; a gap below its recent
    /// window would otherwise be forgotten until the rehydration after).
    fn adopt_gaps(&mut self, earlier: Cursor) {
        for (seq, since) in earlier.gaps {
            self.gaps.entry(seq).or_insert(since);
        }
    }

    /// Takes note of the sequence numbers a poll returned (ascending).
    fn saw(&mut self, seqs: impl IntoIterator<Item = i64>) {
        for seq in seqs {
            self.gaps.remove(&seq);
            if seq > self.last {
                let now = Instant::now();
                let from = (self.last + 1).max(seq - MAX_TRACKED_GAP);
                for missing in from..seq {
                    self.gaps.entry(missing).or_insert(now);
                }
                self.last = seq;
            }
        }
    }
}

/// Numbers closer than this are read again with one range query (the rows between them come along).
const GAP_CLUSTER: i64 = 64;

/// The ranges that read the gaps `sorted` again: nearby gaps share one range, far apart ones get their own,
/// so a poll never reads the many rows between two distant gaps (a rolled-back transaction long ago and one
/// now), and a huge jump in the numbers is still one query.
fn clusters(sorted: &[i64]) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for &seq in sorted {
        match ranges.last_mut() {
            Some((_, last)) if seq - *last < GAP_CLUSTER => *last = seq,
            _ => ranges.push((seq, seq)),
        }
    }
    ranges
}

/// Everything the follower task needs; it holds no strong reference to the store or its mirror.
pub(crate) struct Feed {
    pub(crate) backend: Backend,
    pub(crate) statements: Arc<Statements>,
    pub(crate) mirror: Weak<Mirror>,
    pub(crate) latest_now: Arc<AtomicI64>,
    pub(crate) poll_interval: Duration,
    pub(crate) sweep_interval: Duration,
    pub(crate) timeout: Duration,
}

impl Feed {
    /// Reads every marker into the mirror, and where the log stands (with its recent gaps).
    async fn hydrate(&self, mirror: &Mirror) -> Result<Cursor, StoreError> {
        let started = Instant::now();
        let s = &self.statements;
        let (last, recent) = on_pool!(&self.backend, |pool| {
            let last: i64 = sqlx::query_scalar(&s.last_seq).fetch_one(pool).await?;
            let recent: Vec<i64> = sqlx::query_scalar(&s.recent_seqs)
                .bind(last.saturating_sub(RECENT_AT_HYDRATION))
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((last, recent))
        })
        .map_err(sql_error)?;
        // Every marker, a page at a time in key order.
        let mut after: Option<Marker> = None;
        loop {
            let page = on_pool!(&self.backend, |pool| {
                let rows = match &after {
                    None => sqlx::query(&s.markers_first).fetch_all(pool).await?,
                    Some(m) => {
                        sqlx::query(&s.markers_after)
                            .bind(m.kind)
                            .bind(&m.issuer)
                            .bind(&m.id)
                            .fetch_all(pool)
                            .await?
                    }
                };
                Ok::<_, sqlx::Error>((rows.len(), markers_of(&rows, 0)?))
            })
            .map_err(sql_error)?;
            let (read, markers) = page;
            let mut revocations = mirror.write();
            for marker in &markers {
                marker.apply(&mut revocations);
            }
            drop(revocations);
            if read < MARKER_PAGE as usize {
                break;
            }
            match markers.into_iter().next_back() {
                Some(marker) => after = Some(marker),
                None => break, // a full page of rows this version does not know: nothing to page after
            }
        }
        let mut cursor = Cursor::new(
            last.saturating_sub(RECENT_AT_HYDRATION).max(0),
            GAP_WAIT.max(self.timeout * 2 + Duration::from_secs(5)),
        );
        cursor.saw(recent);
        if cursor.last < last {
            cursor.saw([last]);
        }
        mirror.mark_fresh_as_of(started);
        Ok(cursor)
    }

    /// Reads the gaps still waited for again, then up to one batch of the log after the cursor, into the
    /// mirror; returns how many new rows it read (a full batch: more are waiting).
    async fn poll(&self, mirror: &Mirror, cursor: &mut Cursor) -> Result<usize, StoreError> {
        let started = Instant::now();
        let gaps = cursor.due_gaps();
        let after = cursor.last;
        let s = &self.statements;
        let (filled, new) = on_pool!(&self.backend, |pool| {
            let mut filled = (Vec::new(), Vec::new());
            for (first, last) in clusters(&gaps) {
                let rows = sqlx::query(&s.log_between)
                    .bind(first)
                    .bind(last)
                    .fetch_all(pool)
                    .await?;
                let (seqs, markers) = log_rows(&rows)?;
                filled.0.extend(seqs);
                filled.1.extend(markers);
            }
            let rows = sqlx::query(&s.log_after)
                .bind(after)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((filled, log_rows(&rows)?))
        })
        .map_err(sql_error)?;
        let mut revocations = mirror.write();
        for marker in filled.1.iter().chain(&new.1) {
            marker.apply(&mut revocations);
        }
        drop(revocations);
        cursor.saw(filled.0);
        let read = new.0.len();
        cursor.saw(new.0);
        // In sync as of the read's start, and only once the log is read to its end.
        if read < LOG_BATCH as usize {
            mirror.mark_fresh_as_of(started);
        }
        Ok(read)
    }

    /// Removes expired sessions, markers, log rows and used DPoP proofs, by the latest time the callers gave, in batches (each
    /// within the call timeout) while batches come back full.
    pub(crate) async fn sweep(&self) -> Result<u64, StoreError> {
        let now = self.latest_now.load(Ordering::SeqCst);
        if now == i64::MIN {
            return Ok(0);
        }
        let s = &self.statements;
        let mut removed = 0;
        for statement in [
            &s.sweep_sessions,
            &s.sweep_markers,
            &s.sweep_log,
            &s.sweep_proofs,
        ] {
            for _ in 0..SWEEP_ROUNDS {
                let batch = async {
                    on_pool!(&self.backend, |pool| {
                        sqlx::query(statement)
                            .bind(now)
                            .execute(pool)
                            .await
                            .map(|done| done.rows_affected())
                    })
                };
                let batch = tokio::time::timeout(self.timeout, batch)
                    .await
                    .map_err(|_| StoreError::new("SQL store: a sweep timed out"))?
                    .map_err(sql_error)?;
                removed += batch;
                if batch < SWEEP_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(removed)
    }

    /// Sweeps the database and prunes the mirror every `sweep_interval` until the store is dropped, on its
    /// own (a slow sweep never delays a poll).
    pub(crate) async fn sweep_forever(self) {
        loop {
            tokio::time::sleep(self.sweep_interval).await;
            let Some(mirror) = self.mirror.upgrade() else {
                return;
            };
            let _ = self.sweep().await;
            // Revocations past their `until` cover only expired tokens. By the callers' latest time, or the
            // system clock in a process that was never told one (one that only checks tokens).
            let now = self.latest_now.load(Ordering::SeqCst).max(system_now());
            mirror.write().sweep(now);
        }
    }

    /// Hydrates, then follows the log until the store is dropped; a broken poll is retried at the next tick
    /// (the pool reconnects), and the mirror goes stale meanwhile.
    pub(crate) async fn follow(self, mut cursor: Option<Cursor>) {
        let mut hydrated_at = Instant::now();
        let mut broken = false;
        loop {
            let Some(mirror) = self.mirror.upgrade() else {
                return;
            };
            let due = hydrated_at.elapsed() >= REHYDRATION;
            let outcome = match cursor.as_mut() {
                Some(c) if !due => {
                    // A full batch means more is waiting: read on at once, each read within the timeout. A
                    // failed read keeps the cursor (rows read twice change nothing).
                    loop {
                        let read = tokio::time::timeout(self.timeout, self.poll(&mirror, c))
                            .await
                            .unwrap_or_else(|_| {
                                Err(StoreError::new("SQL store: reading the log timed out"))
                            });
                        match read {
                            Ok(n) if n == LOG_BATCH as usize => continue,
                            other => break other.map(drop),
                        }
                    }
                }
                _ => {
                    hydrated_at = Instant::now();
                    let hydration =
                        tokio::time::timeout(self.hydration_timeout(), self.hydrate(&mirror));
                    match hydration.await {
                        Ok(Ok(mut c)) => {
                            if let Some(earlier) = cursor.take() {
                                c.adopt_gaps(earlier);
                            }
                            cursor = Some(c);
                            Ok(())
                        }
                        Ok(Err(error)) => Err(error),
                        Err(_) => Err(StoreError::new(
                            "SQL store: reading the revocations timed out",
                        )),
                    }
                }
            };
            match outcome {
                Ok(()) => {
                    if broken {
                        tracing::info!("the SQL revocation log is readable again");
                    }
                    broken = false;
                }
                Err(error) => {
                    if !broken {
                        tracing::warn!(%error, "the SQL revocation log cannot be read; revocation checks fail closed once it is older than max_feed_lag");
                    }
                    broken = true;
                }
            }
            drop(mirror);
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Reading every marker takes longer than one call: ten call timeouts.
    fn hydration_timeout(&self) -> Duration {
        self.timeout * 10
    }

    /// The first hydration, before the store is handed out (so its first checks are not refused).
    pub(crate) async fn first_hydration(&self) -> Result<Cursor, StoreError> {
        let mirror = self
            .mirror
            .upgrade()
            .ok_or_else(|| StoreError::new("the store was dropped"))?;
        tokio::time::timeout(self.hydration_timeout(), self.hydrate(&mirror))
            .await
            .map_err(|_| StoreError::new("SQL store: timed out reading the revocations"))?
    }
}

/// Seconds since the Unix epoch, from the system clock.
fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A database error as a store error: the operation failed, with sqlx's description (never a bound value).
pub(crate) fn sql_error(error: sqlx::Error) -> StoreError {
    StoreError::new(format!("SQL store: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_gaps_share_a_range_and_distant_ones_do_not() {
        assert_eq!(clusters(&[]), []);
        assert_eq!(
            clusters(&[3, 5, 60, 200, 10_000]),
            [(3, 60), (200, 200), (10_000, 10_000)]
        );
        let jump: Vec<i64> = (40_001..=50_000).collect();
        assert_eq!(clusters(&jump), [(40_001, 50_000)]);
    }

    #[test]
    fn gaps_are_waited_for_then_given_up() {
        let mut cursor = Cursor::new(0, GAP_WAIT);
        cursor.saw([1, 2, 4, 6]);
        assert_eq!(cursor.last, 6);
        assert_eq!(cursor.gaps.keys().copied().collect::<Vec<_>>(), [3, 5]);
        assert_eq!(cursor.due_gaps(), [3, 5], "read again at the next poll");
        cursor.saw([3, 5]);
        cursor.saw([7]);
        assert!(cursor.gaps.is_empty());
        assert_eq!((cursor.due_gaps(), cursor.last), (vec![], 7));
        cursor.saw([9]);
        let gap = cursor.gaps.get_mut(&8).unwrap();
        *gap = Instant::now() - GAP_WAIT;
        assert_eq!(
            cursor.due_gaps(),
            [0i64; 0],
            "a gap older than GAP_WAIT is not read at every poll"
        );
        cursor.late_checked = Instant::now() - LATE_GAP_RECHECK;
        assert_eq!(
            cursor.due_gaps(),
            [8],
            "but every LATE_GAP_RECHECK until the rehydration"
        );
        assert_eq!(cursor.due_gaps(), [0i64; 0], "and not again before that");
        let mut rehydrated = Cursor::new(9, GAP_WAIT);
        rehydrated.adopt_gaps(std::mem::replace(&mut cursor, Cursor::new(0, GAP_WAIT)));
        cursor = rehydrated;
        assert!(
            cursor.gaps.contains_key(&8),
            "a rehydration keeps the gaps waited for"
        );
        *cursor.gaps.get_mut(&8).unwrap() = Instant::now() - REHYDRATION;
        cursor.late_checked = Instant::now() - LATE_GAP_RECHECK;
        assert_eq!(
            cursor.due_gaps(),
            [0i64; 0],
            "a rehydration has read it since"
        );
        assert!(cursor.gaps.is_empty());
        let jump = 9 + 5 * MAX_TRACKED_GAP;
        cursor.saw([jump]);
        assert_eq!(
            cursor.gaps.len() as i64,
            MAX_TRACKED_GAP,
            "the top of a huge jump is tracked"
        );
        let due = cursor.due_gaps();
        assert_eq!(
            (due.len() as i64, due.first(), due.last()),
            (
                MAX_TRACKED_GAP,
                Some(&(jump - MAX_TRACKED_GAP)),
                Some(&(jump - 1))
            )
        );
    }
}
