//! The layer's CSRF guard: a request authenticated by cookie that changes state needs the CSRF header, equal
//! to the CSRF cookie and minted for its session; forged, missing, swapped and cross-session tokens and
//! `Sec-Fetch-Site: cross-site` are refused with 403 `invalid_csrf_token`; bearer requests and safe methods are
//! not concerned.

use std::time::Duration;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use tower_jwt_auth::session::BrowserSessions;
use tower_jwt_auth::{Algorithm, AuthError, AuthErrorKind, ConfigError, MemoryStore, Sessions};

use crate::browser_fixtures::*;
use crate::common::sessions::test_issuer;

/// `POST /posts` with exactly these cookies and CSRF header (a client without a jar).
async fn post_posts(
    server: &TlsServer,
    cookies: &str,
    csrf: Option<&str>,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let client = Browser::new(server);
    let mut request = client.post("/posts").header("cookie", cookies);
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The `Cookie` header a browser sends to `/`: access and CSRF cookies.
fn cookies_of(browser: &Browser) -> (String, String) {
    let access = browser.cookie("/", "__Host-access").unwrap();
    (access, browser.csrf())
}

async fn assert_refused(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{why}");
    assert!(
        response.headers().get("www-authenticate").is_none(),
        "{why}: the token is fine"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_csrf_token", "{why}");
}

#[tokio::test]
async fn forged_missing_swapped_and_cross_session_tokens_are_refused() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let alice = logged_in(&server, "alice").await;
    let (access, csrf) = cookies_of(&alice);
    let cookie = |access: &str, csrf: &str| format!("__Host-access={access}; __Host-csrf={csrf}");
    // The page's request: 201.
    let ok = post_posts(&server, &cookie(&access, &csrf), Some(&csrf), &[]).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    // Missing: no header; no cookie to match the header.
    assert_refused(
        post_posts(&server, &cookie(&access, &csrf), None, &[]).await,
        "no header",
    )
    .await;
    let only_access = format!("__Host-access={access}");
    assert_refused(
        post_posts(&server, &only_access, Some(&csrf), &[]).await,
        "no cookie",
    )
    .await;
    // Forged: a planted cookie equal to the header, but not minted under the server key.
    let forged = "AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_refused(
        post_posts(&server, &cookie(&access, forged), Some(forged), &[]).await,
        "forged",
    )
    .await;
    let sid = crate::common::payload(&access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_key = other_browser_sessions().csrf().mint(&sid);
    assert_refused(
        post_posts(&server, &cookie(&access, &other_key), Some(&other_key), &[]).await,
        "minted for this session under another key",
    )
    .await;
    // Swapped: the header holds another value than the cookie (the access token; a second genuine token of
    // the same session, from a refresh).
    assert_refused(
        post_posts(&server, &cookie(&access, &csrf), Some(&access), &[]).await,
        "access token",
    )
    .await;
    alice.post_with_csrf("/auth/refresh").send().await.unwrap();
    let (access, newer) = cookies_of(&alice);
    assert_ne!(newer, csrf);
    assert_refused(
        post_posts(&server, &cookie(&access, &newer), Some(&csrf), &[]).await,
        "header ≠ cookie",
    )
    .await;
    // Cross-session: the attacker's own genuine pair (another session of alice, bob's) with the victim's
    // access cookie.
    for attacker in [
        logged_in(&server, "alice").await,
        logged_in(&server, "bob").await,
    ] {
        let theirs = attacker.csrf();
        assert_refused(
            post_posts(&server, &cookie(&access, &theirs), Some(&theirs), &[]).await,
            "another session's CSRF pair",
        )
        .await;
    }
    // Cross-site, even with the right token.
    assert_refused(
        post_posts(
            &server,
            &cookie(&access, &newer),
            Some(&newer),
            &[("sec-fetch-site", "cross-site")],
        )
        .await,
        "Sec-Fetch-Site: cross-site",
    )
    .await;
    for site in ["same-origin", "same-site", "none"] {
        let fine = post_posts(
            &server,
            &cookie(&access, &newer),
            Some(&newer),
            &[("sec-fetch-site", site)],
        )
        .await;
        assert_eq!(fine.status(), StatusCode::CREATED, "{site}");
    }
}

#[tokio::test]
async fn bearer_requests_and_safe_methods_are_not_concerned() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let alice = logged_in(&server, "alice").await;
    let access = alice.cookie("/", "__Host-access").unwrap();
    let api = Browser::new(&server);
    let bearer = api
        .post("/posts")
        .bearer_auth(&access)
        .header("sec-fetch-site", "cross-site");
    assert_eq!(bearer.send().await.unwrap().status(), StatusCode::CREATED);
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let safe = alice
            .client
            .request(method.clone(), alice.url("/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            safe.status(),
            StatusCode::OK,
            "{method} by cookie without a CSRF token"
        );
    }
    // Cookie and bearer at once: two methods, 400.
    let both = alice
        .post_with_csrf("/posts")
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refusals_carry_the_auth_error_and_cover_cookie_websocket_handshakes() {
    let app = browser_app();
    let login = app
        .browser
        .sessions()
        .login("alice", &serde_json::json!({}))
        .await
        .unwrap();
    let access = login.access_token().to_owned();
    let send = |request: Request<Body>| app.router.clone().oneshot(request);
    let refused = send(
        Request::delete("/posts")
            .header("cookie", format!("__Host-access={access}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let error = refused
        .extensions()
        .get::<AuthError>()
        .expect("the AuthError");
    assert_eq!(error.kind(), AuthErrorKind::InvalidCsrfToken);
    // A WebSocket handshake can't carry a header: a cookie-authenticated one is refused cross-site and from a
    // sibling subdomain (same-site), accepted from the service's own origin.
    let handshake = |site: &'static str| {
        Request::get("/me")
            .header("cookie", format!("__Host-access={access}"))
            .header("upgrade", "websocket")
            .header("connection", "upgrade")
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap()
    };
    for site in ["cross-site", "same-site", "Same-Site"] {
        assert_eq!(
            send(handshake(site)).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{site}"
        );
    }
    assert_eq!(
        send(handshake("same-origin")).await.unwrap().status(),
        StatusCode::OK
    );
}

fn other_browser_sessions() -> BrowserSessions {
    let clock = tower_jwt_auth::clock::ManualClock::new(crate::common::now());
    let sessions = Sessions::builder(
        test_issuer(&clock, Duration::from_secs(60)),
        MemoryStore::new(),
    )
    .build()
    .unwrap();
    BrowserSessions::builder(&sessions, "/auth")
        .build()
        .unwrap()
}

#[test]
fn a_cookie_source_without_a_guard_is_a_build_error_unless_opted_out() {
    let layer = || crate::common::builder_for(Algorithm::HS256).cookie("at");
    let error = layer().build().unwrap_err();
    assert!(matches!(error, ConfigError::Missing(_)), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("browser_sessions") && text.contains("allow_cookies_without_csrf"),
        "{text}"
    );
    assert!(layer().allow_cookies_without_csrf().build().is_ok());
    // Browser sessions check their cookie names and the prefix rules.
    let sessions = other_browser_sessions().sessions().clone();
    let bad = [
        BrowserSessions::builder(&sessions, "auth").build().err(),
        BrowserSessions::builder(&sessions, "/auth")
            .refresh_cookie("__Host-refresh")
            .build()
            .err(),
        BrowserSessions::builder(&sessions, "/auth")
            .csrf_cookie("bad name")
            .build()
            .err(),
        BrowserSessions::builder(&sessions, "/auth")
            .csrf_cookie("__Host-access")
            .build()
            .err(),
    ];
    assert!(bad.iter().all(Option::is_some), "{bad:?}");
    assert!(BrowserSessions::builder(&sessions, "/")
        .refresh_cookie("__Host-refresh")
        .build()
        .is_ok());
}
