//! The demo's browser routes (POST /browser/login, /browser/refresh, /browser/logout) and the access cookie
//! on protected routes with the CSRF rule, exactly as the README's table says. The demo serves plain http, where
//! a browser would not send `Secure` cookies back: this client keeps them by hand (tests/browser drives the
//! same cookies with a real cookie jar over TLS).

use std::collections::BTreeMap;

use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::common::demo::{call_with, Demo};
use crate::fixtures::start_demo;

/// The cookies a browser keeps: name → (value, path).
#[derive(Default, Clone)]
pub(crate) struct Cookies(BTreeMap<String, (String, String)>);

impl Cookies {
    /// Takes the `Set-Cookie` headers of a response (`Max-Age=0` removes).
    fn take(&mut self, headers: &HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let path = attributes
                .split(';')
                .find_map(|a| a.trim().strip_prefix("Path="))
                .unwrap_or("/")
                .to_owned();
            if attributes.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), (value.to_owned(), path));
            }
        }
    }

    /// The `Cookie` header for `path`.
    fn header(&self, path: &str) -> String {
        self.0
            .iter()
            .filter(|(_, (_, p))| path.starts_with(p.as_str()))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|(value, _)| value.as_str())
    }
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) headers: HeaderMap,
}

/// `method path` with the cookies for `path` (and the CSRF header when `csrf`); the reply's cookies are kept.
pub(crate) async fn browse(
    demo: &Demo,
    cookies: &mut Cookies,
    method: &str,
    path: &str,
    csrf: bool,
    body: Option<&str>,
) -> Reply {
    let cookie = cookies.header(path);
    let token = cookies.get("__Host-csrf").unwrap_or_default().to_owned();
    let mut headers = vec![("cookie", cookie.as_str())];
    if csrf {
        headers.push(("x-csrf-token", token.as_str()));
    }
    let (status, body, headers) = call_with(demo, method, path, &headers, body).await;
    cookies.take(&headers);
    Reply {
        status,
        body,
        headers,
    }
}

/// A browser logged in to the demo as `user`.
pub(crate) async fn browser_login(demo: &Demo, user: &str, password: &str) -> (Reply, Cookies) {
    let mut cookies = Cookies::default();
    let body = json!({ "username": user, "password": password }).to_string();
    let reply = browse(
        demo,
        &mut cookies,
        "POST",
        "/browser/login",
        false,
        Some(&body),
    )
    .await;
    (reply, cookies)
}

fn set_cookie<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("Set-Cookie {name}"))
}

#[tokio::test]
async fn browser_login_sets_the_three_cookies_and_the_access_cookie_follows_the_csrf_rule() {
    let demo = start_demo(&[]);
    let (bad, _) = browser_login(&demo, "alice", "wrong").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.body["error"], "invalid_credentials");
    let (reply, mut cookies) = browser_login(&demo, "alice", "alice-pass").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.headers["cache-control"], "no-store");
    for (name, wanted, absent) in [
        (
            "__Host-access",
            &["HttpOnly", "Secure", "SameSite=Strict", "Path=/;"][..],
            None,
        ),
        (
            "__Secure-refresh",
            &["HttpOnly", "Secure", "SameSite=Strict", "Path=/browser;"][..],
            None,
        ),
        (
            "__Host-csrf",
            &["Secure", "SameSite=Strict", "Path=/;"][..],
            Some("HttpOnly"),
        ),
    ] {
        let cookie = set_cookie(&reply.headers, name);
        for attribute in wanted {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        if let Some(absent) = absent {
            assert!(!cookie.contains(absent), "{cookie}");
        }
    }
    let me = browse(&demo, &mut cookies, "GET", "/me", false, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["sub"], "alice");
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let refused = browse(&demo, &mut cookies, method, "/posts", false, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(refused.body["error"], "invalid_csrf_token", "{method}");
    }
    let mut wrong = cookies.clone();
    wrong
        .0
        .insert("__Host-csrf".into(), ("forged.token".into(), "/".into()));
    let forged = browse(&demo, &mut wrong, "POST", "/posts", true, None).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let posted = browse(&demo, &mut cookies, "POST", "/posts", true, None).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    assert_eq!(posted.body, json!({ "created": true, "author": "alice" }));
}

#[tokio::test]
async fn browser_refresh_rotates_the_cookies_and_reuse_revokes_the_family() {
    let demo = start_demo(&[]);
    let (_, mut cookies) = browser_login(&demo, "alice", "alice-pass").await;
    let before = cookies.clone();
    let no_csrf = browse(&demo, &mut cookies, "POST", "/browser/refresh", false, None).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(no_csrf.body["error"], "invalid_csrf_token");
    let refreshed = browse(&demo, &mut cookies, "POST", "/browser/refresh", true, None).await;
    assert_eq!(refreshed.status, StatusCode::NO_CONTENT);
    for name in ["__Host-access", "__Secure-refresh", "__Host-csrf"] {
        set_cookie(&refreshed.headers, name);
        assert_ne!(cookies.get(name), before.get(name), "{name} rotated");
    }
    let me = browse(&demo, &mut cookies, "GET", "/me", false, None).await;
    assert_eq!(me.status, StatusCode::OK);
    let mut stolen = before.clone();
    let reused = browse(&demo, &mut stolen, "POST", "/browser/refresh", true, None).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.body, json!({ "error": "invalid_grant" }));
    let family = browse(&demo, &mut cookies, "POST", "/browser/refresh", true, None).await;
    assert_eq!(
        family.status,
        StatusCode::BAD_REQUEST,
        "reuse revoked the family"
    );
    assert_eq!(family.body["error"], "invalid_grant");
}

#[tokio::test]
async fn browser_logout_revokes_the_session_and_clears_the_cookies() {
    let demo = start_demo(&[]);
    let (_, mut cookies) = browser_login(&demo, "alice", "alice-pass").await;
    let kept = cookies.clone();
    let refused = browse(&demo, &mut cookies, "POST", "/browser/logout", false, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = browse(&demo, &mut cookies, "POST", "/browser/logout", true, None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    for name in ["__Host-access", "__Secure-refresh", "__Host-csrf"] {
        assert!(
            set_cookie(&out.headers, name).contains("Max-Age=0"),
            "{name}"
        );
        assert!(cookies.get(name).is_none(), "{name} cleared");
    }
    let mut old = kept.clone();
    let me = browse(&demo, &mut old, "GET", "/me", false, None).await;
    assert_eq!(
        me.status,
        StatusCode::UNAUTHORIZED,
        "the session is revoked"
    );
    let refresh = browse(&demo, &mut old, "POST", "/browser/refresh", true, None).await;
    assert_eq!(refresh.body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_due_cookie_token_is_renewed_in_set_cookie_only() {
    let demo = start_demo(&[("ACCESS_TTL_SECS", "6")]);
    let (_, mut cookies) = browser_login(&demo, "alice", "alice-pass").await;
    let old = cookies.get("__Host-access").unwrap().to_owned();
    // Past half of the 6 s lifetime, before exp.
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let slid = browse(&demo, &mut cookies, "POST", "/posts", true, None).await;
    assert_eq!(slid.status, StatusCode::CREATED);
    assert!(
        !slid.headers.contains_key("x-access-token"),
        "never in a header scripts can read"
    );
    assert_eq!(slid.headers.get_all("set-cookie").iter().count(), 1);
    let renewed = set_cookie(&slid.headers, "__Host-access");
    assert!(
        renewed.contains("HttpOnly") && renewed.contains("Secure"),
        "{renewed}"
    );
    assert_ne!(cookies.get("__Host-access").unwrap(), old);
}
