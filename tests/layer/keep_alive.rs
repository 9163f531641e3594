//! Rejected requests that carry a body, on one keep-alive connection: every request gets a complete response,
//! and a connection the server is going to close says so (`Connection: close`) — never a connection closed
//! after a keep-alive response (issue 22, item 7). Checked on a raw HTTP/1.1 connection against real servers on
//! 127.0.0.1 (an axum app behind the layer, and the demo), with bodies sometimes sent in a second write (right
//! after the head, or after a pause, as a loaded client does), while other threads load the CPU.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::Router;
use common::observed_store::ObservedStore;
use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tower_jwt_auth::{MemoryStore, SessionStore};

/// One request of a sequence: method, path, bearer token, JSON body, and the status it must get.
#[derive(Clone, Debug)]
struct Step {
    method: &'static str,
    path: &'static str,
    token: Option<String>,
    body: Option<&'static str>,
    expect: u16,
}

fn step(
    method: &'static str,
    path: &'static str,
    token: Option<&str>,
    body: Option<&'static str>,
    expect: u16,
) -> Step {
    Step {
        method,
        path,
        token: token.map(str::to_owned),
        body,
        expect,
    }
}

/// A complete response: its status, whether it announced `Connection: close`, and its body.
struct Reply {
    status: u16,
    close: bool,
    body: Vec<u8>,
}

/// What a replay saw: requests sent, how many had their body sent in a second write, the closes the server
/// announced (by status), and every failure (a request that got no complete response, or the wrong status).
#[derive(Debug, Default)]
struct Tally {
    requests: usize,
    split: usize,
    closes: std::collections::BTreeMap<u16, usize>,
    failures: Vec<String>,
}

/// A client of one HTTP/1.1 connection at a time, over a raw socket: it reuses the connection until a response
/// announces `Connection: close`, then opens a new one.
struct Client {
    address: String,
    connection: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            connection: None,
        }
    }

    /// Sends `step` (its body after `pause` in a second write, when given) and reads the complete response.
    fn exchange(&mut self, step: &Step, pause: Option<Duration>) -> Result<Reply, String> {
        let fresh = self.connection.is_none();
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => {
                let stream =
                    TcpStream::connect(&self.address).map_err(|e| format!("connect: {e}"))?;
                stream.set_nodelay(true).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                self.connection.insert(BufReader::new(stream))
            }
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            step.method, step.path, self.address
        );
        if let Some(token) = &step.token {
            head.push_str(&format!("authorization: Bearer {token}\r\n"));
        }
        let body = step.body.unwrap_or_default();
        if step.body.is_some() {
            head.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let stream = connection.get_mut();
        let sent = match pause {
            Some(pause) => stream.write_all(head.as_bytes()).map(|()| {
                std::thread::sleep(pause);
                // The server may already have answered and closed (announced): the response is still read.
                let _ = stream.write_all(body.as_bytes());
            }),
            None => stream.write_all(format!("{head}{body}").as_bytes()),
        };
        let reply = sent
            .map_err(|e| format!("send: {e}"))
            .and_then(|()| read_response(connection));
        match &reply {
            Ok(reply) if !reply.close => {}
            _ => self.connection = None,
        }
        reply.map_err(|e| match fresh {
            true => format!("{e} (on a new connection)"),
            false => format!("{e} (on a connection reused after a keep-alive response)"),
        })
    }
}

/// One HTTP/1.1 response, read completely (`content-length` or chunked body).
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<Reply, String> {
    let mut line = String::new();
    let read = reader
        .read_line(&mut line)
        .map_err(|e| format!("no response: {e}"))?;
    if read == 0 {
        return Err("the server closed the connection without a response".into());
    }
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let (mut length, mut chunked, mut close) = (0usize, false, false);
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("headers cut: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').ok_or("bad header")?;
        let value = value.trim().to_ascii_lowercase();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| "bad content-length")?,
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => close = value.split(',').any(|token| token.trim() == "close"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("chunk cut: {e}"))?;
            let size = usize::from_str_radix(line.trim_end(), 16).map_err(|_| "bad chunk size")?;
            let mut chunk = vec![0; size + 2];
            reader
                .read_exact(&mut chunk)
                .map_err(|e| format!("chunk cut: {e}"))?;
            body.extend_from_slice(&chunk[..size]);
            if size == 0 {
                break;
            }
        }
    } else {
        body.resize(length, 0);
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("body cut: {e}"))?;
    }
    Ok(Reply {
        status,
        close,
        body,
    })
}

/// Plays `steps` `rounds` times on one keep-alive connection (a new one only after an announced close); the
/// body of a body-carrying request comes in the same write as its head, in a second write right after it (as
/// Python's `requests` sends), or in a second write `pause` after it, in turn.
fn replay(address: &str, steps: &[Step], rounds: usize, pause: Duration) -> Tally {
    let mut client = Client::new(address);
    let mut tally = Tally::default();
    let mut previous: Option<(&Step, bool)> = None;
    for round in 0..rounds {
        for (index, step) in steps.iter().enumerate() {
            let second_write = match (round + index) % 3 {
                0 => Some(pause),
                1 => Some(Duration::ZERO),
                _ => None,
            };
            let split = step.body.is_some() && second_write.is_some();
            tally.requests += 1;
            tally.split += usize::from(split);
            match client.exchange(step, second_write.filter(|_| split)) {
                Ok(reply) if reply.status == step.expect => {
                    if reply.close {
                        *tally.closes.entry(reply.status).or_default() += 1;
                    }
                }
                Ok(reply) => tally.failures.push(format!(
                    "{} {} got {} ({}), expected {}",
                    step.method,
                    step.path,
                    reply.status,
                    String::from_utf8_lossy(&reply.body),
                    step.expect
                )),
                Err(error) => tally.failures.push(format!(
                    "{} {}: {error}; after {:?}",
                    step.method,
                    step.path,
                    previous.map(|(step, split)| format!(
                        "{} {} (token: {}, body: {}, split: {split})",
                        step.method,
                        step.path,
                        step.token.is_some(),
                        step.body.is_some()
                    ))
                )),
            }
            previous = Some((step, split));
        }
    }
    tally
}

/// Threads that keep every core busy until `stop` (or 60 s at most), so the server and the client are
/// scheduled late, as on the loaded machine the drops were seen on.
fn load_cpu(stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (0..cores)
        .map(|_| {
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut x = 1u64;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    for _ in 0..10_000 {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                }
            })
        })
        .collect()
}

/// `replay` on a blocking thread while the CPU is loaded; fails with every failure listed.
async fn replay_loaded(address: String, steps: Vec<Step>, rounds: usize) -> Tally {
    let stop = Arc::new(AtomicBool::new(false));
    let load = load_cpu(&stop);
    let started = Instant::now();
    let tally = tokio::task::spawn_blocking(move || {
        replay(&address, &steps, rounds, Duration::from_millis(2))
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().unwrap();
    }
    eprintln!(
        "{} requests ({} with the body in a second write) in {:?}: announced closes by status {:?}, {} failures",
        tally.requests,
        tally.split,
        started.elapsed(),
        tally.closes,
        tally.failures.len()
    );
    tally
}

const BODY: &str = r#"{"title":"hello","text":"a small JSON body"}"#;

/// A token of the test issuer signed with another secret (an attacker's key).
fn forged() -> String {
    sign_raw(
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &claims().to_string(),
        Algorithm::HS256,
        &EncodingKey::from_secret(b"an attacker's secret, not the server's").unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layers_rejections_keep_the_connection_or_announce_its_close() {
    // Every path a rejection takes: decided at once (bad signature, no token), after the revocation store
    // answered later (a revoked token), and by a per-route requirement (a missing scope).
    let store = MemoryStore::new();
    store.revoke_token("revoked", now() + 600).await.unwrap();
    let auth = builder_for(Algorithm::HS256)
        .revocation(ObservedStore::asynchronous(store))
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/posts",
            post(|body: Bytes| async move { (StatusCode::CREATED, body) })
                .route_layer(auth.require_scopes(["write"])),
        )
        .route("/me", get(|| async { "me" }))
        .layer(auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let valid = hs256(&claims());
    let read_only = hs256(&with_claim(claims(), "scope", json!("read")));
    let revoked = hs256(&with_claim(claims(), "jti", json!("revoked")));
    let forged = forged();
    let steps = vec![
        step("POST", "/posts", Some(&forged), Some(BODY), 401),
        step("GET", "/me", Some(&valid), None, 200),
        step("POST", "/posts", None, Some(BODY), 401),
        step("POST", "/posts", Some(&valid), Some(BODY), 201),
        step("POST", "/posts", Some(&revoked), Some(BODY), 401),
        step("POST", "/posts", Some(&read_only), Some(BODY), 403),
        step("POST", "/me", Some("not.a.token"), Some(BODY), 401),
        step("GET", "/me", Some(&valid), None, 200),
    ];
    let tally = replay_loaded(address, steps, 250).await;
    server.abort();
    assert!(
        tally.failures.is_empty(),
        "{} of {} requests failed: {:#?}",
        tally.failures.len(),
        tally.requests,
        tally.failures
    );
    // Only refusals close the connection (the handler read its body: the connection stays).
    assert!(
        tally
            .closes
            .keys()
            .all(|status| [401, 403].contains(status)),
        "{:?}",
        tally.closes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_every_bad_request_on_a_keep_alive_connection() {
    let demo =
        common::demo::start(&[("JWT_SECRET", "a-secret-for-the-keep-alive-test-0123456789")]);
    let login = common::demo::call(
        &demo,
        "POST",
        "/login",
        None,
        Some(r#"{"username":"alice","password":"alice-pass"}"#),
    )
    .await;
    let valid = login.1["access_token"].as_str().unwrap().to_owned();
    let forged = forged();
    let steps = vec![
        // A handler that does not read the body, then the layer's rejections.
        step("POST", "/posts", Some(&valid), Some(BODY), 201),
        step("POST", "/posts", Some(&forged), Some(BODY), 401),
        step("GET", "/me", Some(&valid), None, 200),
        step("POST", "/posts", None, Some(BODY), 401),
        step("POST", "/logout", Some(&forged), Some(BODY), 401),
        step("POST", "/login", None, Some("{not json"), 400),
        step(
            "POST",
            "/refresh",
            None,
            Some(r#"{"refresh_token":"nope"}"#),
            400,
        ),
        step("POST", "/revoke", None, Some(r#"{"token":"nope"}"#), 200),
        // A method the route lacks; a path nobody serves (behind the layer: 401 without a token).
        step("POST", "/me", Some(&valid), Some(BODY), 405),
        step("POST", "/nowhere", None, Some(BODY), 401),
        step("GET", "/healthz", None, None, 200),
    ];
    let address = demo.base.trim_start_matches("http://").to_owned();
    let tally = replay_loaded(address, steps, 180).await;
    assert!(
        tally.failures.is_empty(),
        "{} of {} requests failed: {:#?}",
        tally.failures.len(),
        tally.requests,
        tally.failures
    );
    // The demo reads every body first: only the layer's refusals (which never look at a body) close.
    assert_eq!(
        tally.closes.keys().collect::<Vec<_>>(),
        [&401],
        "{:?}",
        tally.closes
    );
}
