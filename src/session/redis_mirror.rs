//! The Redis store's local revocation mirror: every process keeps the live revocations in memory, fed by a Redis
//! Stream, so the per-request revocation check makes no round trip and answers on the layer's synchronous path.
//!
//! - **Feed.** Every revocation is appended to the stream `<prefix>:feed`. On one server the script that writes
//!   the marker appends it (atomically: a marker never exists without its announcement). On a cluster the
//!   stream lives in another slot than the markers, so the store appends it itself: before the marker for
//!   revocations it makes unconditionally (a failed marker then over-revokes, never under-revokes), and right after
//!   the script for the conditional ones (refresh-token reuse, revoking a refresh token); a process that dies in
//!   that instant leaves the others to find the marker at their next full read, every five minutes on a cluster.
//!   The stream keeps about ten minutes of entries (`XADD … MINID ~`).
//! - **Follow.** A background task reads the stream with a blocking `XREAD` from the last id it has seen, on its
//!   own connection. A stream (rather than pub/sub) never drops an entry while a reader reconnects: it resumes
//!   from its id.
//! - **Hydrate.** Before following, and again after every broken read, the task notes the stream's last id, then
//!   reads every live marker key (`SCAN` on every primary), so nothing written while it was away is missed,
//!   however long that was.
//! - **Fail closed.** Each successful read (at least one a second: the read blocks for one second at most) marks
//!   the mirror fresh. Until the first hydration, and when the feed has been silent longer than the store's
//!   `max_feed_lag`, checks fail with a [`StoreError`] (503 from the layer), never an accepted token.
//! - **Own writes** go into the local mirror at once, so a process sees its own logouts immediately; other
//!   processes see them when the stream delivers them.
//! - **Memory** is bounded by the live revocations: entries are swept when their `until` has passed.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::session::mirror::Mirror;
use crate::session::redis_connection::{Connection, FeedClient};
use crate::session::revocations::Revocations;

/// How long a blocking read waits for entries before it returns empty (and marks the mirror fresh).
const BLOCK: Duration = Duration::from_secs(1);
/// How much of the stream is kept: readers that fall further behind hydrate again.
const FEED_RETENTION: Duration = Duration::from_secs(600);
/// Pause before reconnecting after a broken read.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);
/// On a cluster, how often the mirror reads every marker again: the feed is written after a conditional
/// revocation's script there (see the store docs), so a process that dies in between is caught up with by then.
const CLUSTER_REHYDRATION: Duration = Duration::from_secs(300);

/// Seconds since the Unix epoch, from the system clock (the clock Redis expires keys by).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The `MINID` of the stream's retention window, in milliseconds.
pub(crate) fn feed_min_id() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        .saturating_sub(FEED_RETENTION.as_millis() as u64)
}

/// A stream entry or a marker key, applied to the mirror.
fn apply(revocations: &mut Revocations, fields: &HashMap<String, String>) {
    let get = |name: &str| fields.get(name).map(String::as_str);
    let until = get("u")
        .and_then(|u| u.parse::<i64>().ok())
        .unwrap_or(i64::MAX);
    match (get("k"), get("i")) {
        (Some("j"), Some(jti)) => revocations.revoke_token(jti, until),
        (Some("s"), Some(sid)) => revocations.revoke_session(sid, until),
        (Some("n"), Some(issuer)) => {
            let not_before = get("nb").and_then(|nb| nb.parse().ok());
            if let (Some(subject), Some(not_before)) = (get("s"), not_before) {
                revocations.revoke_subject(issuer, subject, not_before, until);
            }
        }
        _ => {}
    }
}

/// Where the markers are, and the feed: the key layout of one store.
#[derive(Clone)]
pub(crate) struct Layout {
    pub(crate) prefix: Arc<str>,
}

impl Layout {
    pub(crate) fn feed_key(&self) -> String {
        format!("{}:feed", self.prefix)
    }

    /// The revocation a marker key stands for: `(kind, id, subject)`, decoded.
    fn marker(&self, key: &str) -> Option<(&'static str, String, Option<String>)> {
        let rest = key.strip_prefix(&*self.prefix)?.strip_prefix(':')?;
        let decode = |b64: &str| {
            URL_SAFE_NO_PAD
                .decode(b64)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        if let Some(jti) = rest.strip_prefix("j:") {
            return Some(("j", decode(jti)?, None));
        }
        let (tag, suffix) = rest.strip_prefix('{')?.split_once("}:")?;
        match (tag.strip_prefix("u:"), suffix) {
            (None, "r") => Some(("s", decode(tag)?, None)),
            (Some(subject), suffix) => {
                let issuer = suffix.strip_prefix("nb:")?;
                Some(("n", decode(issuer)?, Some(decode(subject)?)))
            }
            _ => None,
        }
    }
}

/// Reads every live marker of one primary into `revocations`.
async fn hydrate(
    connection: &mut Connection,
    layout: &Layout,
    revocations: &mut Revocations,
) -> redis::RedisResult<()> {
    let pattern = format!("{}:*", layout.prefix);
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(connection)
            .await?;
        let markers: Vec<_> = keys
            .iter()
            .filter_map(|key| layout.marker(key).map(|marker| (key, marker)))
            .collect();
        if !markers.is_empty() {
            let mut pipe = redis::pipe();
            for (key, _) in &markers {
                pipe.get(*key).cmd("EXPIRETIME").arg(*key);
            }
            let replies: Vec<(Option<String>, i64)> = pipe.query_async(connection).await?;
            for ((_, (kind, id, subject)), (value, expires)) in markers.into_iter().zip(replies) {
                let Some(value) = value else { continue }; // expired meanwhile
                let until = if expires > 0 { expires } else { i64::MAX };
                let mut fields = HashMap::from([
                    ("k".to_owned(), kind.to_owned()),
                    ("i".to_owned(), id),
                    ("u".to_owned(), until.to_string()),
                ]);
                if let Some(subject) = subject {
                    fields.insert("s".to_owned(), subject);
                    fields.insert("nb".to_owned(), value);
                }
                apply(revocations, &fields);
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

type StreamReply = Option<Vec<(String, Vec<(String, HashMap<String, String>)>)>>;

/// Hydrates, then follows the feed until a read fails (or, on a cluster, until it is time to hydrate again).
async fn follow_once(
    mirror: &Weak<Mirror>,
    client: &FeedClient,
    layout: &Layout,
    timeout: Duration,
) -> redis::RedisResult<()> {
    let mut connection = client.connect(timeout, BLOCK).await?;
    let feed = layout.feed_key();
    // The stream's last id first, then the markers: an entry written in between is read twice, never missed.
    let last: Vec<(String, HashMap<String, String>)> = redis::cmd("XREVRANGE")
        .arg(&feed)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut connection)
        .await?;
    let mut last_id = last
        .first()
        .map_or_else(|| "0-0".to_owned(), |(id, _)| id.clone());
    let mut hydrated = Revocations::default();
    for mut primary in client.primaries(&mut connection, timeout).await? {
        hydrate(&mut primary, layout, &mut hydrated).await?;
    }
    let hydrated_at = Instant::now();
    {
        let Some(mirror) = mirror.upgrade() else {
            return Ok(());
        };
        let mut revocations = mirror.write();
        // Own writes made meanwhile stay: merging only ever adds or lengthens.
        let mut hydrated = hydrated;
        std::mem::swap(&mut *revocations, &mut hydrated);
        revocations.merge(hydrated);
        drop(revocations);
        mirror.mark_fresh();
    }
    let mut swept_at = Instant::now();
    loop {
        let reply: StreamReply = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(1000)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&feed)
            .arg(&last_id)
            .query_async(&mut connection)
            .await?;
        let Some(mirror) = mirror.upgrade() else {
            return Ok(());
        };
        if client.is_cluster() && hydrated_at.elapsed() >= CLUSTER_REHYDRATION {
            // Hydrate again (the caller reconnects at once), staying fresh meanwhile.
            mirror.mark_fresh();
            return Ok(());
        }
        if let Some(streams) = reply {
            let mut revocations = mirror.write();
            for (_, entries) in streams {
                for (id, fields) in entries {
                    apply(&mut revocations, &fields);
                    last_id = id;
                }
            }
        }
        if swept_at.elapsed() >= Duration::from_secs(10) {
            mirror.write().sweep(unix_now());
            swept_at = Instant::now();
        }
        mirror.mark_fresh();
    }
}

/// The background task: hydrate and follow, again after every failure, until the store is dropped.
pub(crate) async fn follow(
    mirror: Weak<Mirror>,
    client: FeedClient,
    layout: Layout,
    timeout: Duration,
) {
    while mirror.strong_count() > 0 {
        match follow_once(&mirror, &client, &layout, timeout).await {
            Ok(()) => continue,
            Err(e) => {
                tracing::warn!(error = ?e.kind(), "Redis revocation feed broken; reconnecting")
            }
        }
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
}
