//! The handler test helpers: `testing::authenticate_as::<C>` deserialises the claims JSON into `C`, so an axum
//! handler taking `Claims<C>` runs without a layer; JSON that does not fit `C` panics naming `C` and the field.

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{testing, Claims, TokenInfo};

#[derive(Deserialize)]
struct MyClaims {
    sub: String,
    tenant: String,
}

async fn whoami(claims: Claims<MyClaims>, info: TokenInfo) -> String {
    format!(
        "{} of {} ({})",
        claims.sub,
        claims.tenant,
        info.scope().unwrap_or_default()
    )
}

fn request() -> Request<Body> {
    Request::get("/whoami").body(Body::empty()).unwrap()
}

#[tokio::test]
async fn a_handler_taking_its_own_claims_type_gets_the_json_deserialised() {
    let app: Router = Router::new().route("/whoami", get(whoami));
    let mut request = request();
    let claims = json!({ "sub": "alice", "tenant": "acme", "scope": "read" });
    testing::authenticate_as::<MyClaims>(&mut request, &claims);
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"alice of acme (read)");
}

#[test]
#[should_panic(
    expected = "testing::authenticate_as: the claims JSON does not fit layer::handler_test_helpers::MyClaims: missing field `tenant`"
)]
fn json_that_does_not_fit_the_type_panics_naming_it() {
    testing::authenticate_as::<MyClaims>(&mut request(), &json!({ "sub": "alice" }));
}
