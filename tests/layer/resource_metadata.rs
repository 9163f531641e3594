//! RFC 9728 protected resource metadata: the document built from the layer, the service that serves it, and
//! `resource_metadata` in the layer's challenges (§5.1).

use crate::common;

use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::Algorithm;
use tower::ServiceExt;
use tower_jwt_auth::{well_known::ProtectedResourceMetadata, ConfigError};

const RESOURCE: &str = "https://api.example.com/v1";

#[tokio::test]
async fn the_layer_describes_itself_and_the_service_serves_it() {
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let metadata = layer
        .resource_metadata(RESOURCE)
        .scopes_supported(["read", "write"])
        .resource_name("orders");
    let service = metadata.into_service();
    let response = service
        .clone()
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "resource": RESOURCE,
            "authorization_servers": [ISSUER],
            "scopes_supported": ["read", "write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "orders",
        })
    );
    let post = service
        .clone()
        .oneshot(Request::post("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    // A cookie source takes no RFC 9728 bearer method.
    let cookie_only = builder_for(Algorithm::HS256)
        .token_source(tower_jwt_auth::token::CookieSource::new("at").unwrap())
        .allow_cookies_without_csrf()
        .build()
        .unwrap();
    let json = serde_json::to_value(cookie_only.resource_metadata(RESOURCE)).unwrap();
    assert!(json.get("bearer_methods_supported").is_none(), "{json}");
}

#[tokio::test]
async fn every_challenge_names_the_metadata_url() {
    let url = ProtectedResourceMetadata::well_known_url(RESOURCE);
    assert_eq!(
        url,
        "https://api.example.com/.well-known/oauth-protected-resource/v1"
    );
    let layer = builder_for(Algorithm::HS256)
        .resource_metadata_url(&url)
        .build()
        .unwrap();
    let attribute = format!("resource_metadata=\"{url}\"");
    let missing = send(&layer, request_with("/", &[])).await;
    assert_eq!(
        challenge(&missing),
        format!("Bearer realm=\"api\", {attribute}")
    );
    let invalid = send(&layer, bearer("x.y.z")).await;
    assert!(
        challenge(&invalid).ends_with(&attribute),
        "{}",
        challenge(&invalid)
    );
    assert_attributes_once(&challenge(&invalid));
    let stack = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .layer(layer.require_scopes(["admin"]));
    let forbidden = send(&stack, bearer(&hs256(&claims()))).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let scoped = challenge(&forbidden);
    assert!(
        scoped.contains("scope=\"admin\"") && scoped.ends_with(&attribute),
        "{scoped}"
    );
    for bad in ["/relative", "https://a\"b", "ftp://x"] {
        let refused = builder_for(Algorithm::HS256)
            .resource_metadata_url(bad)
            .build();
        let error = refused.unwrap_err();
        assert!(matches!(error, ConfigError::InvalidUrl { .. }), "{bad}");
        // The message names the setting and the URL, and says what an accepted URL looks like.
        let message = error.to_string();
        assert!(
            message.starts_with("JwtAuthBuilder::resource_metadata_url: ")
                && message.contains(bad)
                && message.contains("absolute http or https URL"),
            "{message}"
        );
    }
}
