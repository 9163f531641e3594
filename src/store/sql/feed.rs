//! The SQL store's revocation feed: every revocation is a marker row (`<prefix>revocations`) and, in the same
//! transaction, a log row (`<prefix>revocation_log`); each process's mirror hydrates from the markers and then
//! polls the log for rows after the last one it has seen (its position), so the per-request check makes no
//! round trip. The loop (when to rehydrate, when to poll, logging, stopping) is the follower shared with the
//! Redis store (`store/follower.rs`); this file is the SQL [`Feed`].
//!
//! - **Order.** Log sequence numbers are handed out when a transaction inserts, but transactions commit in any order,
//!   so a poll can see row 6 before row 5 commits. A missing number is kept as a gap (`position.rs`) and read again
//!   at every poll for [`GAP_WAIT`] (a rolled-back transaction leaves a gap forever; a slow one commits within it),
//!   then every [`LATE_GAP_RECHECK`](crate::store::sql::position::LATE_GAP_RECHECK) until
//!   [`REHYDRATION`](crate::store::follower::REHYDRATION) has passed since it was missed. At a rehydration the recent
//!   numbers are checked the same way, and every [`REHYDRATION`] the mirror reads every marker again. So a revocation
//!   whose commit becomes visible late reaches every mirror within a poll while it is less than [`GAP_WAIT`] late,
//!   within [`LATE_GAP_RECHECK`] and a poll while it is less than [`REHYDRATION`] late, and at the next rehydration
//!   (at most [`REHYDRATION`]) after that.
//! - **Fail closed.** Each successful poll marks the mirror fresh (see [`Mirror`]).
//! - **Sweeps.** Every minute (`sweep_interval`) a task of its own removes expired sessions, markers and log rows in
//!   batches, by the latest time the store's callers gave it (the database rows are never swept by this process's
//!   clock), and prunes the mirror by that time or the system clock, whichever is later (a process that only checks
//!   tokens is never told a time). A sweep re-checks expiry on each row it deletes, so a marker extended meanwhile
//!   stays.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::store::follower::{Feed, Read};
use crate::store::mirror::Mirror;
use crate::store::sql::dialect::{
    on_pool, Backend, Statements, LOG_BATCH, MARKER_PAGE, SWEEP_BATCH,
};
use crate::store::sql::marker::{log_rows, markers_of, Marker};
use crate::store::sql::position::{clusters, Position, GAP_WAIT};
use crate::store::StoreError;

/// At most this many sweep batches per table in one sweep (a million rows a minute), so one sweep ends.
const SWEEP_ROUNDS: usize = 1000;
/// How often expired rows are swept, unless configured.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// How many recent log numbers hydration checks for gaps.
const RECENT_AT_HYDRATION: i64 = 1000;

/// The revocation log the mirror follows, with everything the follower and the sweep task need; it holds no
/// strong reference to the store or its mirror.
pub(crate) struct LogFeed {
    pub(crate) backend: Backend,
    pub(crate) statements: Arc<Statements>,
    pub(crate) mirror: Weak<Mirror>,
    pub(crate) latest_now: Arc<AtomicI64>,
    pub(crate) poll_interval: Duration,
    pub(crate) sweep_interval: Duration,
    pub(crate) timeout: Duration,
}

impl LogFeed {
    /// Notes where the log stands (with its recent gaps), then reads every marker into the mirror.
    async fn read_all(&self, mirror: &Mirror) -> Result<Position, StoreError> {
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
        self.read_markers(mirror).await?;
        let mut position = Position::new(
            last.saturating_sub(RECENT_AT_HYDRATION).max(0),
            GAP_WAIT.max(self.timeout * 2 + Duration::from_secs(5)),
        );
        position.saw(recent);
        if position.last < last {
            position.saw([last]);
        }
        mirror.mark_fresh_as_of(started);
        Ok(position)
    }

    /// Every marker into the mirror, a page at a time in key order.
    async fn read_markers(&self, mirror: &Mirror) -> Result<(), StoreError> {
        let s = &self.statements;
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
                return Ok(());
            }
            match markers.into_iter().next_back() {
                Some(marker) => after = Some(marker),
                None => return Ok(()), // a full page of rows this version does not know: nothing to page after
            }
        }
    }

    /// Reads the gaps still waited for again, then up to one batch of the log after the position, into the
    /// mirror; returns how many new rows it read (a full batch: more are waiting).
    async fn poll(&self, mirror: &Mirror, position: &mut Position) -> Result<usize, StoreError> {
        let started = Instant::now();
        let gaps = position.due_gaps();
        let after = position.last;
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
        position.saw(filled.0);
        let read = new.0.len();
        position.saw(new.0);
        // In sync as of the read's start, and only once the log is read to its end.
        if read < LOG_BATCH as usize {
            mirror.mark_fresh_as_of(started);
        }
        Ok(read)
    }

    /// Removes expired sessions, markers, log rows and used DPoP proofs, by the latest time the callers gave, in
    /// batches (each within the call timeout) while batches come back full.
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

    /// Reading every marker takes longer than one call: ten call timeouts.
    fn hydration_timeout(&self) -> Duration {
        self.timeout * 10
    }

    /// The first rehydration, before the store is handed out (so its first checks are not refused).
    pub(crate) async fn rehydrate_first(&self) -> Result<Position, StoreError> {
        let mirror = self
            .mirror
            .upgrade()
            .ok_or_else(|| StoreError::new("the store was dropped"))?;
        tokio::time::timeout(self.hydration_timeout(), self.read_all(&mirror))
            .await
            .map_err(|_| StoreError::new("SQL store: timed out reading the revocations"))?
    }
}

impl Feed for LogFeed {
    type Position = Position;

    const NAME: &'static str = "SQL revocation log";

    /// The pool reconnects by itself: a failed poll keeps the position (rows read twice change nothing).
    const REHYDRATE_AFTER_FAILURE: bool = false;

    async fn rehydrate(
        &mut self,
        mirror: &Mirror,
        earlier: Option<&Position>,
    ) -> Result<Position, StoreError> {
        let read = tokio::time::timeout(self.hydration_timeout(), self.read_all(mirror));
        let mut position = read.await.unwrap_or_else(|_| {
            Err(StoreError::new(
                "SQL store: reading the revocations timed out",
            ))
        })?;
        if let Some(earlier) = earlier {
            position.adopt_gaps(earlier);
        }
        Ok(position)
    }

    /// A full batch means more is waiting: reads on at once, each read within the timeout.
    async fn read_after(
        &mut self,
        mirror: &Mirror,
        position: &mut Position,
    ) -> Result<Read, StoreError> {
        loop {
            let read = tokio::time::timeout(self.timeout, self.poll(mirror, position))
                .await
                .unwrap_or_else(|_| Err(StoreError::new("SQL store: reading the log timed out")))?;
            if read < LOG_BATCH as usize {
                return Ok(Read::Followed);
            }
        }
    }

    /// The log is polled: every step waits `poll_interval`, failed or not.
    fn pause(&self, _failed: bool) -> Duration {
        self.poll_interval
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
