//! A tonic gRPC server behind the layer: `demo.v1.Profile` protected, `grpc.health.v1.Health` open.
//!
//! ```text
//! JWT_SECRET=… cargo run --example grpc
//! ```
//!
//! | env | default | meaning |
//! |---|---|---|
//! | `BIND` | `127.0.0.1:50051` | listen address |
//! | `JWT_SECRET` | random (tokens die with the process) | the HS256 secret tokens are signed with |
//! | `JWT_ISSUER` | `demo` | the accepted `iss` |
//! | `JWT_AUDIENCE` | `demo-api` | the accepted `aud` |
//!
//! `Profile.Me` answers any valid token with its `sub` and `scope`; `Profile.Write` needs scope `write`, else
//! `PERMISSION_DENIED`. Without a valid token a call fails with `UNAUTHENTICATED`, the reason in the status
//! message and the RFC 6750 challenge in its `www-authenticate` metadata. The proto is
//! `examples/grpc/profile.proto`; its generated code is committed (`examples/grpc/demo.v1.rs`, kept current
//! by `tests/grpc/grpc_codegen.rs`), so no protoc is needed. Try it with grpcurl:
//!
//! ```text
//! grpcurl -plaintext -import-path examples/grpc -proto profile.proto \
//!   -H "authorization: Bearer $TOKEN" 127.0.0.1:50051 demo.v1.Profile/Me
//! ```
//!
//! Copied into your own crate (with `tonic-prost-build` in a build script instead of the committed code), it
//! needs `tower-jwt-auth = { version = "0.1", features = ["tonic"] }`, `tonic = "0.14"`, `tonic-prost = "0.14"`,
//! `prost = "0.14"`, `tonic-health = "0.14"`, `getrandom = "0.3"` and `tokio = { version = "1", features =
//! ["macros", "rt-multi-thread", "net"] }`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use tonic::transport::Server;
use tonic::{Request, Response, Status};
use tower_jwt_auth::{
    authorize::AuthorizeLayer, layer::JwtAuth, Algorithm, JwtAuthLayer, TokenInfo, VerificationKey,
};

/// The code generated from `examples/grpc/profile.proto`.
pub mod demo {
    /// Package `demo.v1`.
    pub mod v1 {
        include!("grpc/demo.v1.rs");
    }
}

use demo::v1::profile_server::{Profile, ProfileServer};
use demo::v1::{MeReply, MeRequest, WriteReply, WriteRequest};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct ProfileService {
    /// `Write`'s requirement, derived from the layer so its refusals match the layer's.
    needs_write: AuthorizeLayer,
    written: AtomicU64,
}

/// The verified token the layer put into the request's extensions.
fn token<T>(request: &Request<T>) -> Result<&TokenInfo, Status> {
    request
        .extensions()
        .get::<TokenInfo>()
        .ok_or_else(|| Status::unauthenticated("no verified token"))
}

#[tonic::async_trait]
impl Profile for ProfileService {
    async fn me(&self, request: Request<MeRequest>) -> Result<Response<MeReply>, Status> {
        let token = token(&request)?;
        Ok(Response::new(MeReply {
            sub: token.subject().unwrap_or_default().to_owned(),
            scope: token.scope().unwrap_or_default().to_owned(),
        }))
    }

    async fn write(&self, request: Request<WriteRequest>) -> Result<Response<WriteReply>, Status> {
        // PERMISSION_DENIED without scope "write", with the layer's challenge in the metadata.
        self.needs_write.check_status(request.extensions())?;
        let n = self.written.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Response::new(WriteReply {
            id: format!("post-{n}"),
        }))
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn secret() -> Result<Vec<u8>, BoxError> {
    match std::env::var("JWT_SECRET") {
        Ok(secret) => Ok(secret.into_bytes()),
        Err(_) => {
            eprintln!("warning: JWT_SECRET is not set; using a random secret, so tokens die with this process");
            let mut secret = vec![0u8; 64];
            getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
            Ok(secret)
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let addr: SocketAddr = env_or("BIND", "127.0.0.1:50051")
        .parse()
        .map_err(|_| "BIND must be host:port")?;
    let auth = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, &secret()?)?)
        .issuer(env_or("JWT_ISSUER", "demo"))
        .audience(env_or("JWT_AUDIENCE", "demo-api"))
        .build()?;
    let profile = ProfileService {
        needs_write: auth.require_scopes(["write"]),
        written: AtomicU64::new(0),
    };

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<ProfileServer<ProfileService>>()
        .await;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("grpc listening on {}", listener.local_addr()?);
    Server::builder()
        // Open: probes never need a token.
        .add_service(health)
        // Protected: the layer's service keeps the wrapped service's name (feature `tonic`).
        .add_service(JwtAuth::new(ProfileServer::new(profile), &auth))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
        .await?;
    Ok(())
}
