//! The wire shape of gRPC rejections through `oneshot`: trailers-only gRPC responses while HTTP requests keep
//! RFC 6750, and auth errors converted into the status the layer sends.

use crate::common;

use common::*;
use http::StatusCode;
use tonic::{Code, Status};
use tower::{Layer as _, ServiceExt};
use tower_jwt_auth::{
    rejection::GrpcResponder, rejection::JsonResponder, store::Lookup, store::RevocationCheck,
    store::StoreError, AuthError, AuthErrorKind, JwtAuthLayer, TokenInfo,
};

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
        .layer(layer.require_scopes(["admin"]))
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
