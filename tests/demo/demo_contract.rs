//! The demo server's contract (README, "The demo server"), checked against the real example binary on
//! 127.0.0.1 — the binary `cargo test` builds beside the tests.

use crate::common;

use common::demo::{self, Demo};
use http::StatusCode;
use serde_json::{json, Value};

fn start_demo(envs: &[(&str, &str)]) -> Demo {
    demo::start(envs)
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

async fn call(
    demo: &Demo,
    method: http::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let (status, body, headers) = demo::call(demo, method.as_str(), path, token, body).await;
    Reply {
        status,
        headers,
        body,
    }
}

/// The status of `GET /me` with the token `name` of a login reply.
async fn me_status(demo: &Demo, reply: &Value, name: &str) -> StatusCode {
    let token = reply[name].as_str().unwrap();
    call(demo, http::Method::GET, "/me", Some(token), None)
        .await
        .status
}

async fn login(demo: &Demo, user: &str, password: &str) -> Reply {
    let body = json!({ "username": user, "password": password }).to_string();
    call(demo, http::Method::POST, "/login", None, Some(&body)).await
}

#[tokio::test]
async fn the_demo_serves_its_contract() {
    let demo = start_demo(&[("ACCESS_TTL_SECS", "6")]);
    assert_eq!(
        call(&demo, http::Method::GET, "/healthz", None, None)
            .await
            .status,
        StatusCode::OK
    );

    assert_eq!(
        login(&demo, "alice", "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad = call(&demo, http::Method::POST, "/login", None, Some("{not json")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"], "invalid_request");

    let alice = login(&demo, "alice", "alice-pass").await;
    assert_eq!(alice.status, StatusCode::OK);
    assert_eq!(alice.body["token_type"], "Bearer");
    let access = alice.body["access_token"].as_str().unwrap().to_owned();
    let refresh = alice.body["refresh_token"].as_str().unwrap().to_owned();

    let me = call(&demo, http::Method::GET, "/me", Some(&access), None).await;
    assert_eq!(
        (me.status, me.body["sub"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    let anonymous = call(&demo, http::Method::GET, "/me", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers["www-authenticate"],
        format!(
            "Bearer realm=\"demo\", resource_metadata=\"{0}/.well-known/oauth-protected-resource\", \
             DPoP realm=\"demo\", algs=\"ES256 EdDSA ES384 PS256 RS256\", \
             resource_metadata=\"{0}/.well-known/oauth-protected-resource\"",
            demo.base
        )
        .as_str(),
        "RFC 9728 §5.1: the challenge names the metadata of PUBLIC_URL (default http:// + the bound address)"
    );

    assert_eq!(
        call(&demo, http::Method::POST, "/posts", Some(&access), None)
            .await
            .status,
        StatusCode::CREATED
    );
    let bob = login(&demo, "bob", "bob-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let forbidden = call(&demo, http::Method::POST, "/posts", Some(&bob), None).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(forbidden.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));

    // Sliding: past half of the 6 s lifetime (4 or 5 whole seconds, as NumericDates count) and before exp, POST
    // /posts returns a renewed token.
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let slid = call(&demo, http::Method::POST, "/posts", Some(&access), None).await;
    assert_eq!(slid.status, StatusCode::CREATED);
    assert!(
        slid.headers.contains_key("x-access-token"),
        "a renewed token near expiry"
    );
    assert_eq!(slid.headers["cache-control"], "no-store");

    // Refresh rotates; reusing the old refresh token is invalid_grant and revokes the session.
    let body = json!({ "refresh_token": refresh }).to_string();
    let rotated = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_eq!(rotated.headers["cache-control"], "no-store");
    let reused = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(
        (reused.status, reused.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let new_access = rotated.body["access_token"].as_str().unwrap();
    assert_eq!(
        call(&demo, http::Method::GET, "/me", Some(new_access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Logout revokes the session and the access token.
    let fresh = login(&demo, "alice", "alice-pass").await;
    let (access, refresh) = (
        fresh.body["access_token"].as_str().unwrap(),
        fresh.body["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(
        call(&demo, http::Method::POST, "/logout", Some(access), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&demo, http::Method::GET, "/me", Some(access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let body = json!({ "refresh_token": refresh }).to_string();
    assert_eq!(
        call(&demo, http::Method::POST, "/refresh", None, Some(&body))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_demo_runs_with_asymmetric_keys() {
    let keys = format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"));
    let private = format!("{keys}/ec256_private.pem");
    let public = format!("{keys}/ec256_public.pem");
    let demo = start_demo(&[
        ("JWT_ALG", "ES256"),
        ("JWT_PRIVATE_KEY", &private),
        ("JWT_PUBLIC_KEY", &public),
    ]);
    let access = login(&demo, "bob", "bob-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let header = access.split('.').next().unwrap();
    assert!(header.starts_with("eyJhbGciOiJFUzI1NiI"), "an ES256 token");
    assert_eq!(
        call(&demo, http::Method::GET, "/me", Some(&access), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_subject_and_a_new_login_works() {
    let demo = start_demo(&[]);
    let first = login(&demo, "alice", "alice-pass").await.body;
    let second = login(&demo, "alice", "alice-pass").await.body;
    let bob = login(&demo, "bob", "bob-pass").await.body;
    let token = |reply: &Value, name: &str| reply[name].as_str().unwrap().to_owned();
    let anonymous = call(&demo, http::Method::POST, "/logout-all", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let done = call(
        &demo,
        http::Method::POST,
        "/logout-all",
        Some(&token(&second, "access_token")),
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    for session in [&first, &second] {
        assert_eq!(
            me_status(&demo, session, "access_token").await,
            StatusCode::UNAUTHORIZED
        );
        let body = json!({ "refresh_token": token(session, "refresh_token") }).to_string();
        let refreshed = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
        assert_eq!(refreshed.body["error"], "invalid_grant");
    }
    assert_eq!(
        me_status(&demo, &bob, "access_token").await,
        StatusCode::OK,
        "other users stay logged in"
    );
    let again = login(&demo, "alice", "alice-pass").await.body;
    assert_eq!(
        me_status(&demo, &again, "access_token").await,
        StatusCode::OK,
        "a login right after works"
    );
}

#[tokio::test]
async fn revoke_takes_refresh_and_access_tokens() {
    let demo = start_demo(&[]);
    let token = |reply: &Value, name: &str| reply[name].as_str().unwrap().to_owned();
    // An access token: revoked (with its session), 200.
    let alice = login(&demo, "alice", "alice-pass").await.body;
    let body = json!({ "token": token(&alice, "access_token"), "token_type_hint": "access_token" });
    let revoked = call(
        &demo,
        http::Method::POST,
        "/revoke",
        None,
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        me_status(&demo, &alice, "access_token").await,
        StatusCode::UNAUTHORIZED,
        "the access token is revoked"
    );
    let body = json!({ "refresh_token": token(&alice, "refresh_token") }).to_string();
    let refreshed = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(refreshed.body["error"], "invalid_grant", "and its session");
    // A refresh token: its session ends.
    let bob = login(&demo, "bob", "bob-pass").await.body;
    let body = json!({ "token": token(&bob, "refresh_token") }).to_string();
    let revoked = call(&demo, http::Method::POST, "/revoke", None, Some(&body)).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        me_status(&demo, &bob, "access_token").await,
        StatusCode::UNAUTHORIZED
    );
    // Unknown tokens are not errors; arrays are not objects.
    let unknown = call(
        &demo,
        http::Method::POST,
        "/revoke",
        None,
        Some(r#"{"token":"nope"}"#),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::OK);
    let array = call(
        &demo,
        http::Method::POST,
        "/revoke",
        None,
        Some(r#"["nope"]"#),
    )
    .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_and_refresh_bodies_must_be_json_objects() {
    let demo = start_demo(&[]);
    let login_array = call(
        &demo,
        http::Method::POST,
        "/login",
        None,
        Some(r#"["alice","alice-pass"]"#),
    )
    .await;
    assert_eq!(
        (login_array.status, login_array.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let alice = login(&demo, "alice", "alice-pass").await.body;
    let body = format!(r#"["{}"]"#, alice["refresh_token"].as_str().unwrap());
    let refresh_array = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(
        (refresh_array.status, refresh_array.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

/// The value of the Prometheus series `series` (`name{labels}` as rendered), 0 when absent.
fn series(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_show_the_counters_moving() {
    let demo = start_demo(&[]);
    let (status, before) = demo::get_text(&demo, "/metrics").await;
    assert_eq!(status, StatusCode::OK, "unauthenticated");
    let reply = login(&demo, "alice", "alice-pass").await;
    for _ in 0..3 {
        assert_eq!(
            me_status(&demo, &reply.body, "access_token").await,
            StatusCode::OK
        );
    }
    let bad = call(&demo, http::Method::GET, "/me", Some("not.a.token"), None).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let (_, after) = demo::get_text(&demo, "/metrics").await;
    assert_eq!(
        series(&after, "jwt_auth_allowed_total") - series(&before, "jwt_auth_allowed_total"),
        3.0,
        "{after}"
    );
    assert_eq!(
        series(&after, "jwt_auth_denied_total{reason=\"invalid_token\"}"),
        1.0,
        "{after}"
    );
    assert!(
        series(&after, "jwt_auth_token_cache_hit_total") >= 2.0,
        "{after}"
    );
    assert!(after.contains("jwt_auth_store_call_seconds"), "{after}");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn with_a_sqlite_database_a_restart_keeps_sessions_and_revocations() {
    let file = common::sessions::SqliteFile::new();
    let url = file.url();
    let envs = [
        ("DATABASE_URL", url.as_str()),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ];
    let demo = start_demo(&envs);
    let ended = login(&demo, "alice", "alice-pass").await.body;
    let kept = login(&demo, "alice", "alice-pass").await.body;
    let access = ended["access_token"].as_str().unwrap();
    let logout = call(&demo, http::Method::POST, "/logout", Some(access), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&demo, &ended, "access_token").await,
        StatusCode::UNAUTHORIZED
    );
    drop(demo);

    let demo = start_demo(&envs);
    assert_eq!(
        me_status(&demo, &ended, "access_token").await,
        StatusCode::UNAUTHORIZED,
        "the logged-out token is still refused after the restart"
    );
    assert_eq!(
        me_status(&demo, &kept, "access_token").await,
        StatusCode::OK
    );
    let body = json!({ "refresh_token": kept["refresh_token"] }).to_string();
    let rotated = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let body = json!({ "refresh_token": ended["refresh_token"] }).to_string();
    let refused = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_protected_resource_metadata_describes_public_url() {
    for public in [None, Some("https://api.example.test")] {
        let envs: Vec<(&str, &str)> = public.map(|url| ("PUBLIC_URL", url)).into_iter().collect();
        let demo = start_demo(&envs);
        let resource = public.map_or(demo.base.clone(), str::to_owned);
        let (status, text) = demo::get_text(&demo, "/.well-known/oauth-protected-resource").await;
        assert_eq!(status, StatusCode::OK, "unauthenticated");
        let metadata: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(metadata["resource"], resource.as_str());
        assert_eq!(metadata["authorization_servers"], json!(["demo"]));
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
        assert_eq!(metadata["scopes_supported"], json!(["read", "write"]));
        let refused = call(&demo, http::Method::POST, "/posts", None, None).await;
        let challenge = refused.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.ends_with(&format!(
                "resource_metadata=\"{resource}/.well-known/oauth-protected-resource\""
            )),
            "{challenge}"
        );
    }
}

/// RFC 9068 §2.2: the demo's tokens carry `"client_id":"demo"` unless the login names another, which the
/// refreshed tokens keep and `/me` shows; a client id that is not a short printable string is a 400.
#[tokio::test]
async fn demo_tokens_carry_a_client_id() {
    let demo = start_demo(&[("JWT_ISSUER", "https://issuer.example")]);
    let plain = login(&demo, "alice", "alice-pass").await.body;
    let me = |token: String| {
        let demo = &demo;
        async move {
            call(demo, http::Method::GET, "/me", Some(&token), None)
                .await
                .body
        }
    };
    let token = |reply: &Value, name: &str| reply[name].as_str().unwrap().to_owned();
    assert_eq!(me(token(&plain, "access_token")).await["client_id"], "demo");
    let body =
        json!({ "username": "bob", "password": "bob-pass", "client_id": "mobile-app" }).to_string();
    let named = call(&demo, http::Method::POST, "/login", None, Some(&body)).await;
    assert_eq!(named.status, StatusCode::OK);
    assert_eq!(
        me(token(&named.body, "access_token")).await["client_id"],
        "mobile-app"
    );
    let body = json!({ "refresh_token": token(&named.body, "refresh_token") }).to_string();
    let refreshed = call(&demo, http::Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(
        me(token(&refreshed.body, "access_token")).await["client_id"],
        "mobile-app"
    );
    for bad in [json!(""), json!("a b"), json!(7)] {
        let body =
            json!({ "username": "bob", "password": "bob-pass", "client_id": bad }).to_string();
        let refused = call(&demo, http::Method::POST, "/login", None, Some(&body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The median of `samples`.
fn median(mut samples: Vec<std::time::Duration>) -> std::time::Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn login_takes_as_long_for_an_unknown_user_as_for_a_wrong_password() {
    let demo = start_demo(&[]);
    // Each kind once before measuring (first connections, the dummy hash made on first use).
    login(&demo, "mallory", "guess").await;
    login(&demo, "alice", "guess").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..9 {
        for (user, samples) in [
            ("alice", &mut known),
            (&*format!("nobody-{round}"), &mut unknown),
        ] {
            let started = std::time::Instant::now();
            let reply = login(&demo, user, "wrong-password").await;
            samples.push(started.elapsed());
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}");
            assert_eq!(
                reply.body,
                json!({ "error": "invalid_credentials" }),
                "{user}"
            );
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("median login: wrong password {known:?}, unknown user {unknown:?}");
    // Both pay one argon2 verification; without the dummy hash an unknown user answered ~30 times faster.
    assert!(
        unknown * 3 >= known,
        "an unknown user's login ({unknown:?}) must cost what a wrong password costs ({known:?})"
    );
}

#[tokio::test]
async fn password_checks_beyond_the_bound_get_503_with_retry_after() {
    let demo = std::sync::Arc::new(start_demo(&[]));
    // The demo runs one password check per core at a time and lets a burst wait half a second for its turn;
    // far more logins than that arrive together (about 30 ms of CPU each).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let logins = (0..40 * cores + 40).map(|_| {
        let demo = demo.clone();
        tokio::spawn(async move { login(&demo, "alice", "wrong-password").await })
    });
    let replies = futures::future::join_all(logins).await;
    let (mut checked, mut busy) = (0, 0);
    for reply in replies {
        let reply = reply.unwrap();
        match reply.status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(reply.body, json!({ "error": "temporarily_unavailable" }));
                assert_eq!(reply.headers["retry-after"], "1");
            }
            other => panic!("a login answered {other}"),
        }
    }
    eprintln!("{checked} logins checked, {busy} refused as busy");
    assert!(
        checked >= 1 && busy >= 1,
        "{checked} checked, {busy} refused as busy"
    );
    // The permits come back: a login works afterwards.
    assert_eq!(
        login(&demo, "alice", "alice-pass").await.status,
        StatusCode::OK
    );
}

/// `JWT_PUBLIC_KEY`, when set, must be the public half of `JWT_PRIVATE_KEY`: with another key the demo refuses
/// to start and says why (the layer itself trusts the issuer's key ring, never a second copy of the key).
#[test]
fn the_demo_refuses_a_public_key_that_is_not_its_private_keys() {
    let keys = format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new(demo::example_binary("demo"))
        .env("BIND", "127.0.0.1:0")
        .env("JWT_ALG", "ES256")
        .env("JWT_PRIVATE_KEY", format!("{keys}/ec256_private.pem"))
        .env("JWT_PUBLIC_KEY", format!("{keys}/ec256_other_public.pem"))
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY"),
        "{stderr}"
    );
}
