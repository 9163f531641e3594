//! The tower contract: readiness is delegated, the ready service is the one called, and the public types are
//! Send, Sync and Clone.

mod common;

use std::convert::Infallible;

use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use tower::Layer;
use tower_jwt_auth::{JwtAuth, JwtAuthLayer, RegisteredClaims, ResponseFuture};

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
fn assert_send<T: Send>() {}

#[test]
fn public_types_are_send_sync_and_clone() {
    type Inner = tower::util::BoxCloneSyncService<Request<String>, Response<String>, Infallible>;
    assert_send_sync_clone::<JwtAuthLayer>();
    assert_send_sync_clone::<JwtAuth<Inner>>();
    assert_send::<ResponseFuture<Inner, String, String>>();
    assert_send_sync_clone::<tower_jwt_auth::Claims<RegisteredClaims>>();
    assert_send_sync_clone::<tower_jwt_auth::TokenIssuer>();
}

#[tokio::test]
async fn poll_ready_is_delegated_to_the_inner_service() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let (mock, mut handle) = tower_test::mock::pair::<Request<String>, Response<String>>();
    let mut service = tower_test::mock::Spawn::new(layer.layer(mock));

    handle.allow(0);
    assert!(
        service.poll_ready().is_pending(),
        "not ready while the inner service is not"
    );
    handle.allow(1);
    assert!(service.poll_ready().is_ready());

    let response = service.call(bearer(&hs256(&claims())));
    let (request, send_response) = handle.next_request().await.unwrap();
    assert!(request
        .extensions()
        .get::<tower_jwt_auth::TokenInfo>()
        .is_some());
    send_response.send_response(Response::new("done".to_owned()));
    assert_eq!(response.await.unwrap().body(), "done");
}

#[tokio::test]
async fn a_rejected_request_never_reaches_the_inner_service() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let (mock, mut handle) = tower_test::mock::pair::<Request<String>, Response<String>>();
    let mut service = tower_test::mock::Spawn::new(layer.layer(mock));
    handle.allow(1);
    assert!(service.poll_ready().is_ready());
    let response = service.call(Request::new(String::new())).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        handle.poll_request().is_pending(),
        "the inner service saw no request"
    );
}
