//! The demo's sessions: logout everywhere, revoking refresh and access tokens, JSON-object bodies, and sessions
//! and revocations kept across a restart on SQLite.

use crate::common;

use crate::fixtures::{call, login, me_status, start_demo};
use http::StatusCode;
use serde_json::{json, Value};

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
