//! The asynchronous revocation path: the ready inner service moves into the future, store answers decide,
//! and a store failure is a 503, never an accepted token.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use tokio::sync::Notify;
use tower::Layer;
use tower_jwt_auth::{
    store::Lookup, store::RevocationCheck, store::StoreError, AuthErrorKind, TokenInfo,
};

/// A network-like store: answers only when released, as revoked or not, or with an error.
#[derive(Clone, Default)]
struct RemoteStore {
    release: Arc<Notify>,
    revoked: Arc<AtomicBool>,
    down: Arc<AtomicBool>,
}

impl RevocationCheck for RemoteStore {
    fn is_revoked(&self, _token: &TokenInfo) -> Lookup<bool> {
        let store = self.clone();
        Lookup::Pending(Box::pin(async move {
            store.release.notified().await;
            if store.down.load(Ordering::SeqCst) {
                Err(StoreError::new("connection refused"))
            } else {
                Ok(store.revoked.load(Ordering::SeqCst))
            }
        }))
    }
}

type Mocked = tower_test::mock::Spawn<
    tower_jwt_auth::layer::JwtAuth<tower_test::mock::Mock<Request<String>, Response<String>>>,
>;
type MockHandle = tower_test::mock::Handle<Request<String>, Response<String>>;

/// The layer with `store` around a tower-test mock, polled ready (the mock allows one call).
fn ready_service(store: &RemoteStore) -> (Mocked, MockHandle) {
    let layer = builder_for(Algorithm::HS256)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let (mock, mut handle) = tower_test::mock::pair::<Request<String>, Response<String>>();
    let mut service = tower_test::mock::Spawn::new(layer.layer(mock));
    handle.allow(1);
    assert!(service.poll_ready().is_ready());
    (service, handle)
}

#[tokio::test]
async fn the_ready_inner_service_is_moved_into_the_future() {
    let store = RemoteStore::default();
    let (mut service, mut handle) = ready_service(&store);
    let future = tokio::spawn(service.call(bearer(&hs256(&claims()))));
    // The service left behind is a fresh clone: it is not ready, and was never called.
    assert!(handle.poll_request().is_pending());
    tokio::task::yield_now().await;
    store.release.notify_one();
    let (request, respond) = handle.next_request().await.unwrap();
    assert_eq!(
        request.extensions().get::<TokenInfo>().unwrap().subject(),
        Some("alice")
    );
    respond.send_response(Response::new("inner".to_owned()));
    let response = future.await.unwrap().unwrap();
    assert_eq!(response.body(), "inner");
}

#[tokio::test]
async fn a_revoked_token_is_refused_after_the_lookup() {
    let store = RemoteStore::default();
    store.revoked.store(true, Ordering::SeqCst);
    let layer = builder_for(Algorithm::HS256)
        .revocation(store.clone())
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let pending = tokio::spawn({
        let layer = layer.clone();
        async move { send(&layer, bearer(&hs256(&claims()))).await }
    });
    tokio::task::yield_now().await;
    store.release.notify_one();
    let response = pending.await.unwrap();
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(rejection_kind(&response).unwrap(), AuthErrorKind::Revoked);
}

#[tokio::test]
async fn an_unreachable_store_is_a_503_and_never_an_accepted_token() {
    let store = RemoteStore::default();
    store.down.store(true, Ordering::SeqCst);
    let (mut service, mut handle) = ready_service(&store);
    let future = tokio::spawn(service.call(bearer(&hs256(&claims()))));
    tokio::task::yield_now().await;
    store.release.notify_one();
    let response = future.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("www-authenticate").is_none());
    assert_eq!(
        rejection_kind(&response).unwrap(),
        AuthErrorKind::Unavailable
    );
    assert!(
        handle.poll_request().is_pending(),
        "the inner service never saw the request"
    );
}

#[tokio::test]
async fn a_synchronous_store_error_is_a_503_too() {
    struct Down;
    impl RevocationCheck for Down {
        fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
            Lookup::Ready(Err(StoreError::new("down")))
        }
    }
    let layer = builder_for(Algorithm::HS256)
        .revocation(Down)
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let response = send(&layer, bearer(&hs256(&claims()))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
