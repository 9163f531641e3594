//! What the layer's key, JWS and claims files share: PEM test keys as DER, the kind of a rejection, and the
//! assertion that a layer refuses each of some claims.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;
use tower_jwt_auth::{AuthErrorKind, JwtAuthLayer};

/// The DER inside a PEM test key.
pub(crate) fn der(name: &str) -> Vec<u8> {
    use base64::Engine as _;
    let pem = String::from_utf8(pem(name)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

pub(crate) fn kind(response: &http::Response<String>) -> AuthErrorKind {
    rejection_kind(response).expect("a rejection")
}

/// Asserts that `layer` answers 401 to an HS256 token of each of these claims.
pub(crate) async fn assert_each_refused(
    layer: &JwtAuthLayer,
    all: impl IntoIterator<Item = Value>,
) {
    for claims in all {
        assert_eq!(
            status_of(layer, &hs256(&claims)).await,
            StatusCode::UNAUTHORIZED,
            "{claims}"
        );
    }
}
