//! The follower: the one loop that keeps a shared store's local revocation [`Mirror`] current from its feed of
//! revocations. Both shared stores have a feed — Redis a stream (`redis/feed.rs`), SQL a log table
//! (`sql/feed.rs`) — and implement [`Feed`] for it: how to rehydrate (read every marker, noting the feed's
//! position first, so an entry written in between is read twice, never missed) and how to read the entries after
//! a position. The loop is the same for both:
//!
//! - **Rehydrate** before following, every [`REHYDRATION`] whatever the feed said (this bounds what no feed
//!   entry tells: a feed deleted by hand and started over, a commit that became visible too late), at once when
//!   the feed reports that entries after the position were lost before they were read (a trimmed stream), and
//!   after a failure when the feed cannot resume from its position (a broken Redis connection).
//! - **Read after the position** otherwise; each read that reaches the end of the feed marks the mirror fresh,
//!   so while the feed is broken the mirror goes stale and checks fail closed (see [`Mirror`]).
//! - **Pause** between steps as the feed asks (a blocking read needs none; a polled log waits its interval).
//! - **Stop** when the store (the mirror's last strong reference) is dropped.

use std::future::Future;
use std::sync::Weak;
use std::time::{Duration, Instant};

use crate::store::mirror::Mirror;
use crate::store::StoreError;

/// How often the mirror reads every marker again, whatever the feed said.
pub(crate) const REHYDRATION: Duration = Duration::from_secs(300);

/// What a read after the position found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// The entries after the position were read into the mirror.
    Followed,
    /// Entries after the position were lost before they were read (trimmed, or the feed started over): the
    /// follower rehydrates at once.
    Lost,
}

/// A shared store's feed of revocations, as the follower reads it.
pub(crate) trait Feed: Send + 'static {
    /// Where a follower stands in the feed (what it has read up to).
    type Position: Send;

    /// The feed's name in logs and errors ("Redis revocation feed").
    const NAME: &'static str;

    /// Whether a failed step loses the position (its reads are on a connection the failure broke): then the
    /// follower rehydrates after it; otherwise it reads on from its position.
    const REHYDRATE_AFTER_FAILURE: bool;

    /// Notes the feed's position, then reads every marker into `mirror` (only ever adding or lengthening what it
    /// holds, so the store's own writes made meanwhile stay); `earlier` is the position before, if any.
    fn rehydrate(
        &mut self,
        mirror: &Mirror,
        earlier: Option<&Self::Position>,
    ) -> impl Future<Output = Result<Self::Position, StoreError>> + Send;

    /// Reads the entries after `position` into `mirror`, moving `position` past them.
    fn read_after(
        &mut self,
        mirror: &Mirror,
        position: &mut Self::Position,
    ) -> impl Future<Output = Result<Read, StoreError>> + Send;

    /// How long to wait before the next step, after one that succeeded or `failed`.
    fn pause(&self, failed: bool) -> Duration;
}

/// Where the follower is: its position (none before the first rehydration), and when to rehydrate.
struct Follower<P> {
    position: Option<P>,
    rehydrated_at: Instant,
    rehydrate_now: bool,
}

impl<P> Follower<P> {
    fn must_rehydrate(&self) -> bool {
        self.position.is_none() || self.rehydrate_now || self.rehydrated_at.elapsed() >= REHYDRATION
    }
}

/// One step: a rehydration when one is due, a read after the position otherwise.
async fn step<F: Feed>(
    feed: &mut F,
    mirror: &Mirror,
    follower: &mut Follower<F::Position>,
) -> Result<(), StoreError> {
    if follower.must_rehydrate() {
        follower.rehydrated_at = Instant::now();
        follower.rehydrate_now = false;
        let position = feed.rehydrate(mirror, follower.position.as_ref()).await?;
        follower.position = Some(position);
        return Ok(());
    }
    let Some(position) = follower.position.as_mut() else {
        return Ok(());
    };
    if feed.read_after(mirror, position).await? == Read::Lost {
        tracing::warn!(
            "{}: entries were lost before this process read them; reading every marker again",
            F::NAME
        );
        follower.rehydrate_now = true;
    }
    Ok(())
}

/// Follows `feed` into `mirror` until the store is dropped, from `position` (rehydrating first when `None`).
/// A failure is logged once, until the feed answers again.
pub(crate) async fn follow<F: Feed>(
    mirror: Weak<Mirror>,
    mut feed: F,
    position: Option<F::Position>,
) {
    let mut follower = Follower {
        position,
        rehydrated_at: Instant::now(),
        rehydrate_now: false,
    };
    let mut broken = false;
    loop {
        let Some(strong) = mirror.upgrade() else {
            return;
        };
        let outcome = step(&mut feed, &strong, &mut follower).await;
        drop(strong);
        let failed = outcome.is_err();
        match outcome {
            Ok(()) if broken => {
                tracing::info!("the {} is readable again", F::NAME);
                broken = false;
            }
            Ok(()) => {}
            Err(error) => {
                if !broken {
                    tracing::warn!(
                        %error,
                        "the {} cannot be read; revocation checks fail closed once it is older than \
                         max_feed_lag",
                        F::NAME
                    );
                }
                broken = true;
                follower.rehydrate_now |= F::REHYDRATE_AFTER_FAILURE;
            }
        }
        tokio::time::sleep(feed.pause(failed)).await;
    }
}
