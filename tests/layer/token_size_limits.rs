//! Real identity providers' tokens with hundreds of members pass; the token size and JSON limits are
//! configurable.

use crate::common::*;
use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::AuthErrorKind;

#[tokio::test]
async fn real_provider_tokens_with_hundreds_of_members_pass_and_limits_are_configurable() {
    let audiences: Vec<String> = (0..30)
        .map(|i| format!("api-{i}"))
        .chain([AUDIENCE.to_owned()])
        .collect();
    // 200 short group names fit the default 8 KiB; Entra's 200 GUID groups need a larger token size.
    let short: Vec<String> = (0..200).map(|i| format!("g{i}")).collect();
    let guids: Vec<String> = (0..200)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    for (groups, max_size) in [(short, 8 * 1024), (guids, 16 * 1024)] {
        let entra = with_claim(
            with_claim(claims(), "groups", json!(groups)),
            "aud",
            json!(audiences),
        );
        let token = hs256(&entra);
        assert!(token.len() < max_size);
        let layer = builder_for(jsonwebtoken::Algorithm::HS256)
            .max_token_size(max_size)
            .build()
            .unwrap();
        assert_eq!(send(&layer, bearer(&token)).await.status(), StatusCode::OK);
        let strict = builder_for(jsonwebtoken::Algorithm::HS256)
            .max_token_size(max_size)
            .json_limits(64, 4)
            .build()
            .unwrap();
        assert_eq!(
            rejection_kind(&send(&strict, bearer(&token)).await),
            Some(AuthErrorKind::InvalidClaim)
        );
    }
}
