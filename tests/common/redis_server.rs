//! A real `redis-server` for the tests: started on a free 127.0.0.1 port in a temporary directory, stopped by
//! PID. Without the binary the Redis tests are skipped with a loud message — except under CI (`CI` set), where
//! they fail, so CI never skips them (`.ci/run` installs redis-server).
#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// Starts a server, or returns `None` (after saying so loudly) when `redis-server` is not installed.
    pub fn start(extra: &[&str]) -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            super::missing::missing(
                "the Redis tests",
                "redis-server",
                "apt-get install -y redis-server",
            );
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("tja-redis-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            port: free_port(),
            dir,
            args: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: nothing is flushed on the way out).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory (and so with the same append-only file).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A marker a Redis store holds: its kind (`j` token id, `s` session, `n` subject), its id (for a subject,
/// base64url issuer `:` base64url subject) and its `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub kind: &'static str,
    pub id: String,
    pub until: i64,
}

/// Every revocation marker the store with `prefix` keeps on the server at `url` (its marker sets, which share the
/// feed's hash slot).
pub async fn markers(url: &str, prefix: &str) -> Vec<Marker> {
    let mut connection = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut markers = Vec::new();
    for kind in ["j", "s", "n"] {
        let members: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(format!("{prefix}:{{{prefix}:feed}}:{kind}"))
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(&mut connection)
            .await
            .unwrap();
        markers.extend(members.into_iter().map(|(id, until)| Marker {
            kind,
            id,
            until: until as i64,
        }));
    }
    markers
}

/// How many entries the revocation feed of the store with `prefix` was ever given (`XINFO STREAM`
/// `entries-added`; 0 without a feed): every announcement counts, trimmed or not.
pub async fn feed_entries(url: &str, prefix: &str) -> u64 {
    let mut connection = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let info: redis::RedisResult<std::collections::HashMap<String, redis::Value>> =
        redis::cmd("XINFO")
            .arg("STREAM")
            .arg(format!("{prefix}:feed"))
            .query_async(&mut connection)
            .await;
    match info {
        Ok(info) => redis::from_redis_value(info["entries-added"].clone()).unwrap(),
        Err(_) => 0,
    }
}

/// How many entries the store with `prefix` keeps on one server (or one cluster node): its keys, except that a
/// marker set counts as its members (so storage checks see every revocation) and the subjects' not-before hash,
/// which holds the same members, not at all.
pub async fn stored_entries(
    connection: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> usize {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(connection)
        .await
        .unwrap();
    let marker_sets = format!("{prefix}:{{{prefix}:feed}}:");
    let mut entries = 0;
    for key in keys {
        match key.strip_prefix(&marker_sets) {
            Some("nb") => {}
            Some(_) => {
                entries += redis::cmd("ZCARD")
                    .arg(&key)
                    .query_async::<usize>(connection)
                    .await
                    .unwrap();
            }
            None => entries += 1,
        }
    }
    entries
}

/// Calls per command since the server started (`INFO commandstats`; commands run by scripts included).
pub async fn command_counts(server: &RedisServer) -> std::collections::BTreeMap<String, u64> {
    let mut connection = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut connection)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// How many more calls each command got between two [`command_counts`] (those it got at all).
pub fn calls_between(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) -> std::collections::BTreeMap<String, u64> {
    after
        .iter()
        .map(|(name, calls)| (name.clone(), calls - before.get(name).copied().unwrap_or(0)))
        .filter(|(_, calls)| *calls > 0)
        .collect()
}
