//! Cookie sessions end to end with a cookie-keeping HTTPS client: login sets the three cookies, the access
//! cookie authenticates, refresh rotates all three (reuse revokes the family), logout revokes and clears, and
//! sliding renews the access cookie only.

use http::StatusCode;
use serde_json::Value;

use crate::browser_fixtures::*;

#[tokio::test]
async fn login_sets_three_cookies_that_the_browser_sends_where_they_belong() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = Browser::new(&server);
    let response = browser.login("alice").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&response);
    let access = set_cookie(&cookies, "__Host-access");
    let refresh = set_cookie(&cookies, "__Secure-refresh");
    let csrf = set_cookie(&cookies, "__Host-csrf");
    for (cookie, attributes) in [
        (
            access,
            &["HttpOnly", "Secure", "SameSite=Strict", "Path=/;"][..],
        ),
        (
            refresh,
            &["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth;"][..],
        ),
        (csrf, &["Secure", "SameSite=Strict", "Path=/;"][..]),
    ] {
        for attribute in attributes {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains("Domain"), "host-only: {cookie}");
    }
    assert!(
        !csrf.contains("HttpOnly"),
        "the page's script reads the CSRF token: {csrf}"
    );
    assert!(access.contains(&format!("Max-Age={TTL}")), "{access}");
    // The jar sends the access and CSRF cookies everywhere, the refresh cookie only below /auth.
    assert!(browser.cookie("/me", "__Host-access").is_some());
    assert!(browser.cookie("/me", "__Secure-refresh").is_none());
    assert!(browser
        .cookie("/auth/refresh", "__Secure-refresh")
        .is_some());
    let me = browser.get("/me").send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let claims: Value = me.json().await.unwrap();
    assert_eq!(claims["sub"], "alice");
    // Without the cookies, nothing.
    let anonymous = Browser::new(&server).get("/me").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_rotates_all_three_cookies_and_reuse_revokes_the_family() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = logged_in(&server, "alice").await;
    let before = |name: &str, path: &str| browser.cookie(path, name).unwrap();
    let (old_access, old_refresh, old_csrf) = (
        before("__Host-access", "/"),
        before("__Secure-refresh", "/auth/refresh"),
        before("__Host-csrf", "/"),
    );
    app.clock.advance(10);
    let refreshed = browser
        .post_with_csrf("/auth/refresh")
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::NO_CONTENT);
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&refreshed);
    for name in ["__Host-access", "__Secure-refresh", "__Host-csrf"] {
        set_cookie(&cookies, name);
    }
    assert_ne!(browser.cookie("/", "__Host-access").unwrap(), old_access);
    assert_ne!(
        browser.cookie("/auth/refresh", "__Secure-refresh").unwrap(),
        old_refresh
    );
    assert_ne!(browser.csrf(), old_csrf);
    assert_eq!(
        browser.get("/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    // A thief replays the rotated refresh cookie (with the old CSRF pair): 400 invalid_grant, and the family
    // is revoked, so the browser's current cookies die too.
    let thief = Browser::new(&server);
    let url = thief.url("/auth/refresh");
    thief.jar.add_cookie_str(
        &format!("__Secure-refresh={old_refresh}; Secure; Path=/auth"),
        &url,
    );
    thief
        .jar
        .add_cookie_str(&format!("__Host-csrf={old_csrf}; Secure; Path=/"), &url);
    let reused = thief
        .post("/auth/refresh")
        .header("x-csrf-token", &old_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let current = browser
        .post_with_csrf("/auth/refresh")
        .send()
        .await
        .unwrap();
    assert_eq!(
        current.status(),
        StatusCode::BAD_REQUEST,
        "the family is revoked"
    );
    assert!(
        set_cookies(&current)
            .iter()
            .all(|c| c.contains("Max-Age=0")),
        "a dead session's cookies are cleared"
    );
    assert_eq!(
        browser.get("/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_needs_the_csrf_token_of_its_session() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = logged_in(&server, "alice").await;
    let refresh = browser.cookie("/auth/refresh", "__Secure-refresh").unwrap();
    let missing = browser.post("/auth/refresh").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let other = logged_in(&server, "alice").await;
    let foreign = browser
        .post("/auth/refresh")
        .header("x-csrf-token", other.csrf())
        .send()
        .await
        .unwrap();
    assert_eq!(
        foreign.status(),
        StatusCode::FORBIDDEN,
        "another session's CSRF token"
    );
    let cross_site = browser
        .post_with_csrf("/auth/refresh")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let body: Value = cross_site.json().await.unwrap();
    assert_eq!(body["error"], "invalid_csrf_token");
    // Nothing rotated: the refresh cookie still works, once.
    assert_eq!(
        browser.cookie("/auth/refresh", "__Secure-refresh").unwrap(),
        refresh
    );
    let ok = browser
        .post_with_csrf("/auth/refresh")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    let none = Browser::new(&server)
        .post("/auth/refresh")
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::BAD_REQUEST, "no refresh cookie");
}

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookies() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = logged_in(&server, "alice").await;
    let access = browser.cookie("/", "__Host-access").unwrap();
    let refresh = browser.cookie("/auth/refresh", "__Secure-refresh").unwrap();
    let forged = browser.post("/auth/logout").send().await.unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token: no logout"
    );
    assert_eq!(
        browser.get("/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    let out = browser.post_with_csrf("/auth/logout").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cookies = set_cookies(&out);
    for name in ["__Host-access", "__Secure-refresh", "__Host-csrf"] {
        assert!(
            set_cookie(&cookies, name).contains("Max-Age=0"),
            "{cookies:?}"
        );
    }
    assert!(browser
        .cookie("/auth/refresh", "__Secure-refresh")
        .is_none());
    assert!(browser.cookie("/", "__Host-access").is_none());
    // The session is revoked: its access token is refused wherever it comes from, its refresh token too.
    let bearer = browser
        .get("/me")
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    assert!(app.sessions.refresh(&refresh).await.is_err());
}

#[tokio::test]
async fn sliding_renews_the_access_cookie_only() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = logged_in(&server, "alice").await;
    let old = browser.cookie("/", "__Host-access").unwrap();
    app.clock.advance(TTL as i64 / 2 + 60);
    let posted = browser.post_with_csrf("/posts").send().await.unwrap();
    assert_eq!(posted.status(), StatusCode::CREATED);
    assert!(
        posted.headers().get("x-access-token").is_none(),
        "no header scripts can read"
    );
    assert_eq!(posted.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&posted);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let renewed = set_cookie(&cookies, "__Host-access");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/;"] {
        assert!(renewed.contains(attribute), "{attribute} in {renewed}");
    }
    let new = browser.cookie("/", "__Host-access").unwrap();
    assert_ne!(new, old);
    assert!(
        crate::common::payload(&new)["exp"].as_i64() > crate::common::payload(&old)["exp"].as_i64()
    );
    // The same token as a bearer header is renewed in the header, as before.
    app.clock.advance(TTL as i64 / 2 + 60);
    let api_client = Browser::new(&server);
    let bearer = api_client
        .post("/posts")
        .bearer_auth(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::CREATED);
    assert!(bearer.headers().get("x-access-token").is_some());
}

#[tokio::test]
async fn logout_outside_the_layer_takes_the_refresh_cookie_when_the_access_cookie_has_expired() {
    let app = browser_app();
    let server = serve_tls(app.router).await;
    let browser = logged_in(&server, "alice").await;
    let refresh = browser.cookie("/auth/refresh", "__Secure-refresh").unwrap();
    app.clock.advance(TTL as i64 + 60);
    assert_eq!(
        browser.get("/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let forged = browser.post("/auth/end").send().await.unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token: no logout"
    );
    let other = logged_in(&server, "bob").await;
    let foreign = browser
        .post("/auth/end")
        .header("x-csrf-token", other.csrf());
    assert_eq!(
        foreign.send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let anonymous = Browser::new(&server)
        .post("/auth/end")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let out = browser.post_with_csrf("/auth/end").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(set_cookies(&out).iter().all(|c| c.contains("Max-Age=0")));
    assert!(browser
        .cookie("/auth/refresh", "__Secure-refresh")
        .is_none());
    assert!(
        app.sessions.refresh(&refresh).await.is_err(),
        "the session is revoked"
    );
    // bob's session is untouched.
    assert_eq!(
        other
            .post_with_csrf("/auth/refresh")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
}
