//! The demo server's contract (README, "The demo server"), checked against the real example binary on 127.0.0.1
//! — the binary `cargo test` builds beside the tests: its routes, its protected resource metadata, and the
//! `client_id` its tokens carry.

use crate::common;

use crate::fixtures::{call, login, start_demo};
use common::demo::{self};
use http::StatusCode;
use serde_json::{json, Value};

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
