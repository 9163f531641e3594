//! gRPC through the layer, with a real tonic client: the example server's contract (examples/grpc.rs, the
//! binary `cargo test` builds), an in-process tonic server for the store-down case and for `named_layer`, and
//! the wire shape of gRPC rejections through `oneshot`.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::json;
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Status};
use tower::{Layer as _, ServiceExt};
use tower_jwt_auth::{
    rejection::GrpcResponder, rejection::JsonResponder, store::Lookup, store::RevocationCheck,
    store::StoreError, AuthError, AuthErrorKind, JwtAuthLayer, TokenInfo,
};

#[allow(clippy::all, missing_docs, unreachable_pub)]
mod demo_v1 {
    include!("../../examples/grpc/demo.v1.rs");
}

use demo_v1::profile_client::ProfileClient;
use demo_v1::{MeRequest, WriteRequest};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// The example's token: HS256 with the test secret, issuer `demo`, audience `demo-api` (its defaults).
fn example_token(scope: &str, exp_in: i64) -> String {
    let now = now();
    hs256(&json!({
        "iss": "demo", "aud": "demo-api", "sub": "ada", "iat": now, "exp": now + exp_in, "scope": scope
    }))
}

fn with_bearer<T>(message: T, authorization: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", MetadataValue::try_from(value).unwrap());
    }
    request
}

async fn me(
    client: &mut ProfileClient<tonic::transport::Channel>,
    authorization: Option<&str>,
) -> Result<demo_v1::MeReply, Status> {
    client
        .me(with_bearer(MeRequest {}, authorization))
        .await
        .map(tonic::Response::into_inner)
}

fn assert_status(
    result: Result<impl std::fmt::Debug, Status>,
    code: Code,
    message: &str,
) -> Status {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(message),
        "{message:?} in {:?}",
        status.message()
    );
    status
}

#[tokio::test]
async fn the_grpc_example_serves_its_contract() {
    let secret = std::str::from_utf8(SECRET).unwrap();
    let server =
        common::demo::start_example("grpc", "grpc listening on ", &[("JWT_SECRET", secret)]);
    let endpoint = format!("http://{}", server.base);
    let channel = tonic::transport::Endpoint::from_shared(endpoint)
        .unwrap()
        .connect()
        .await
        .unwrap();

    // The health service is open: no token needed, for the server and for the protected service.
    let mut health = HealthClient::new(channel.clone());
    for service in ["", "demo.v1.Profile"] {
        let reply = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.status, ServingStatus::Serving as i32, "{service:?}");
    }

    let mut client = ProfileClient::new(channel);
    let reader = example_token("read", 600);
    let writer = example_token("read write", 600);

    let reply = me(&mut client, Some(&format!("Bearer {reader}")))
        .await
        .unwrap();
    assert_eq!((reply.sub.as_str(), reply.scope.as_str()), ("ada", "read"));

    // No token: UNAUTHENTICATED, and the RFC 6750 challenge travels in the metadata.
    let status = assert_status(
        me(&mut client, None).await,
        Code::Unauthenticated,
        "no access token",
    );
    assert_eq!(
        status.metadata().get("www-authenticate").unwrap(),
        "Bearer realm=\"api\""
    );
    // A token that is not a JWT, one signed with another secret, an expired one, one for another audience.
    assert_status(
        me(&mut client, Some("Bearer not.a.jwt")).await,
        Code::Unauthenticated,
        "invalid_token",
    );
    let forged = {
        let header = URL_SAFE_NO_PAD_ENGINE.encode(br#"{"alg":"HS256"}"#);
        let body = reader.split('.').nth(1).unwrap();
        format!(
            "{header}.{body}.{}",
            URL_SAFE_NO_PAD_ENGINE.encode([0u8; 32])
        )
    };
    assert_status(
        me(&mut client, Some(&format!("Bearer {forged}"))).await,
        Code::Unauthenticated,
        "signature is invalid",
    );
    let expired = example_token("read", -3600);
    let status = assert_status(
        me(&mut client, Some(&format!("Bearer {expired}"))).await,
        Code::Unauthenticated,
        "invalid_token: the access token has expired",
    );
    let challenge = status.metadata().get("www-authenticate").unwrap();
    assert!(challenge
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    let mut other_audience = payload(&reader);
    other_audience["aud"] = json!("another-api");
    assert_status(
        me(
            &mut client,
            Some(&format!("Bearer {}", hs256(&other_audience))),
        )
        .await,
        Code::Unauthenticated,
        "audience",
    );
    // Malformed credentials (two tokens in one header): a precise UNAUTHENTICATED naming invalid_request,
    // never INTERNAL.
    assert_status(
        me(&mut client, Some("Bearer two tokens")).await,
        Code::Unauthenticated,
        "invalid_request",
    );

    // Write needs scope "write".
    let status = assert_status(
        client
            .write(with_bearer(
                WriteRequest { text: "hi".into() },
                Some(&format!("Bearer {reader}")),
            ))
            .await,
        Code::PermissionDenied,
        "insufficient_scope",
    );
    assert!(status.message().contains("write"), "{status:?}");
    let challenge = status
        .metadata()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"write\""),
        "the layer's challenge, from check_status: {challenge}"
    );
    let first = client
        .write(with_bearer(
            WriteRequest { text: "hi".into() },
            Some(&format!("Bearer {writer}")),
        ))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .write(with_bearer(
            WriteRequest {
                text: "again".into(),
            },
            Some(&format!("Bearer {writer}")),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.id.is_empty() && first.id != second.id);
}

use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL_SAFE_NO_PAD_ENGINE;
use base64::Engine as _;

/// A revocation store that cannot be reached.
struct Down;

impl RevocationCheck for Down {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        Lookup::Ready(Err(StoreError::new("connection refused")))
    }
}

/// A network store that answers later: down, or saying "not revoked".
struct Later(bool);

impl RevocationCheck for Later {
    fn is_revoked(&self, _: &TokenInfo) -> Lookup<bool> {
        let up = self.0;
        Lookup::Pending(Box::pin(async move {
            tokio::task::yield_now().await;
            match up {
                true => Ok(false),
                false => Err(StoreError::new("connection refused")),
            }
        }))
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
    let needs_admin = auth.require_scopes(["admin"]).unwrap();
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

/// A gRPC request through `oneshot`: what goes on the wire.
fn grpc_request(authorization: Option<&str>) -> http::Request<String> {
    let mut builder =
        http::Request::post("/demo.v1.Profile/Me").header("content-type", "application/grpc");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(String::new()).unwrap()
}

#[tokio::test]
async fn grpc_rejections_are_trailers_only_grpc_responses_and_http_requests_keep_rfc_6750() {
    let layer: JwtAuthLayer<_, JsonResponder> = builder_for(jsonwebtoken::Algorithm::HS256)
        .responder(JsonResponder)
        .build()
        .unwrap();
    let service = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .layer(layer.require_scopes(["admin"]).unwrap())
        .service_fn(echo);
    let cases = [
        (None, "16", AuthErrorKind::Missing),
        (
            Some("Bearer a b".to_owned()),
            "16",
            AuthErrorKind::Malformed,
        ),
        (
            Some("Bearer x.y.z".to_owned()),
            "16",
            AuthErrorKind::InvalidToken,
        ),
        (
            Some(format!("Bearer {}", hs256(&claims()))),
            "7",
            AuthErrorKind::InsufficientScope,
        ),
    ];
    for (authorization, grpc_status, kind) in cases {
        let response = service
            .clone()
            .oneshot(grpc_request(authorization.as_deref()))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{kind:?}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/grpc");
        assert_eq!(headers["grpc-status"], grpc_status, "{kind:?}");
        let message = headers["grpc-message"].to_str().unwrap();
        assert!(message.contains(kind.description()), "{message}");
        assert!(headers.contains_key("www-authenticate"));
        assert_eq!(
            response.extensions().get::<AuthError>().unwrap().kind(),
            kind
        );
        assert!(response.body().is_empty(), "trailers-only: no body");
    }
    // The same layer answers a plain HTTP request the RFC 6750 way.
    let response = service.clone().oneshot(bearer("x.y.z")).await.unwrap();
    assert_rejected(&response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert!(response.body().contains("invalid_token"));

    // Only POSTs are gRPC calls: a GET claiming the content type keeps its 401.
    let get = http::Request::get("/demo.v1.Profile/Me")
        .header("content-type", "application/grpc")
        .body(String::new())
        .unwrap();
    let response = service.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!response.headers().contains_key("grpc-status"));

    // The asynchronous path (a store that answers later) answers gRPC calls the same way.
    for (up, status, grpc_status) in [
        (false, StatusCode::OK, Some("14")),
        (true, StatusCode::OK, None),
    ] {
        let layer = builder_for(jsonwebtoken::Algorithm::HS256)
            .revocation(Later(up))
            .max_age(std::time::Duration::from_secs(86_400))
            .build()
            .unwrap();
        let token = format!("Bearer {}", hs256(&claims()));
        let response = layer
            .layer(tower::service_fn(echo))
            .oneshot(grpc_request(Some(&token)))
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(
            response
                .headers()
                .get("grpc-status")
                .map(|v| v.to_str().unwrap()),
            grpc_status,
            "store up: {up}"
        );
        if !up {
            assert_eq!(response.headers()["cache-control"], "no-store");
        }
    }

    // GrpcResponder answers in gRPC form even without a gRPC content-type.
    let layer = builder_for(jsonwebtoken::Algorithm::HS256)
        .responder(GrpcResponder)
        .build()
        .unwrap();
    let response = layer
        .layer(tower::service_fn(echo))
        .oneshot(bearer("x.y.z"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "16");
    assert!(response.body().is_empty());
}

#[test]
fn auth_errors_convert_into_the_status_the_layer_sends() {
    // The codes are written out here, not taken from the crate's own mapping.
    for (kind, code) in [
        (AuthErrorKind::Missing, Code::Unauthenticated),
        (AuthErrorKind::Expired, Code::Unauthenticated),
        (AuthErrorKind::Malformed, Code::Unauthenticated),
        (AuthErrorKind::Revoked, Code::Unauthenticated),
        (AuthErrorKind::InsufficientScope, Code::PermissionDenied),
        (AuthErrorKind::Unavailable, Code::Unavailable),
    ] {
        let status = Status::from(AuthError::new(kind));
        assert_eq!(status.code(), code, "{kind:?}");
        assert_eq!(kind.grpc_code(), code as i32, "{kind:?}");
        assert!(status.message().contains(kind.description()));
    }
}
