//! Sliding action paths (issue 27): axum's path syntax (`{id}` one segment, `{*rest}` the rest) in an axum
//! router, and the configurations that could never match, refused at build with what to write instead.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use common::sessions::test_issuer;
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{
    clock::ManualClock, sliding::SlidingPolicy, ConfigError, JwtAuthLayer, MemoryStore, Sessions,
};

const T0: i64 = 2_000_000_000;
const TTL: u64 = 600;

fn sessions(clock: &ManualClock) -> Sessions {
    Sessions::builder(
        test_issuer(clock, Duration::from_secs(TTL)),
        MemoryStore::new(),
    )
    .max_session(Duration::from_secs(3600))
    .build()
    .unwrap()
}

/// What building a layer wired to sessions with `policy` says.
fn build(policy: SlidingPolicy) -> Result<JwtAuthLayer, ConfigError> {
    JwtAuthLayer::builder()
        .sessions(&sessions(&ManualClock::new(T0)))
        .sliding(policy)
        .build()
}

/// The status of `POST path` with `token`, and the renewed token, if any.
async fn post_with(app: &Router, path: &str, token: &str) -> (StatusCode, Option<String>) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let renewed = response
        .headers()
        .get("x-access-token")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), renewed)
}

#[tokio::test]
async fn axum_path_parameters_in_actions_match_the_routes_they_name() {
    let clock = ManualClock::new(T0);
    let sessions = sessions(&clock);
    let layer = JwtAuthLayer::builder()
        .sessions(&sessions)
        .sliding(
            SlidingPolicy::new()
                .action(Method::POST, "/posts/{id}")
                .action(Method::POST, "/files/{*path}"),
        )
        .build()
        .unwrap();
    let created = || async { StatusCode::CREATED };
    let app = Router::new()
        .route("/posts/{id}", post(created))
        .route("/posts/{id}/comments", post(created))
        .route("/files/{*path}", post(created))
        .layer(layer);
    let pair = sessions.login("alice", &json!({})).await.unwrap();
    let token = pair.access_token().to_owned();
    // Not yet due: nothing is renewed, on an action or not.
    assert_eq!(
        post_with(&app, "/posts/7", &token).await,
        (StatusCode::CREATED, None)
    );
    // Past half its lifetime, the token is due.
    clock.advance(301);
    let (status, renewed) = post_with(&app, "/posts/7", &token).await;
    assert_eq!(status, StatusCode::CREATED);
    let renewed = renewed.expect("a due token on POST /posts/7 is reissued");
    assert_eq!(common::payload(&renewed)["exp"], T0 + 301 + TTL as i64);
    let (_, rest) = post_with(&app, "/files/a/b.txt", &token).await;
    assert!(rest.is_some(), "`{{*path}}` matches the rest of the path");
    // `{id}` is one segment: a deeper route is another action, not this one.
    assert_eq!(
        post_with(&app, "/posts/7/comments", &token).await,
        (StatusCode::CREATED, None)
    );
}

#[test]
fn actions_match_one_segment_per_parameter_and_a_non_empty_rest() {
    let policy = SlidingPolicy::new()
        .action(Method::POST, "/posts/{id}")
        .action(Method::PUT, "/files/{*path}")
        .action(Method::POST, "/payments/*");
    let post = Method::POST;
    assert!(policy.is_action(&post, "/posts/7"));
    assert!(!policy.is_action(&post, "/posts/"));
    assert!(!policy.is_action(&post, "/posts/7/comments"));
    assert!(!policy.is_action(&Method::GET, "/posts/7"));
    assert!(policy.is_action(&Method::PUT, "/files/a/b"));
    assert!(!policy.is_action(&Method::PUT, "/files/"));
    assert!(policy.is_action(&post, "/payments/9/refund"));
    assert!(!policy.is_action(&post, "/payments/"));
}

/// The build error of a policy with one action on `path`.
fn refused(path: &str) -> ConfigError {
    build(SlidingPolicy::new().action(Method::POST, path)).unwrap_err()
}

#[test]
fn configurations_that_could_never_match_are_refused_at_build() {
    let none = build(SlidingPolicy::new()).unwrap_err();
    assert!(
        matches!(none, ConfigError::SlidingAction { path: None, .. }),
        "{none:?}"
    );
    assert_eq!(none.setting(), Some("SlidingPolicy::action"));
    assert_eq!(
        none.to_string(),
        "SlidingPolicy::action: the policy has no actions, so no token would ever slide; add one with \
         .action(Method::POST, \"/posts/{id}\") per action, or a .matcher(..)"
    );
    let relative = refused("posts");
    assert_eq!(relative.setting(), Some("SlidingPolicy::action"));
    assert!(
        matches!(&relative, ConfigError::SlidingAction { path: Some(p), .. } if p == "posts"),
        "{relative:?}"
    );
    assert_eq!(
        relative.to_string(),
        "SlidingPolicy::action: `posts` can never match: request paths begin with `/`; write `/posts`"
    );
    let colon = refused("/posts/:id");
    assert_eq!(colon.setting(), Some("SlidingPolicy::action"));
    assert_eq!(
        colon.to_string(),
        "SlidingPolicy::action: `/posts/:id`: `:id` is axum 0.7's parameter syntax and would only match \
         that literal text; write `{id}` (axum 0.8's syntax, one segment)"
    );
    for (path, says) in [
        ("/files/*rest", "write `{*rest}`"),
        ("/files/{*rest}/meta", "must be the last segment"),
        ("/files/{name}.txt", "a parameter is a whole segment"),
        ("/a/*/b", "only as the last segment"),
    ] {
        let error = refused(path);
        assert_eq!(error.setting(), Some("SlidingPolicy::action"), "{path}");
        let text = error.to_string();
        assert!(
            text.contains(&format!("`{path}`")) && text.contains(says),
            "{text}"
        );
    }
    // A matcher alone is an action rule; so are the forms the matcher reads.
    let matcher = |_: &Method, path: &str| path.starts_with("/orders/");
    assert!(build(SlidingPolicy::new().matcher(matcher)).is_ok());
    for path in [
        "/",
        "/posts",
        "/posts/{id}/comments",
        "/files/{*path}",
        "/payments/*",
    ] {
        assert!(
            build(SlidingPolicy::new().action(Method::POST, path)).is_ok(),
            "{path}"
        );
    }
}
