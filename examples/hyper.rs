//! A bare hyper 1.x server behind the layer, without axum.
//!
//! ```text
//! cargo run --example hyper
//! ```
//! It prints a token to try: `curl -H "Authorization: Bearer <token>" http://127.0.0.1:3100/` (`BIND` to move it;
//! 3000 and 3001 are the demo's).
//!
//! Copied into your own crate, it needs these dependencies:
//!
//! ```toml
//! tower-jwt-auth = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net"] }
//! hyper = { version = "1", features = ["server", "http1"] }
//! hyper-util = { version = "0.1", features = ["tokio", "service"] }
//! tower = { version = "0.5", features = ["util"] }
//! http = "1"
//! http-body-util = "0.1"
//! bytes = "1"
//! ```

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, SigningKey, TokenInfo, TokenIssuer, VerificationKey,
};

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let subject = request
        .extensions()
        .get::<TokenInfo>()
        .and_then(|t| t.subject())
        .unwrap_or("?")
        .to_owned();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "hello {subject}\n"
    )))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &secret)?)
        .issuer("hyper-demo")
        .audience("hyper-api")
        .ttl(Duration::from_secs(600))
        .build()?;
    let auth = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, &secret)?)
        .issuer("hyper-demo")
        .audience("hyper-api")
        .build()?;
    let service = ServiceBuilder::new().layer(auth).service_fn(hello);

    let listener = tokio::net::TcpListener::bind(
        std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3100".into()),
    )
    .await?;
    let token = issuer.issue("alice", &())?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    eprintln!(
        "try: curl -H 'Authorization: Bearer {}' http://{}/",
        token.as_str(),
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
