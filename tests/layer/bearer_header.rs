//! RFC 6750 §2: how the token travels, checked through the layer (and §3.1: the challenge when none came).

use crate::common;

use common::*;
use http::{Request, StatusCode};
use jsonwebtoken::Algorithm;

fn with_authorization(values: &[&[u8]]) -> Request<String> {
    let mut builder = Request::builder().uri("/");
    for value in values {
        builder = builder.header(
            "authorization",
            http::HeaderValue::from_bytes(value).unwrap(),
        );
    }
    builder.body(String::new()).unwrap()
}

#[tokio::test]
async fn item_01_rfc6750_2_1_b64token_syntax() {
    let layer = hs256_layer();
    let token = hs256(&claims());
    let ok = StatusCode::OK;
    let bad_request = StatusCode::BAD_REQUEST;
    let unauthorized = StatusCode::UNAUTHORIZED;
    let cases: Vec<(Vec<u8>, StatusCode, Option<&str>)> = vec![
        (format!("Bearer {token}").into(), ok, None),
        (format!("bearer {token}").into(), ok, None),
        (format!("BEARER {token}").into(), ok, None),
        (format!("Bearer    {token}").into(), ok, None),
        ("Bearer".into(), bad_request, Some("invalid_request")),
        ("Bearer ".into(), bad_request, Some("invalid_request")),
        (
            format!("Bearer {token} extra").into(),
            bad_request,
            Some("invalid_request"),
        ),
        (
            format!("Bearer {token},x").into(),
            bad_request,
            Some("invalid_request"),
        ),
        (
            format!("Bearer \"{token}\"").into(),
            bad_request,
            Some("invalid_request"),
        ),
        (
            format!("Bearer\t{token}").into(),
            bad_request,
            Some("invalid_request"),
        ),
        (
            [b"Bearer caf".as_slice(), &[0xc3, 0xa9]].concat(),
            bad_request,
            Some("invalid_request"),
        ),
        // A space, a comma or a quote is never part of a b64token.
        ("Bearer a b".into(), bad_request, Some("invalid_request")),
        ("Bearer a,b".into(), bad_request, Some("invalid_request")),
        ("Bearer \"a\"".into(), bad_request, Some("invalid_request")),
        // Well-formed headers whose value is no JWT.
        (
            "Bearer abc.def.ghi".into(),
            unauthorized,
            Some("invalid_token"),
        ),
        ("Bearer abc.def".into(), unauthorized, Some("invalid_token")),
        (
            "Bearer not-a-jwt".into(),
            unauthorized,
            Some("invalid_token"),
        ),
        ("Basic dXNlcjpwYXNz".into(), unauthorized, None),
    ];
    for (value, status, error) in cases {
        let response = send(&layer, with_authorization(&[&value])).await;
        let shown = String::from_utf8_lossy(&value).into_owned();
        assert_eq!(response.status(), status, "{shown}");
        if status != ok {
            assert_rejected(&response, status, error);
        }
    }
}

#[tokio::test]
async fn item_02_rfc6750_2_one_method_per_request() {
    let plain = hs256_layer();
    let with_cookie = builder_for(Algorithm::HS256)
        .cookie("at")
        .allow_cookies_without_csrf()
        .build()
        .unwrap();
    let token = hs256(&claims());
    let header = format!("Bearer {token}");
    // Header plus query string, whether or not the cookie source is on.
    for layer in [&plain, &with_cookie] {
        let query = request_with(
            &format!("/?access_token={token}"),
            &[("authorization", &*header)],
        );
        assert_rejected(
            &send(layer, query).await,
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        );
    }
    // Header plus cookie.
    let both = request_with(
        "/",
        &[
            ("authorization", &*header),
            ("cookie", &*format!("at={token}")),
        ],
    );
    assert_rejected(
        &send(&with_cookie, both).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    // Two Authorization headers.
    let two = with_authorization(&[header.as_bytes(), header.as_bytes()]);
    assert_rejected(
        &send(&plain, two).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
}

#[tokio::test]
async fn item_03_rfc6750_2_2_form_body_tokens_are_off() {
    let form = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={}", hs256(&claims())))
        .unwrap();
    assert_rejected(
        &send(&hs256_layer(), form).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
}

#[tokio::test]
async fn item_04_rfc6750_2_3_query_tokens_are_off() {
    // Query-string tokens alone are not a source: no token, with or without the cookie source.
    let with_cookie = builder_for(Algorithm::HS256)
        .cookie("at")
        .allow_cookies_without_csrf()
        .build()
        .unwrap();
    for layer in [hs256_layer(), with_cookie] {
        let query = Request::get(format!("/?access_token={}", hs256(&claims())))
            .body(String::new())
            .unwrap();
        assert_rejected(&send(&layer, query).await, StatusCode::UNAUTHORIZED, None);
    }
}

#[tokio::test]
async fn item_07_rfc6750_3_1_no_credentials_no_error_code() {
    let response = send(&hs256_layer(), Request::new(String::new())).await;
    assert_eq!(challenge(&response), "Bearer realm=\"api\"");
    let layer = builder_for(Algorithm::HS256)
        .realm("orders")
        .build()
        .unwrap();
    let response = send(&layer, with_authorization(&[])).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, None);
    assert_eq!(challenge(&response), "Bearer realm=\"orders\"");
}

#[tokio::test]
async fn the_cookie_source_is_opt_in() {
    let token = hs256(&claims());
    let request = || request_with("/", &[("cookie", &*format!("theme=dark; at={token}"))]);
    let header_only = hs256_layer();
    assert_rejected(
        &send(&header_only, request()).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let with_cookie = builder_for(Algorithm::HS256)
        .cookie("at")
        .allow_cookies_without_csrf()
        .build()
        .unwrap();
    let response = send(&with_cookie, request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "alice");
}

#[tokio::test]
async fn custom_token_sources_plug_in() {
    #[derive(Debug)]
    struct ApiKeyHeader;
    impl tower_jwt_auth::token::TokenSource for ApiKeyHeader {
        fn extract<'r>(
            &self,
            headers: &'r http::HeaderMap,
            _: &'r http::Uri,
        ) -> Result<Option<&'r str>, tower_jwt_auth::AuthError> {
            Ok(headers.get("x-token").and_then(|v| v.to_str().ok()))
        }
    }
    let layer = builder_for(Algorithm::HS256)
        .token_source(ApiKeyHeader)
        .build()
        .unwrap();
    let request = request_with("/", &[("x-token", &*hs256(&claims()))]);
    assert_eq!(send(&layer, request).await.status(), StatusCode::OK);
    // The bearer header is no longer read.
    assert_eq!(
        send(&layer, bearer(&hs256(&claims()))).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_closure_is_a_token_source() {
    use tower_jwt_auth::{token::token_source_fn, AuthErrorKind};
    let layer = builder_for(Algorithm::HS256)
        .token_source(token_source_fn(|headers, _uri| {
            match headers.get("x-api-token").map(|v| v.to_str()) {
                None => Ok(None),
                Some(Ok(token)) => Ok(Some(token)),
                Some(Err(_)) => Err(AuthErrorKind::Malformed.into()),
            }
        }))
        .build()
        .unwrap();
    let token = hs256(&claims());
    let ok = request_with("/", &[("x-api-token", token.as_str())]);
    assert_eq!(send(&layer, ok).await.status(), StatusCode::OK);
    // The bearer header is no source any more: the closure replaced it.
    assert_rejected(
        &send(&layer, bearer(&token)).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let mut bad = request_with("/", &[]);
    bad.headers_mut().insert(
        "x-api-token",
        http::HeaderValue::from_bytes(b"\xff").unwrap(),
    );
    assert_rejected(
        &send(&layer, bad).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
}

#[tokio::test]
async fn token_headers_are_marked_sensitive_for_the_layers_further_in() {
    use tower::{Layer, ServiceExt};
    let layer = builder_for(Algorithm::HS256)
        .cookie("at")
        .allow_cookies_without_csrf()
        .build()
        .unwrap();
    let seen = |request: Request<String>| async move {
        let sensitive = |name: &str| request.headers().get(name).map(|v| v.is_sensitive());
        let body = format!("{:?} {:?}", sensitive("authorization"), sensitive("cookie"));
        Ok::<_, std::convert::Infallible>(http::Response::new(body))
    };
    let service = layer.layer(tower::service_fn(seen));
    let token = hs256(&claims());
    let response = service.clone().oneshot(bearer(&token)).await.unwrap();
    assert_eq!(response.body(), "Some(true) None");
    let cookie = format!("at={token}; theme=dark");
    let response = service
        .oneshot(request_with("/", &[("cookie", cookie.as_str())]))
        .await
        .unwrap();
    assert_eq!(response.body(), "None Some(true)");
}

#[tokio::test]
async fn cors_preflights_pass_only_when_asked_to() {
    let preflight = || {
        Request::builder()
            .method("OPTIONS")
            .uri("/")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .body(String::new())
            .unwrap()
    };
    let strict = builder_for(Algorithm::HS256).build().unwrap();
    assert_rejected(
        &send(&strict, preflight()).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let bypass = builder_for(Algorithm::HS256)
        .bypass_cors_preflight()
        .build()
        .unwrap();
    assert_eq!(send(&bypass, preflight()).await.status(), StatusCode::OK);
    // Only a real preflight: a plain OPTIONS, or a POST, still needs a token.
    let plain = Request::builder()
        .method("OPTIONS")
        .uri("/")
        .body(String::new())
        .unwrap();
    assert_rejected(&send(&bypass, plain).await, StatusCode::UNAUTHORIZED, None);
    let mut post = preflight();
    *post.method_mut() = http::Method::POST;
    assert_rejected(&send(&bypass, post).await, StatusCode::UNAUTHORIZED, None);
}
