//! The demo's "your devices" routes, driven over HTTP: `GET /sessions` lists the caller's live sessions with the
//! contract's fields (only `user_agent` may be null, the caller's own marked `current`), and `DELETE
//! /sessions/{id}` ends one of the caller's sessions (204) — another user's id and an unknown one are both 404.

use crate::common;

use std::collections::BTreeSet;

use crate::fixtures::{call, me_status, start_demo};
use common::demo::{call_with, Demo};
use http::{Method, StatusCode};
use serde_json::{json, Value};

/// `POST /login` with this `User-Agent` (none when `None`): the pair.
async fn login_as(demo: &Demo, user: &str, user_agent: Option<&str>) -> Value {
    let body = json!({ "username": user, "password": format!("{user}-pass") }).to_string();
    let headers: Vec<(&str, &str)> = user_agent
        .map(|ua| ("user-agent", ua))
        .into_iter()
        .collect();
    let (status, pair, _) = call_with(demo, "POST", "/login", &headers, Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    pair
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap()
}

fn sid(pair: &Value) -> String {
    common::payload(text(pair, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `GET /sessions` with `pair`'s access token: the listed sessions, checked against the contract's shape.
async fn sessions(demo: &Demo, pair: &Value) -> Vec<Value> {
    let reply = call(
        demo,
        Method::GET,
        "/sessions",
        Some(text(pair, "access_token")),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let object = reply.body.as_object().unwrap();
    assert_eq!(object.keys().collect::<Vec<_>>(), ["sessions"]);
    let listed = reply.body["sessions"].as_array().unwrap().clone();
    for session in &listed {
        let keys: BTreeSet<&str> = session
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "id",
                "created_at",
                "last_refresh_at",
                "expires_at",
                "user_agent",
                "current"
            ])
        );
        assert!(
            session["id"].is_string() && session["current"].is_boolean(),
            "{session}"
        );
        for time in ["created_at", "last_refresh_at", "expires_at"] {
            assert!(session[time].is_i64(), "{time} in Unix seconds: {session}");
        }
        assert!(session["user_agent"].is_string() || session["user_agent"].is_null());
    }
    listed
}

fn by_id<'a>(listed: &'a [Value], id: &str) -> &'a Value {
    listed.iter().find(|s| s["id"] == id).expect("listed")
}

#[tokio::test]
async fn sessions_lists_the_callers_live_sessions_and_marks_its_own() {
    let demo = start_demo(&[]);
    let anonymous = call(&demo, Method::GET, "/sessions", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let firefox = login_as(&demo, "alice", Some("Mozilla/5.0 Firefox/133.0")).await;
    let bare = login_as(&demo, "alice", None).await;
    let bob = login_as(&demo, "bob", Some("curl/8.5")).await;
    let listed = sessions(&demo, &bare).await;
    let ids: BTreeSet<&str> = listed.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([sid(&firefox).as_str(), sid(&bare).as_str()]),
        "alice's only"
    );
    let own = by_id(&listed, &sid(&bare));
    let other = by_id(&listed, &sid(&firefox));
    assert_eq!(
        (own["current"].as_bool(), other["current"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(other["user_agent"], "Mozilla/5.0 Firefox/133.0");
    assert_eq!(own["user_agent"], Value::Null);
    let claims = common::payload(text(&bare, "access_token"));
    assert_eq!(own["created_at"], claims["auth_time"]);
    assert_eq!(
        own["last_refresh_at"], own["created_at"],
        "the login time until the first refresh"
    );
    assert!(own["expires_at"].as_i64() > own["created_at"].as_i64());
    assert_eq!(sessions(&demo, &bob).await.len(), 1);

    // A refresh moves the last refresh (whole seconds: wait past one).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let body = json!({ "refresh_token": text(&firefox, "refresh_token") }).to_string();
    let rotated = call(&demo, Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let listed = sessions(&demo, &rotated.body).await;
    let refreshed = by_id(&listed, &sid(&firefox));
    assert_eq!(
        refreshed["current"], true,
        "the refreshed pair is the same session"
    );
    assert!(refreshed["last_refresh_at"].as_i64() > refreshed["created_at"].as_i64());
}

#[tokio::test]
async fn delete_ends_one_of_the_callers_sessions_and_nobody_elses() {
    let demo = start_demo(&[]);
    let laptop = login_as(&demo, "alice", Some("laptop")).await;
    let phone = login_as(&demo, "alice", Some("phone")).await;
    let bob = login_as(&demo, "bob", None).await;
    let delete = |id: String| {
        let token = text(&laptop, "access_token").to_owned();
        let demo = &demo;
        async move {
            call(
                demo,
                Method::DELETE,
                &format!("/sessions/{id}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    // Bob's session and one that does not exist: the same 404.
    let others = delete(sid(&bob)).await;
    let unknown = delete("AAAAAAAAAAAAAAAAAAAAAA".to_owned()).await;
    for reply in [&others, &unknown] {
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::NOT_FOUND, &json!({ "error": "not_found" }))
        );
    }
    assert_eq!(me_status(&demo, &bob, "access_token").await, StatusCode::OK);
    // Alice's phone: 204, and its access and refresh tokens stop working.
    let ended = delete(sid(&phone)).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&demo, &phone, "access_token").await,
        StatusCode::UNAUTHORIZED
    );
    let body = json!({ "refresh_token": text(&phone, "refresh_token") }).to_string();
    let refused = call(&demo, Method::POST, "/refresh", None, Some(&body)).await;
    assert_eq!(refused.body["error"], "invalid_grant");
    assert_eq!(
        delete(sid(&phone)).await.status,
        StatusCode::NOT_FOUND,
        "ended already"
    );
    let listed = sessions(&demo, &laptop).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], sid(&laptop));
    let anonymous = call(
        &demo,
        Method::DELETE,
        &format!("/sessions/{}", sid(&laptop)),
        None,
        None,
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
