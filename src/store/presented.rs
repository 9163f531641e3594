//! What a presented refresh token is to its session, given what the store keeps of it (the current token, the
//! previous token's hash, when the last rotation happened, when the session ends): **the one statement of the
//! refresh decision** — rotate, hand out the same successor again (a retry inside the grace period), revoke the
//! family (reuse), leave an older generation to `Sessions` (outdated), or refuse (invalid).
//!
//! The memory and SQL stores call [`judge_rotation`] for a rotation and [`StoredTokens::is_current_or_previous`]
//! for revoking a refresh token. The Redis store must decide atomically inside Redis, so its `ROTATE` script
//! (`redis/scripts.rs`) states the same decision again in Lua; the store conformance suite
//! (`testing::rotation_follows_the_refresh_decision`) checks every store against this module: it runs a table of
//! presented-token states through each store's `rotate` and compares the outcome with what [`judge_rotation`]
//! says, so memory, SQL and Redis cannot drift from it.

use subtle::ConstantTimeEq;

use crate::store::{RefreshGrant, RefreshTokenState, SessionRecord};

/// What a store keeps of a session's refresh tokens: constant size, whatever the number of rotations.
#[derive(Debug, Clone)]
pub(crate) struct StoredTokens {
    pub(crate) current: RefreshGrant,
    pub(crate) previous_hash: Option<[u8; 32]>,
    pub(crate) rotated_at: i64,
}

/// A presented token, judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presented {
    /// The current token, with its secret, not expired: it may rotate.
    Current,
    /// The previous token again, inside the grace period after its rotation: the current one is handed out.
    Retry,
    /// The previous token again, after the grace period: reuse, which revokes the session.
    Reuse,
    /// An older generation (whose tag `Sessions` checks).
    Outdated,
    /// Nothing valid: a wrong secret, an expired current token, a generation from the future.
    Invalid,
}

/// Compares two SHA-256 hashes in constant time.
pub(crate) fn same_hash(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// The whole decision for a rotation: an unknown session (`None`) or one past its end (the `i64`) accepts
/// nothing; otherwise what [`StoredTokens::judge`] says.
pub(crate) fn judge_rotation(
    session: Option<(&StoredTokens, i64)>,
    generation: u64,
    secret_hash: &[u8; 32],
    now: i64,
    grace_period: i64,
) -> Presented {
    match session {
        Some((tokens, session_end)) if now < session_end => {
            tokens.judge(generation, secret_hash, now, grace_period)
        }
        _ => Presented::Invalid,
    }
}

impl StoredTokens {
    /// Whether `generation` and `secret_hash` are the current token's or the previous one's.
    pub(crate) fn is_current_or_previous(&self, generation: u64, secret_hash: &[u8; 32]) -> bool {
        self.is_current(generation, secret_hash) || self.is_previous(generation, secret_hash)
    }

    fn is_current(&self, generation: u64, secret_hash: &[u8; 32]) -> bool {
        generation == self.current.generation && same_hash(secret_hash, &self.current.secret_hash)
    }

    fn is_previous(&self, generation: u64, secret_hash: &[u8; 32]) -> bool {
        generation.checked_add(1) == Some(self.current.generation)
            && self
                .previous_hash
                .is_some_and(|previous| same_hash(secret_hash, &previous))
    }

    /// The state of `generation`/`secret_hash` when it is `record`'s live current token ([`Self::is_live`]).
    pub(crate) fn live_state(
        &self,
        record: &SessionRecord,
        generation: u64,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> Option<RefreshTokenState> {
        let (subject, claims) = (&record.subject, record.claims.as_str());
        self.is_live(generation, secret_hash, now, record.expires_at)
            .then(|| {
                RefreshTokenState::new(subject, record.auth_time, self.current.expires_at, claims)
            })
    }

    /// Whether `generation`/`secret_hash` is the current token, not expired at `now`, of a session that ends
    /// after `now`: a refresh token that would rotate (what introspection calls active).
    pub(crate) fn is_live(
        &self,
        generation: u64,
        secret_hash: &[u8; 32],
        now: i64,
        session_end: i64,
    ) -> bool {
        now < session_end
            && judge_rotation(Some((self, session_end)), generation, secret_hash, now, 0)
                == Presented::Current
    }

    /// The token `generation`/`secret_hash` presented at `now`, with `grace_period` seconds of retries.
    pub(crate) fn judge(
        &self,
        generation: u64,
        secret_hash: &[u8; 32],
        now: i64,
        grace_period: i64,
    ) -> Presented {
        if self.is_current(generation, secret_hash) {
            return match now < self.current.expires_at {
                true => Presented::Current,
                false => Presented::Invalid,
            };
        }
        if self.is_previous(generation, secret_hash) {
            return match now < self.rotated_at.saturating_add(grace_period) {
                true => Presented::Retry,
                false => Presented::Reuse,
            };
        }
        match generation < self.current.generation {
            true => Presented::Outdated,
            false => Presented::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_presentation_is_judged_once() {
        let stored = StoredTokens {
            current: RefreshGrant::new(3, [3; 32], 100),
            previous_hash: Some([2; 32]),
            rotated_at: 50,
        };
        assert_eq!(stored.judge(3, &[3; 32], 99, 0), Presented::Current);
        assert_eq!(
            stored.judge(3, &[3; 32], 100, 0),
            Presented::Invalid,
            "expired"
        );
        assert_eq!(
            stored.judge(3, &[9; 32], 10, 0),
            Presented::Invalid,
            "wrong secret"
        );
        assert_eq!(stored.judge(2, &[2; 32], 59, 10), Presented::Retry);
        assert_eq!(stored.judge(2, &[2; 32], 60, 10), Presented::Reuse);
        assert_eq!(
            stored.judge(2, &[9; 32], 55, 10),
            Presented::Outdated,
            "tag checked by Sessions"
        );
        assert_eq!(stored.judge(1, &[1; 32], 10, 0), Presented::Outdated);
        assert_eq!(stored.judge(4, &[4; 32], 10, 0), Presented::Invalid);
        assert!(
            stored.is_current_or_previous(2, &[2; 32])
                && !stored.is_current_or_previous(1, &[1; 32])
        );
    }
}
