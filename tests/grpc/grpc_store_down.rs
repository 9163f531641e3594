//! An in-process tonic server: a store that cannot answer is `UNAVAILABLE`, and `named_layer` works too.

use crate::common;

use crate::fixtures::{assert_status, demo_v1, me, with_bearer};
use common::*;
use demo_v1::profile_client::ProfileClient;
use demo_v1::{MeRequest, WriteRequest};
use serde_json::json;
use tonic::{Code, Request, Status};
use tower::Layer as _;
use tower_jwt_auth::{
    store::Lookup, store::RevocationCheck, store::StoreError, AuthError, AuthErrorKind, TokenInfo,
};

/// A revocation store that cannot be reached.
struct Down;

impl RevocationCheck for Down {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Err(StoreError::new("connection refused")))
    }
}

struct Echo;

#[tonic::async_trait]
impl demo_v1::profile_server::Profile for Echo {
    async fn me(
        &self,
        request: Request<MeRequest>,
    ) -> Result<tonic::Response<demo_v1::MeReply>, Status> {
        let info = request.extensions().get::<TokenInfo>().unwrap();
        Ok(tonic::Response::new(demo_v1::MeReply {
            sub: info.subject().unwrap_or_default().into(),
            scope: info.scope().unwrap_or_default().into(),
        }))
    }

    async fn write(
        &self,
        _: Request<WriteRequest>,
    ) -> Result<tonic::Response<demo_v1::WriteReply>, Status> {
        Err(AuthError::new(AuthErrorKind::InsufficientScope).into())
    }
}

/// Serves `service` on a free loopback port; returns a connected Profile client.
async fn serve<S>(service: S) -> ProfileClient<tonic::transport::Channel>
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    ProfileClient::connect(format!("http://{address}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_store_that_cannot_answer_is_unavailable_and_tonic_named_layer_works_too() {
    use tonic::service::LayerExt as _;
    let auth = builder_for(jsonwebtoken::Algorithm::HS256)
        .revocation(Down)
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let mut client =
        serve(auth.named_layer(demo_v1::profile_server::ProfileServer::new(Echo))).await;
    let token = hs256(&claims());
    let status = assert_status(
        me(&mut client, Some(&format!("Bearer {token}"))).await,
        Code::Unavailable,
        "temporarily unavailable",
    );
    // 503 is not an authentication failure: no challenge.
    assert!(status.metadata().get("www-authenticate").is_none());

    // The same layer with a store that answers admits the call.
    let auth = builder_for(jsonwebtoken::Algorithm::HS256).build().unwrap();
    let mut client = serve(auth.layer(demo_v1::profile_server::ProfileServer::new(Echo))).await;
    let reply = me(&mut client, Some(&format!("Bearer {token}")))
        .await
        .unwrap();
    assert_eq!(reply.sub, "alice");
    // A handler's own refusal through `From<AuthError> for Status`.
    let status = client
        .write(with_bearer(
            WriteRequest::default(),
            Some(&format!("Bearer {token}")),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // A per-service requirement around a generated service: `AuthorizeLayer`'s service is a `NamedService`
    // too (feature `tonic`), so `add_service` takes the stack. Every method of the service needs the scope.
    let auth = builder_for(jsonwebtoken::Algorithm::HS256).build().unwrap();
    let needs_admin = auth.require_scopes(["admin"]);
    let service = demo_v1::profile_server::ProfileServer::new(Echo);
    let mut client = serve(auth.layer(needs_admin.layer(service))).await;
    let status = assert_status(
        me(&mut client, Some(&format!("Bearer {token}"))).await,
        Code::PermissionDenied,
        "insufficient_scope",
    );
    let challenge = status
        .metadata()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(challenge.contains("scope=\"admin\""), "{challenge}");
    let mut admin = claims();
    admin["scope"] = json!("admin");
    let reply = me(&mut client, Some(&format!("Bearer {}", hs256(&admin))))
        .await
        .unwrap();
    assert_eq!(reply.scope, "admin");
}
