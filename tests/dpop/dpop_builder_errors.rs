//! Each bad DPoP setting is reported as itself, named `DpopBuilder::…`, with what was expected.

use std::time::Duration;

use crate::fixtures::ORIGIN;
use jsonwebtoken::Algorithm;
use tower_jwt_auth::dpop::Dpop;

/// Each bad DPoP setting is reported as itself, named `DpopBuilder::…`, with what was expected: a zero proof
/// size is a proof size (not the layer's token size), a bad URL a URL (not a name).
#[test]
fn dpop_builder_errors_name_their_setting() {
    use tower_jwt_auth::ConfigError;
    let zero = Dpop::builder()
        .public_url(ORIGIN)
        .max_proof_size(0)
        .build()
        .unwrap_err();
    assert_eq!(
        zero,
        ConfigError::InvalidSize {
            setting: "DpopBuilder::max_proof_size"
        }
    );
    assert!(
        zero.to_string()
            .starts_with("DpopBuilder::max_proof_size must be positive: pass the largest size"),
        "{zero}"
    );
    let url = Dpop::builder().public_url("not a url").build().unwrap_err();
    assert_eq!(url.setting(), Some("DpopBuilder::public_url"));
    assert!(matches!(url, ConfigError::InvalidUrl { .. }), "{url:?}");
    assert!(
        url.to_string()
            .contains("`not a url` is not an absolute http or https URL"),
        "{url}"
    );
    let hmac = Dpop::builder()
        .public_url(ORIGIN)
        .algorithms([Algorithm::HS256])
        .build()
        .unwrap_err();
    assert_eq!(hmac.setting(), Some("DpopBuilder::algorithms"));
    assert!(
        hmac.to_string().contains("list public-key algorithms"),
        "{hmac}"
    );
    let age = Dpop::builder()
        .public_url(ORIGIN)
        .proof_max_age(Duration::from_secs(301))
        .build()
        .unwrap_err();
    assert_eq!(
        age.to_string(),
        "DpopBuilder::proof_max_age: invalid duration; it must be at most 300 seconds"
    );
}
