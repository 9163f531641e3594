//! The Redis store's Lua scripts: every multi-key step is one script whose keys share a hash slot. The marking
//! scripts record a revocation marker and announce it on the feed in one step; the session scripts create,
//! rotate and revoke a session (on one server also recording the marker of a session they end).
//!
//! `ROTATE` states the refresh decision of `store/presented.rs` again in Lua (it must run inside Redis to be
//! atomic); the store conformance suite runs every presented-token case through it and compares the outcome
//! with that module's.

use redis::Script;

use crate::store::redis::feed::FEED_RETENTION;

/// The Lua every marking script starts with (after `local RETENTION = <seconds the feed keeps>`).
///
/// Markers are members of one sorted set per kind (id → until), in the feed's hash slot, so one script records a
/// marker and announces it. Redis's own clock (`TIME`) trims the feed and prunes lapsed markers: the feed's entry
/// ids are Redis's milliseconds, so trimming by the application's clock would drop fresh entries whenever that
/// clock runs ahead. A revocation that changes nothing (already revoked until then or later) writes and
/// announces nothing.
const MARKING: &str = r"
-- (`until` is a Lua keyword: the scripts call it `keep`.)
local function redis_now()
  return tonumber(redis.call('TIME')[1])
end
local function announce(feed, now, ...)
  redis.call('XADD', feed, 'MINID', '~', (now - RETENTION) .. '000', '*', ...)
end
local function prune(set, now, values)
  local lapsed = redis.call('ZRANGE', set, '-inf', now, 'BYSCORE', 'LIMIT', 0, 256)
  if #lapsed > 0 then
    redis.call('ZREM', set, unpack(lapsed))
    if values then redis.call('HDEL', values, unpack(lapsed)) end
  end
end
local function keep_until(key, keep, now)
  if tonumber(keep) > now then
    redis.call('EXPIREAT', key, keep, 'NX')
    redis.call('EXPIREAT', key, keep, 'GT')
  end
end
local function mark(set, feed, kind, id, keep)
  local now = redis_now()
  prune(set, now)
  local old = redis.call('ZSCORE', set, id)
  if old and tonumber(old) >= tonumber(keep) then return 0 end
  redis.call('ZADD', set, keep, id)
  keep_until(set, keep, now)
  announce(feed, now, 'k', kind, 'i', id, 'u', keep)
  return 1
end
";

/// KEYS: the kind's marker set, feed. ARGV: kind, id, until. 1 when recorded and announced, 0 when nothing
/// changed.
const MARK: &str = "return mark(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])";

/// KEYS: subject marker set, not-before hash, feed. ARGV: member, not before, until, issuer, subject.
/// Keeps the later not-before and the later until; 0 (and nothing written) when neither is later.
const MARK_SUBJECT: &str = r"
local set, values, feed, member = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local not_before, keep = ARGV[2], ARGV[3]
local now = redis_now()
prune(set, now, values)
local old_nb = redis.call('HGET', values, member)
local old_until = redis.call('ZSCORE', set, member)
local later_nb = not old_nb or tonumber(old_nb) < tonumber(not_before)
local later_until = not old_until or tonumber(old_until) < tonumber(keep)
if not (later_nb or later_until) then return 0 end
if later_nb then redis.call('HSET', values, member, not_before) else not_before = old_nb end
if later_until then redis.call('ZADD', set, keep, member) else keep = old_until end
keep_until(set, keep, now)
keep_until(values, keep, now)
announce(feed, now, 'k', 'n', 'i', ARGV[4], 's', ARGV[5], 'nb', not_before, 'u', keep)
return 1
";

/// KEYS: session. ARGV: sub, auth_time, exp, claims, generation, hash, token expiry, created, user agent.
const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'auth_time', ARGV[2], 'exp', ARGV[3], 'claims', ARGV[4],
  'gen', ARGV[5], 'cur', ARGV[6], 'texp', ARGV[7], 'rotated', '0', 'created', ARGV[8], 'ua', ARGV[9])
redis.call('EXPIREAT', KEYS[1], ARGV[7])
return 1
";

/// KEYS: session, then on one server the session marker set and the feed: there the script ends a reused family
/// and records its marker itself. On a cluster they are in another slot: the script only reports the reuse, and
/// the store records the marker, then ends the session (see [`RedisStore::end_session`]).
/// ARGV: generation, presented hash, now, grace, successor hash, successor exp, revoke until, session id.
/// The replies of a rotation and a retry end with the session's start, last rotation and user agent (8 to 10; a
/// session stored before they were kept starts at its `auth_time`, without a user agent).
const ROTATE: &str = r"
local s = redis.call('HMGET', KEYS[1], 'sub', 'auth_time', 'exp', 'claims', 'gen', 'cur', 'prev', 'rotated', 'texp',
  'created', 'ua')
if not s[1] then return {'invalid'} end
local now = tonumber(ARGV[3])
local session_end = tonumber(s[3])
if now >= session_end then return {'invalid'} end
local current = tonumber(s[5])
local presented = tonumber(ARGV[1])
if ARGV[1] == s[5] and ARGV[2] == s[6] then
  if now >= tonumber(s[9]) then return {'invalid'} end
  local texp = math.min(tonumber(ARGV[6]), session_end)
  local next_gen = tostring(current + 1)
  redis.call('HSET', KEYS[1], 'gen', next_gen, 'cur', ARGV[5], 'prev', ARGV[2], 'rotated', ARGV[3], 'texp', texp)
  redis.call('EXPIREAT', KEYS[1], texp)
  return {'rotated', s[1], s[2], s[3], s[4], next_gen, tostring(texp), '', s[10] or s[2], ARGV[3], s[11] or ''}
end
if presented + 1 == current and s[7] and ARGV[2] == s[7] then
  if now < tonumber(s[8]) + tonumber(ARGV[4]) then
    return {'retried', s[1], s[2], s[3], s[4], s[5], s[9], s[6], s[10] or s[2], s[8], s[11] or ''}
  end
  if KEYS[2] then
    redis.call('DEL', KEYS[1])
    mark(KEYS[2], KEYS[3], 's', ARGV[8], ARGV[7])
  end
  return {'reused', s[1]}
end
if presented < current then return {'outdated'} end
return {'invalid'}
";

/// KEYS: session, then on one server the session marker set and the feed (as for [`ROTATE`]: on a cluster the
/// script only reports that the token is the session's).
/// ARGV: generation, presented hash, until, session id.
const REVOKE_REFRESH: &str = r"
local s = redis.call('HMGET', KEYS[1], 'gen', 'cur', 'prev')
if not s[1] then return 0 end
local current = ARGV[1] == s[1] and ARGV[2] == s[2]
local previous = tonumber(ARGV[1]) + 1 == tonumber(s[1]) and s[3] and ARGV[2] == s[3]
if not (current or previous) then return 0 end
if KEYS[2] then
  redis.call('DEL', KEYS[1])
  mark(KEYS[2], KEYS[3], 's', ARGV[4], ARGV[3])
end
return 1
";

/// KEYS: subject session index. ARGV: now. Prunes ended sessions and returns the subject's sessions.
const SUBJECT_SESSIONS: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
";

/// KEYS: subject session index. ARGV: now, limit, the cursor's end ('' for the first page), the cursor's id.
/// Prunes ended sessions; returns `more` or `end`, then up to `limit` (id, end) pairs after the cursor, in
/// (end, id) order — Redis's own order of a sorted set. Reads at most 16 batches of `limit` + 1 entries (the
/// cursor's end is read from its first entry, and entries of that second up to the cursor's id are skipped).
const LIST_SESSIONS: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[2])
local min, after_end, after_id = '(' .. ARGV[1], nil, ARGV[4]
if ARGV[3] ~= '' then min, after_end = ARGV[3], tonumber(ARGV[3]) end
local out, offset = {}, 0
for _ = 1, 16 do
  local batch = redis.call('ZRANGE', KEYS[1], min, '+inf', 'BYSCORE', 'LIMIT', offset, limit + 1, 'WITHSCORES')
  for i = 1, #batch, 2 do
    local id, score = batch[i], batch[i + 1]
    if not (after_end and tonumber(score) == after_end and id <= after_id) then
      if #out == 2 * limit then return {'more', unpack(out)} end
      out[#out + 1] = id
      out[#out + 1] = score
    end
  end
  if #batch < 2 * (limit + 1) then return {'end', unpack(out)} end
  offset = offset + limit + 1
end
-- Only when more than 16 batches of one second's sessions lie before the cursor: with nothing to resume from,
-- the list ends here.
if #out == 0 then return {'end'} end
return {'more', unpack(out)}
";

/// KEYS: subject session index. ARGV: session id, session end, now.
/// Indexes a session (scored by its end) and prunes ended ones; the index lives as long as its longest session.
const INDEX_SESSION: &str = r"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'NX')
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'GT')
return 1
";

/// Every script the store runs, compiled once (Redis caches them by hash).
pub(super) struct Scripts {
    pub(super) create: Script,
    pub(super) index_session: Script,
    pub(super) rotate: Script,
    pub(super) revoke_refresh: Script,
    pub(super) mark: Script,
    pub(super) mark_subject: Script,
    pub(super) subject_sessions: Script,
    pub(super) list_sessions: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            create: Script::new(CREATE),
            index_session: Script::new(INDEX_SESSION),
            rotate: marking(ROTATE),
            revoke_refresh: marking(REVOKE_REFRESH),
            mark: marking(MARK),
            mark_subject: marking(MARK_SUBJECT),
            subject_sessions: Script::new(SUBJECT_SESSIONS),
            list_sessions: Script::new(LIST_SESSIONS),
        }
    }
}

/// A script that records markers: [`MARKING`] and the feed's retention, then `body`.
fn marking(body: &str) -> Script {
    Script::new(&format!(
        "local RETENTION = {}\n{MARKING}{body}",
        FEED_RETENTION.as_secs()
    ))
}

/// An invocation of a session script with the session's key, then the keys it records a marker with (if any).
pub(super) fn session_invocation<'a>(
    script: &'a Script,
    session_key: &String,
    marking: &[String],
) -> redis::ScriptInvocation<'a> {
    let mut invocation = script.prepare_invoke();
    invocation.key(session_key);
    for key in marking {
        invocation.key(key);
    }
    invocation
}
