//! A per-route `AuthorizeLayer` placed outside the auth layer (issue 27): a request with credentials is a loud
//! 500, not the 401 that reads as "no token sent"; a request without credentials keeps the 401 challenge; the
//! right way round is unchanged.

use crate::common;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::Algorithm;
use tower::ServiceExt;

async fn call(
    app: &Router,
    authorization: Option<String>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = Request::post("/posts");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn an_authorize_layer_outside_the_auth_layer_is_a_500_when_credentials_are_present() {
    let auth = builder_for(Algorithm::HS256).build().unwrap();
    // Wrong way round: in axum the layer added last runs first, so the scope check runs before the token is
    // verified.
    let wrong = Router::new()
        .route("/posts", post(|| async { "created" }))
        .layer(auth.clone())
        .route_layer(auth.require_scopes(["write"]));
    let token = hs256(&claims()); // valid, with the scope "write"
    let (status, headers, body) = call(&wrong, Some(format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !headers.contains_key("www-authenticate"),
        "not an authentication failure: {headers:?}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        body.is_empty(),
        "nothing of the wiring reaches the client: {body}"
    );
    // A malformed credential is still a credential the layer would have read.
    let (status, _, _) = call(&wrong, Some("Bearer a b".into())).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // No credentials at all: the 401 challenge, as before.
    for authorization in [None, Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l".to_owned())] {
        let (status, headers, _) = call(&wrong, authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    }
}

#[tokio::test]
async fn an_authorize_layer_inside_the_auth_layer_answers_as_before() {
    let auth = builder_for(Algorithm::HS256).build().unwrap();
    let right = Router::new()
        .route("/posts", post(|| async { "created" }))
        .route_layer(auth.require_scopes(["write"]))
        .layer(auth.clone());
    let (status, _, body) = call(&right, Some(format!("Bearer {}", hs256(&claims())))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "created"));
    let read_only = with_claim(claims(), "scope", serde_json::json!("read"));
    let (status, headers, _) = call(&right, Some(format!("Bearer {}", hs256(&read_only)))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let (status, headers, _) = call(&right, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    // Optional mode lets a request without a token through; the per-route layer answers it with the 401.
    let optional = builder_for(Algorithm::HS256).optional().build().unwrap();
    let right = Router::new()
        .route("/posts", post(|| async { "created" }))
        .route_layer(optional.require_scopes(["write"]))
        .layer(optional.clone());
    for authorization in [None, Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l".to_owned())] {
        let (status, headers, _) = call(&right, authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(headers.contains_key("www-authenticate"));
    }
}
