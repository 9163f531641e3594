//! The layer on an axum Router: `layer`, `route_layer`, and the `Claims` extractors.

use crate::common;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::Algorithm;
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{Claims, RegisteredClaims, TokenInfo};

async fn me(claims: Claims<RegisteredClaims>, info: TokenInfo) -> String {
    format!(
        "{} {}",
        claims.sub.as_deref().unwrap_or(""),
        info.token_id().unwrap_or("")
    )
}

async fn maybe(claims: Option<Claims<RegisteredClaims>>) -> String {
    claims
        .and_then(|c| c.sub.clone())
        .unwrap_or_else(|| "guest".into())
}

async fn body_text(response: axum::response::Response) -> String {
    String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

fn get_with(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn router_layer_and_extractors() {
    let auth = builder_for(Algorithm::HS256).build().unwrap();
    let app = Router::new().route("/me", get(me)).layer(auth);
    let token = hs256(&claims());
    let response = app
        .clone()
        .oneshot(get_with("/me", Some(&token)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "alice j1");
    let response = app.oneshot(get_with("/me", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"api\""
    );
}

#[tokio::test]
async fn route_layer_protects_only_its_routes_and_option_claims_work() {
    let auth = builder_for(Algorithm::HS256).optional().build().unwrap();
    let app = Router::new()
        .route("/posts", post(|| async { StatusCode::CREATED }))
        .route_layer(auth.require_scopes(["write"]))
        .route("/maybe", get(maybe))
        .route("/me", get(me))
        .layer(auth);
    assert_eq!(
        body_text(app.clone().oneshot(get_with("/maybe", None)).await.unwrap()).await,
        "guest"
    );
    let token = hs256(&claims());
    assert_eq!(
        body_text(
            app.clone()
                .oneshot(get_with("/maybe", Some(&token)))
                .await
                .unwrap()
        )
        .await,
        "alice"
    );
    // `Claims<C>` (not optional) without a token: 401 from the extractor.
    let response = app.clone().oneshot(get_with("/me", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let post_with = |token: &str| {
        Request::builder()
            .method("POST")
            .uri("/posts")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app.clone()
            .oneshot(post_with(&token))
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let mut reader = claims();
    reader["scope"] = json!("read");
    let response = app.oneshot(post_with(&hs256(&reader))).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
}

#[tokio::test]
async fn a_claims_type_the_layer_was_not_built_for_is_a_loud_500_not_a_401() {
    #[derive(serde::Deserialize)]
    struct AppClaims {
        #[allow(dead_code)]
        sub: String,
    }
    let layer = builder_for(Algorithm::HS256)
        .claims::<AppClaims>()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .layer(layer);
    for path in ["/me", "/maybe"] {
        let request = Request::get(path)
            .header("authorization", format!("Bearer {}", hs256(&claims())))
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        assert!(
            !response.headers().contains_key("www-authenticate"),
            "not an authentication failure"
        );
        // The explanation is for the application (see below), not the client: no type, no crate path.
        let text = body_text(response).await;
        assert!(
            !text.contains("Claims") && !text.contains("tower_jwt_auth::"),
            "{text}"
        );
    }
    // Without a token at all it is still the usual 401 (and `None` in optional mode).
    let response = app
        .clone()
        .oneshot(Request::get("/me").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn extractors_refuse_through_the_layers_realm_and_responder() {
    let auth = builder_for(Algorithm::HS256)
        .optional()
        .realm("orders")
        .responder(tower_jwt_auth::rejection::JsonResponder)
        .build()
        .unwrap();
    let app = Router::new()
        .route("/me", get(me))
        .route(
            "/info",
            get(|info: TokenInfo| async move { info.subject().unwrap_or("").to_owned() }),
        )
        .route("/maybe", get(maybe))
        .layer(auth);
    for path in ["/me", "/info"] {
        let response = app.clone().oneshot(get_with(path, None)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"orders\"",
            "{path}: the layer's realm"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        assert_eq!(
            response
                .extensions()
                .get::<tower_jwt_auth::AuthError>()
                .map(|e| e.kind()),
            Some(tower_jwt_auth::AuthErrorKind::Missing),
            "{path}: the rejection contract"
        );
        let body: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
        assert_eq!(
            body["error"], "unauthorized",
            "{path}: the layer's JSON body"
        );
    }
    // Optional extraction still sees no token as `None`, and a token works as before.
    assert_eq!(
        body_text(app.clone().oneshot(get_with("/maybe", None)).await.unwrap()).await,
        "guest"
    );
    let token = hs256(&claims());
    let response = app.oneshot(get_with("/info", Some(&token))).await.unwrap();
    assert_eq!(body_text(response).await, "alice");
}

#[tokio::test]
async fn a_claims_type_mismatch_explains_itself_to_the_app_by_public_paths_not_to_the_client() {
    use tower_jwt_auth::layer::ClaimsRejection;
    #[derive(serde::Deserialize)]
    struct AppClaims {
        #[allow(dead_code)]
        sub: String,
    }
    async fn explained(claims: Result<Claims<RegisteredClaims>, ClaimsRejection>) -> String {
        claims
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }
    async fn app_claims(_: Claims<AppClaims>) {}
    // The layer decodes JSON values; the handlers ask for the crate's claims type and for the app's own.
    let layer = builder_for(Algorithm::HS256)
        .claims::<serde_json::Value>()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/explained", get(explained))
        .route("/app", get(app_claims))
        .layer(layer);
    let token = format!("Bearer {}", hs256(&claims()));
    let get_with_token = |path: &str| {
        Request::get(path)
            .header("authorization", &token)
            .body(Body::empty())
            .unwrap()
    };
    let text = body_text(
        app.clone()
            .oneshot(get_with_token("/explained"))
            .await
            .unwrap(),
    )
    .await;
    assert!(
        text.contains("Claims<tower_jwt_auth::RegisteredClaims>")
            && text.contains(".claims::<tower_jwt_auth::RegisteredClaims>()")
            && text.contains("testing::authenticate_as"),
        "the error names the re-exported path, the fix and the test helpers: {text}"
    );
    assert!(!text.contains("token::claims"), "no private path: {text}");
    let response = app.oneshot(get_with_token("/app")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = body_text(response).await;
    assert!(
        !text.contains("AppClaims") && !text.contains("axum_router::") && !text.contains("Claims<"),
        "{text}"
    );
}

/// The layer around the whole router (`auth.layer(router)`), served by `axum::serve` on 127.0.0.1 and driven by
/// a real client: the same answers as `Router::layer` — extractors see the claims, a missing token is 401 with
/// its challenge, an unknown path is 401 without a token and 404 with one — and a refusal never reaches routing.
#[tokio::test]
async fn the_layer_around_the_whole_router_answers_as_router_layer_over_tcp() {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tower::Layer;

    let routed = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&routed);
    let app = Router::new()
        .route("/me", get(me))
        .layer(axum::middleware::map_request(
            move |request: Request<Body>| {
                count.fetch_add(1, Ordering::SeqCst);
                async move { request }
            },
        ));
    let service = builder_for(Algorithm::HS256).build().unwrap().layer(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<Request<Body>>::into_make_service(service),
        )
        .await
    });

    let client: Client<_, http_body_util::Empty<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let token = hs256(&claims());
    let get = |path: &str, token: Option<&str>| {
        let mut request = Request::get(format!("http://{address}{path}"));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        client.request(request.body(http_body_util::Empty::new()).unwrap())
    };
    let text = |response: http::Response<hyper::body::Incoming>| async move {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let response = get("/me", Some(&token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(response).await, "alice j1");
    assert_eq!(routed.load(Ordering::SeqCst), 1);

    let response = get("/me", None).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"api\""
    );
    let response = get("/me", Some(&format!("{token}x"))).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = get("/nowhere", None).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        routed.load(Ordering::SeqCst),
        1,
        "a refusal reached the router"
    );

    let response = get("/nowhere", Some(&token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    server.abort();
}
