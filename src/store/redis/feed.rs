//! The Redis store's local revocation mirror: every process keeps the live revocations in memory, fed by a Redis
//! Stream, so the per-request revocation check makes no round trip and answers on the layer's synchronous path.
//!
//! - **Feed.** Every revocation is appended to the stream `<prefix>:feed` by the script that records its marker
//!   (atomically: a marker never exists without its announcement, and a revocation that changes nothing announces
//!   nothing). The marker sets share the feed's hash slot, so this holds on a cluster too. The stream keeps ten
//!   minutes of entries by Redis's clock (`XADD … MINID ~` with `TIME` in the script): the entry ids are Redis's
//!   milliseconds, so an application clock running ahead must not pick the cut.
//! - **Follow.** A background task (the follower) reads the stream with a blocking `XREAD` from the last id it has
//!   seen, on its own connection. A stream (rather than pub/sub) never drops an entry while a reader reconnects: it
//!   resumes from its id.
//! - **Gaps.** After every read the task compares the stream's counters (`XINFO STREAM`: entries ever added, entries
//!   held) with how many it has read past. The stream only ever loses its oldest entries, so when it has dropped more
//!   than the follower read past, some entries after the follower's position were trimmed before it read them (a
//!   reader paused for longer than the retention, another writer trimming by a skewed clock, Redis's clock stepping
//!   forward): it rehydrates at once. So it does when the stream was deleted and started over.
//! - **Rehydrate.** Before following, after every broken read or gap, and every five minutes, the task notes the
//!   stream's position, then reads the marker sets (`ZSCAN`, `HSCAN` of the keys in the feed's slot — never the rest
//!   of the keyspace) on a new connection, so nothing written while it was away is missed, however long that was.
//!
//! The loop itself (when to rehydrate, when to read on, logging, stopping) is the follower shared with the SQL
//! store (`store/follower.rs`); this file is the Redis [`Feed`].
//! - **Fail closed.** Each successful read (at least one a second: the read blocks for one second at most) marks
//!   the mirror fresh. Until the first hydration, and when the feed has been silent longer than the store's
//!   `max_feed_lag`, checks fail with a [`StoreError`](crate::store::StoreError) (503 from the layer), never an accepted
//!   token.
//! - **Own writes** go into the local mirror at once, so a process sees its own logouts immediately; other
//!   processes see them when the stream delivers them.
//! - **Memory** is bounded by the live revocations: entries are swept when their `until` has passed (by the
//!   application's clock, which computed them).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::ErrorKind;

use crate::clock::SharedClock;
use crate::store::follower::{Feed, Read};
use crate::store::mirror::Mirror;
use crate::store::redis::connection::{store_error, Connection, FeedClient};
use crate::store::redis::keys::{subject_of, Layout, Marker};
use crate::store::revocations::Revocations;
use crate::store::StoreError;

/// How long a blocking read waits for entries before it returns empty (and marks the mirror fresh).
const BLOCK: Duration = Duration::from_secs(1);
/// How much of the stream is kept, by Redis's clock: readers that fall further behind notice the gap and hydrate
/// again.
pub(crate) const FEED_RETENTION: Duration = Duration::from_secs(600);
/// Pause before reconnecting after a broken read.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);
/// How often the mirror forgets revocations whose `until` has passed.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// A stream entry, applied to the mirror.
fn apply(revocations: &mut Revocations, fields: &HashMap<String, String>) {
    let get = |name: &str| fields.get(name).map(String::as_str);
    let until = get("u")
        .and_then(|u| u.parse::<i64>().ok())
        .unwrap_or(i64::MAX);
    match (get("k"), get("i")) {
        (Some("j"), Some(jti)) => revocations.revoke_token(jti, until),
        (Some("s"), Some(sid)) => revocations.revoke_session(sid, until),
        (Some("p"), Some(member)) => {
            if let Some((issuer, sid)) = subject_of(member) {
                revocations.revoke_issuer_session(&issuer, &sid, until);
            }
        }
        (Some("n"), Some(issuer)) => {
            let not_before = get("nb").and_then(|nb| nb.parse().ok());
            if let (Some(subject), Some(not_before)) = (get("s"), not_before) {
                revocations.revoke_subject(issuer, subject, not_before, until);
            }
        }
        _ => {}
    }
}

/// Every pair of a sorted set (`ZSCAN`: member, score) or a hash (`HSCAN`: field, value) whose second half is a
/// number, a page at a time.
async fn scan_pairs(
    connection: &mut Connection,
    command: &str,
    key: &str,
) -> redis::RedisResult<Vec<(String, i64)>> {
    let mut pairs = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, flat): (u64, Vec<String>) = redis::cmd(command)
            .arg(key)
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(connection)
            .await?;
        for pair in flat.chunks_exact(2) {
            if let Ok(number) = pair[1].parse::<f64>() {
                pairs.push((pair[0].clone(), number as i64));
            }
        }
        if next == 0 {
            return Ok(pairs);
        }
        cursor = next;
    }
}

/// Reads every marker into `revocations` (a rehydration): the marker sets and the subjects' not-before hash, all in
/// the feed's slot (one node of a cluster).
async fn read_markers(
    connection: &mut Connection,
    layout: &Layout,
    revocations: &mut Revocations,
) -> redis::RedisResult<()> {
    let tokens = layout.markers(Marker::Token);
    for (jti, until) in scan_pairs(connection, "ZSCAN", &tokens).await? {
        revocations.revoke_token(&jti, until);
    }
    let sessions = layout.markers(Marker::Session);
    for (sid, until) in scan_pairs(connection, "ZSCAN", &sessions).await? {
        revocations.revoke_session(&sid, until);
    }
    let provider_sessions = layout.markers(Marker::IssuerSession);
    for (member, until) in scan_pairs(connection, "ZSCAN", &provider_sessions).await? {
        if let Some((issuer, sid)) = subject_of(&member) {
            revocations.revoke_issuer_session(&issuer, &sid, until);
        }
    }
    let not_before: HashMap<String, i64> = scan_pairs(connection, "HSCAN", &layout.not_before())
        .await?
        .into_iter()
        .collect();
    let subjects = layout.markers(Marker::Subject);
    for (member, until) in scan_pairs(connection, "ZSCAN", &subjects).await? {
        // A member without its not-before was written or pruned meanwhile: the feed tells the rest.
        if let (Some(nb), Some((issuer, subject))) = (not_before.get(&member), subject_of(&member))
        {
            revocations.revoke_subject(&issuer, &subject, *nb, until);
        }
    }
    Ok(())
}

/// The stream's counters (`XINFO STREAM`): its last id, how many entries it was ever given, how many it holds.
struct FeedState {
    last_id: String,
    added: u64,
    length: u64,
}

/// Where a follower is: the id it has read up to, and how many entries the stream had been given up to it.
pub(crate) struct Position {
    id: String,
    added: u64,
}

impl FeedState {
    async fn read(connection: &mut Connection, feed: &str) -> redis::RedisResult<Self> {
        let info: redis::RedisResult<HashMap<String, redis::Value>> = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(feed)
            .query_async(connection)
            .await;
        let info = match info {
            Ok(info) => info,
            // No stream yet (XINFO refuses a missing key): nothing was ever announced, or it was deleted.
            Err(e) if matches!(e.kind(), ErrorKind::Server(_)) => {
                let exists: bool = redis::cmd("EXISTS")
                    .arg(feed)
                    .query_async(connection)
                    .await?;
                if exists {
                    return Err(e);
                }
                return Ok(Self {
                    last_id: "0-0".to_owned(),
                    added: 0,
                    length: 0,
                });
            }
            Err(e) => return Err(e),
        };
        let field = |name: &str| info.get(name).cloned().unwrap_or(redis::Value::Nil);
        Ok(Self {
            last_id: redis::from_redis_value(field("last-generated-id"))?,
            added: redis::from_redis_value(field("entries-added"))?,
            length: redis::from_redis_value(field("length"))?,
        })
    }

    /// Where a follower that has read everything up to now stands.
    fn position(self) -> Position {
        Position {
            id: self.last_id,
            added: self.added,
        }
    }

    /// Whether entries after `position` were dropped before the follower read them. The stream only ever loses
    /// its oldest entries: the `added - length` it dropped are the first ones, and the follower has read past
    /// `position.added` of them, so more dropped than that means some it never read. A stream given fewer
    /// entries than the follower read past was deleted and started over.
    fn lost_entries_after(&self, position: &Position) -> bool {
        self.added.saturating_sub(self.length) > position.added || self.added < position.added
    }
}

type StreamReply = Option<Vec<(String, Vec<(String, HashMap<String, String>)>)>>;

/// The Redis stream the mirror follows, with the connection its blocking reads use.
pub(crate) struct StreamFeed {
    pub(crate) client: FeedClient,
    pub(crate) layout: Layout,
    pub(crate) timeout: Duration,
    /// The application's clock: the mirror forgets lapsed revocations by it.
    pub(crate) clock: SharedClock,
    /// The connection of the current rehydration and the reads after it (none before the first).
    connection: Option<Connection>,
    swept_at: Instant,
}

impl StreamFeed {
    pub(crate) fn new(
        client: FeedClient,
        layout: Layout,
        timeout: Duration,
        clock: SharedClock,
    ) -> Self {
        Self {
            client,
            layout,
            timeout,
            clock,
            connection: None,
            swept_at: Instant::now(),
        }
    }

    /// A new connection, the stream's position, then every marker: an entry written in between is read twice,
    /// never missed.
    async fn read_all(&mut self) -> redis::RedisResult<(Position, Revocations)> {
        self.connection = None;
        let mut connection = self.client.connect(self.timeout, BLOCK).await?;
        let position = FeedState::read(&mut connection, &self.layout.feed())
            .await?
            .position();
        let mut read = Revocations::default();
        read_markers(&mut connection, &self.layout, &mut read).await?;
        read.sweep(self.clock.now());
        self.connection = Some(connection);
        Ok((position, read))
    }

    /// Reads the entries after `position` into `mirror` (blocking for [`BLOCK`] at most), then the stream's
    /// counters: [`Read::Lost`] when entries after the position were trimmed before they were read.
    async fn read_entries(
        &mut self,
        mirror: &Mirror,
        position: &mut Position,
    ) -> redis::RedisResult<Read> {
        let feed = self.layout.feed();
        let Some(connection) = self.connection.as_mut() else {
            return Ok(Read::Lost);
        };
        let reply: StreamReply = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(1000)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&feed)
            .arg(&position.id)
            .query_async(connection)
            .await?;
        if let Some(streams) = reply {
            let mut revocations = mirror.write();
            for (_, entries) in streams {
                for (id, fields) in entries {
                    apply(&mut revocations, &fields);
                    position.id = id;
                    position.added += 1;
                }
            }
        }
        if FeedState::read(connection, &feed)
            .await?
            .lost_entries_after(position)
        {
            return Ok(Read::Lost);
        }
        if self.swept_at.elapsed() >= SWEEP_EVERY {
            mirror.write().sweep(self.clock.now());
            self.swept_at = Instant::now();
        }
        mirror.mark_fresh();
        Ok(Read::Followed)
    }
}

impl Feed for StreamFeed {
    type Position = Position;

    const NAME: &'static str = "Redis revocation feed";

    /// The blocking reads are on the feed's own connection: after a failure it reconnects and rehydrates.
    const REHYDRATE_AFTER_FAILURE: bool = true;

    async fn rehydrate(
        &mut self,
        mirror: &Mirror,
        _earlier: Option<&Position>,
    ) -> Result<Position, StoreError> {
        let (position, read) = self.read_all().await.map_err(store_error)?;
        let mut revocations = mirror.write();
        // Own writes made meanwhile stay: merging only ever adds or lengthens.
        let mut read = read;
        std::mem::swap(&mut *revocations, &mut read);
        revocations.merge(read);
        drop(revocations);
        mirror.mark_fresh();
        Ok(position)
    }

    async fn read_after(
        &mut self,
        mirror: &Mirror,
        position: &mut Position,
    ) -> Result<Read, StoreError> {
        self.read_entries(mirror, position)
            .await
            .map_err(store_error)
    }

    /// A read blocks until entries come (a second at most): none after a step; a moment before reconnecting.
    fn pause(&self, failed: bool) -> Duration {
        match failed {
            true => RECONNECT_PAUSE,
            false => Duration::ZERO,
        }
    }
}
