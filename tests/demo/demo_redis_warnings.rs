//! An application without a `tracing` subscriber (the demo installs none) still hears that its Redis may evict
//! revocation markers: `RedisStore`'s warning goes to standard error, naming the policy and the fix.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::demo::example_binary;
use crate::common::redis_server::RedisServer;

/// The demo's standard error up to its "listening" line, started on `redis_url`.
fn start_up_lines(redis_url: &str) -> Vec<String> {
    let mut child = Command::new(example_binary("demo"))
        .env("BIND", "127.0.0.1:0")
        .env("REDIS_URL", redis_url)
        .env("JWT_SECRET", "a demo secret of at least thirty-two bytes!")
        .env_remove("REDIS_CLUSTER")
        .env_remove("JWKS_URL")
        .env_remove("DATABASE_URL")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("demo listening on");
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

#[test]
fn an_evicting_redis_is_reported_on_stderr_without_a_subscriber() {
    let Some(evicting) = RedisServer::start(&["--maxmemory-policy", "allkeys-lru"]) else {
        return;
    };
    let lines = start_up_lines(&evicting.url());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("warning (tower-jwt-auth RedisStore)")
                && l.contains("allkeys-lru")
                && l.contains("set maxmemory-policy noeviction")),
        "{lines:#?}"
    );
    assert!(
        lines.last().unwrap().starts_with("demo listening on"),
        "{lines:#?}"
    );

    let Some(safe) = RedisServer::start(&["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let lines = start_up_lines(&safe.url());
    assert!(
        !lines.iter().any(|l| l.contains("maxmemory-policy")),
        "no warning for noeviction: {lines:#?}"
    );
}
