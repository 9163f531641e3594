//! What the gRPC files share: the generated `demo.v1` code, requests with a bearer token, a call of `Me`, and
//! the status assertion.

use demo_v1::profile_client::ProfileClient;
use demo_v1::MeRequest;
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Status};

#[allow(clippy::all, missing_docs, unreachable_pub)]
pub(crate) mod demo_v1 {
    include!("../../examples/grpc/demo.v1.rs");
}

pub(crate) fn with_bearer<T>(message: T, authorization: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", MetadataValue::try_from(value).unwrap());
    }
    request
}

pub(crate) async fn me(
    client: &mut ProfileClient<tonic::transport::Channel>,
    authorization: Option<&str>,
) -> Result<demo_v1::MeReply, Status> {
    client
        .me(with_bearer(MeRequest {}, authorization))
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) fn assert_status(
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
