//! `AUDIT_LOG=path`: the demo appends every audit event as one JSON object per line,
//! `{"event","sub","sid","iss","at","user_agent"}`, for each of the nine events, and never a token.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::fixtures::{call, start_demo};
use common::demo::{call_with, Demo};
use common::dpop_proofs::ProofKey;
use http::{Method, StatusCode};
use serde_json::{json, Value};

const AGENT: &str = "audit-test/1.0";

async fn login(demo: &Demo, user: &str) -> Value {
    let body = json!({ "username": user, "password": format!("{user}-pass") }).to_string();
    let (status, pair, _) = call_with(
        demo,
        "POST",
        "/login",
        &[("user-agent", AGENT)],
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    pair
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap()
}

async fn post(demo: &Demo, path: &str, token: Option<&str>, body: Option<Value>) -> StatusCode {
    let body = body.map(|b| b.to_string());
    call(demo, Method::POST, path, token, body.as_deref())
        .await
        .status
}

/// A DPoP-bound login of alice, then `GET /me` twice with the same proof: the second is a refused replay.
async fn replay_a_proof(demo: &Demo) -> Vec<String> {
    let key = ProofKey::es256();
    let url = |path: &str| format!("{}{path}", demo.base);
    let login_proof = key.proof("POST", &url("/login"), None);
    let body = json!({ "username": "alice", "password": "alice-pass" }).to_string();
    let (_, pair, _) = call_with(
        demo,
        "POST",
        "/login",
        &[("dpop", &login_proof)],
        Some(&body),
    )
    .await;
    let access = text(&pair, "access_token").to_owned();
    // The login proof again: refused by the login handler (before the password), which reports it.
    let replayed = call_with(
        demo,
        "POST",
        "/login",
        &[("dpop", &login_proof), ("user-agent", AGENT)],
        Some(&body),
    )
    .await;
    assert_eq!(replayed.0, StatusCode::BAD_REQUEST);
    let proof = key.proof("GET", &url("/me"), Some(&access));
    let authorization = format!("DPoP {access}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("dpop", proof.as_str()),
    ];
    assert_eq!(
        call_with(demo, "GET", "/me", &headers, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call_with(demo, "GET", "/me", &headers, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    vec![access, proof, text(&pair, "refresh_token").to_owned()]
}

#[tokio::test]
async fn every_audit_event_is_one_json_line_without_tokens() {
    let path = std::env::temp_dir().join(format!("tja-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let demo = start_demo(&[
        ("AUDIT_LOG", path.to_str().unwrap()),
        ("ACCESS_TTL_SECS", "6"),
    ]);
    let sliding = login(&demo, "alice").await;
    let mut secrets = Vec::new();
    // refresh, then reuse of the rotated token.
    let first = login(&demo, "alice").await;
    let refresh = json!({ "refresh_token": text(&first, "refresh_token") });
    assert_eq!(
        post(&demo, "/refresh", None, Some(refresh.clone())).await,
        StatusCode::OK
    );
    assert_eq!(
        post(&demo, "/refresh", None, Some(refresh)).await,
        StatusCode::BAD_REQUEST
    );
    // session_ended from the device list, then logout.
    let (laptop, phone) = (login(&demo, "alice").await, login(&demo, "alice").await);
    let phone_sid = common::payload(text(&phone, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = call(
        &demo,
        Method::DELETE,
        &format!("/sessions/{phone_sid}"),
        Some(text(&laptop, "access_token")),
        None,
    )
    .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(
        post(&demo, "/logout", Some(text(&laptop, "access_token")), None).await,
        StatusCode::NO_CONTENT
    );
    // revoke (RFC 7009), then logout everywhere (bob).
    let revoked = login(&demo, "alice").await;
    let token = json!({ "token": text(&revoked, "refresh_token") });
    assert_eq!(
        post(&demo, "/revoke", None, Some(token)).await,
        StatusCode::OK
    );
    let bob = login(&demo, "bob").await;
    assert_eq!(
        post(&demo, "/logout-all", Some(text(&bob, "access_token")), None).await,
        StatusCode::NO_CONTENT
    );
    secrets.extend(replay_a_proof(&demo).await);
    // A sliding reissue: past half of the 6 s lifetime.
    tokio::time::sleep(Duration::from_millis(4100)).await;
    let slid = call(
        &demo,
        Method::POST,
        "/posts",
        Some(text(&sliding, "access_token")),
        None,
    )
    .await;
    assert_eq!(slid.status, StatusCode::CREATED);
    let renewed = slid.headers["x-access-token"].to_str().unwrap().to_owned();
    for pair in [&sliding, &first, &laptop, &phone, &revoked, &bob] {
        secrets.push(text(pair, "access_token").to_owned());
        secrets.push(text(pair, "refresh_token").to_owned());
    }
    secrets.push(renewed);

    // Seven logins, two replays (at the login handler and at the layer), one event for each other step.
    let lines = read_lines(&path, 16).await;
    assert_eq!(lines.len(), 16, "{lines:#?}");
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for event in &events {
        let keys: Vec<&str> = event
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let keys: BTreeSet<&str> = keys.into_iter().collect();
        assert_eq!(
            keys,
            BTreeSet::from(["event", "sub", "sid", "iss", "at", "user_agent"]),
            "{event}"
        );
        assert_eq!(event["iss"], "demo");
        assert!(event["at"].is_i64());
    }
    let names: BTreeSet<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "login",
            "refresh",
            "reuse_detected",
            "logout",
            "logout_all",
            "revoke",
            "session_ended",
            "sliding_reissue",
            "dpop_replay"
        ])
    );
    let first_login = &events[0];
    assert_eq!(
        (&first_login["event"], &first_login["sub"]),
        (&json!("login"), &json!("alice"))
    );
    assert_eq!(first_login["user_agent"], AGENT);
    let ended = events
        .iter()
        .find(|e| e["event"] == "session_ended")
        .unwrap();
    assert_eq!(
        (&ended["sid"], &ended["user_agent"]),
        (&json!(phone_sid), &json!(AGENT))
    );
    let reuse = events
        .iter()
        .find(|e| e["event"] == "reuse_detected")
        .unwrap();
    assert_eq!(
        reuse["sid"],
        common::payload(text(&first, "access_token"))["sid"]
    );
    let text = lines.join("\n");
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a token in the audit log");
    }
    drop(demo);
    let _ = std::fs::remove_file(&path);
}

/// The file's lines once it has at least `count` (the writer is a thread of the demo: poll for 5 s at most).
async fn read_lines(path: &std::path::Path, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= count {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} audit lines in {}", path.display());
}
