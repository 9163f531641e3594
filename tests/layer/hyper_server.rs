//! A real hyper 1.x server on 127.0.0.1 with the layer, driven by a real HTTP client.

use crate::common;

use std::convert::Infallible;

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use jsonwebtoken::Algorithm;
use tower::ServiceBuilder;
use tower_jwt_auth::TokenInfo;

#[tokio::test]
async fn bare_hyper_server_authenticates_over_tcp() {
    let auth = builder_for(Algorithm::ES256).build().unwrap();
    let service =
        ServiceBuilder::new()
            .layer(auth)
            .service_fn(|request: Request<Incoming>| async move {
                let sub = request
                    .extensions()
                    .get::<TokenInfo>()
                    .and_then(|t| t.subject().map(str::to_owned));
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                    sub.unwrap_or_default(),
                ))))
            });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let token = token_with(Algorithm::ES256, serde_json::json!({}), &claims());
    let request = Request::get(format!("http://{address}/"))
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "alice"
    );

    let response = client
        .request(
            Request::get(format!("http://{address}/"))
                .body(Empty::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"api\""
    );
    server.abort();
}
