//! The grpc example server's contract (examples/grpc.rs, the binary `cargo test` builds), driven by a real
//! tonic client.

use crate::common;

use crate::fixtures::{assert_status, demo_v1, me, with_bearer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL_SAFE_NO_PAD_ENGINE;
use base64::Engine as _;
use common::*;
use demo_v1::profile_client::ProfileClient;
use demo_v1::WriteRequest;
use serde_json::json;
use tonic::Code;
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
