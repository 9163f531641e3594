//! The tower contract: readiness is delegated, the ready service is the one called, and the public types are
//! Send, Sync and Clone.

use crate::common;

use std::convert::Infallible;

use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use tower::Layer;
use tower_jwt_auth::{layer::JwtAuth, layer::ResponseFuture, JwtAuthLayer, RegisteredClaims};

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

/// An inner service that is large to move, with a small future.
#[derive(Clone)]
struct Big(#[allow(dead_code)] [u8; 4096]);

impl tower::Service<Request<String>> for Big {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<String>) -> Self::Future {
        std::future::ready(Ok(Response::new(String::new())))
    }
}

#[test]
fn the_synchronous_future_does_not_carry_the_asynchronous_state() {
    // The asynchronous path holds the inner service and the request until its decision arrives; that state is
    // boxed, so the future of every synchronous request stays the size of the inner future plus a little.
    let size = std::mem::size_of::<ResponseFuture<Big, String, String>>();
    let inner = std::mem::size_of::<<Big as tower::Service<Request<String>>>::Future>()
        .max(std::mem::size_of::<Response<String>>());
    assert!(
        size <= inner + 64,
        "ResponseFuture is {size} bytes for an inner future of {inner}"
    );
}
