//! Where the SQL follower is in the revocation log, and the gaps it waits for. Log sequence numbers are handed
//! out when a transaction inserts, but transactions commit in any order, so a poll can see row 6 before row 5
//! commits: a missing number is kept as a gap and read again at every poll for [`GAP_WAIT`], then every
//! [`LATE_GAP_RECHECK`] until [`REHYDRATION`] has passed since it was missed (see `feed.rs`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::store::follower::REHYDRATION;

/// How long a missing log number is waited for, at least (and at least twice the store's call timeout plus
/// five seconds: a commit already sent can land after its caller gave up).
pub(crate) const GAP_WAIT: Duration = Duration::from_secs(10);
/// How often the gaps waited for longer than [`GAP_WAIT`] are read again (until [`REHYDRATION`] has passed since
/// they were missed, when a rehydration has read every marker).
pub(crate) const LATE_GAP_RECHECK: Duration = Duration::from_secs(5);
/// Of a jump in the log numbers, only the last this many missing numbers are tracked (transactions still in
/// flight hold the numbers just below the new one; it bounds the cursor's memory).
const MAX_TRACKED_GAP: i64 = 10_000;

/// Where the follower is in the log: the highest number seen, and the lower numbers it still waits for.
#[derive(Debug)]
pub(crate) struct Position {
    /// The highest sequence number seen.
    pub(super) last: i64,
    /// Numbers below `last` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    /// How long a gap is read again at every poll (then every [`LATE_GAP_RECHECK`]).
    gap_wait: Duration,
    /// When the late gaps were last read again.
    late_checked: Instant,
}

impl Position {
    pub(super) fn new(last: i64, gap_wait: Duration) -> Self {
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
    pub(super) fn due_gaps(&mut self) -> Vec<i64> {
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

    /// Keeps waiting for the gaps of an earlier position (a rehydration starts a new one; a gap below its recent
    /// window would otherwise be forgotten until the rehydration after).
    pub(super) fn adopt_gaps(&mut self, earlier: &Position) {
        for (&seq, &since) in &earlier.gaps {
            self.gaps.entry(seq).or_insert(since);
        }
    }

    /// Takes note of the sequence numbers a poll returned (ascending).
    pub(super) fn saw(&mut self, seqs: impl IntoIterator<Item = i64>) {
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
pub(super) fn clusters(sorted: &[i64]) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for &seq in sorted {
        match ranges.last_mut() {
            Some((_, last)) if seq - *last < GAP_CLUSTER => *last = seq,
            _ => ranges.push((seq, seq)),
        }
    }
    ranges
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
        let mut cursor = Position::new(0, GAP_WAIT);
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
        let mut rehydrated = Position::new(9, GAP_WAIT);
        rehydrated.adopt_gaps(&std::mem::replace(&mut cursor, Position::new(0, GAP_WAIT)));
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
