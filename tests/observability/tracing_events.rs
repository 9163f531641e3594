//! With the `tracing` feature: one event per rejection, carrying the reason kind and never the token.
#![cfg(feature = "tracing")]

use crate::common;

use common::trace_recorder::Recorder;
use common::*;
use jsonwebtoken::Algorithm;

#[test]
fn one_event_per_rejection_with_the_kind_and_never_the_token() {
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let mut expired = claims();
    expired["exp"] = serde_json::json!(now() - 3600);
    let token = hs256(&expired);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            send(&layer, bearer(&token)).await;
            send(&layer, bearer(&hs256(&claims()))).await;
        })
    });
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "one rejection, one event: {events:?}");
    assert!(events[0].contains("kind=Expired"), "{}", events[0]);
    // Neither the token's claims segment nor its signature appears (its header is a constant of every token).
    let mut segments = token.split('.').skip(1);
    let (claims_segment, signature) = (segments.next().unwrap(), segments.next().unwrap());
    assert!(!events
        .iter()
        .any(|e| e.contains(signature) || e.contains(&claims_segment[..16])));
}

#[cfg(feature = "redis")]
#[test]
fn an_evicting_redis_is_warned_about_at_start() {
    let Some(server) =
        common::redis_server::RedisServer::start(&["--maxmemory-policy", "allkeys-lru"])
    else {
        return;
    };
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            tower_jwt_auth::RedisStore::builder(server.url())
                .build()
                .await
                .unwrap();
        })
    });
    let events = recorder.events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.contains("allkeys-lru") && e.contains("noeviction")),
        "{events:?}"
    );
}

#[test]
fn a_claims_type_mismatch_is_logged_as_an_error_naming_the_type() {
    use axum::response::IntoResponse;
    let recorder = Recorder::default();
    let rejection = tower_jwt_auth::layer::ClaimsRejection::WrongClaimsType {
        expected: "my_app::Claims",
    };
    let response =
        tracing::subscriber::with_default(recorder.clone(), || rejection.into_response());
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    let events = recorder.events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.contains("my_app::Claims")),
        "{events:?}"
    );
}

#[test]
fn a_per_route_refusal_is_one_event_too() {
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let stack = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .layer(layer.require_scopes(["admin"]));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let response = send(&stack, bearer(&hs256(&claims()))).await;
            assert_eq!(response.status(), http::StatusCode::FORBIDDEN);
        })
    });
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("kind=InsufficientScope"),
        "{}",
        events[0]
    );
}

#[test]
fn claim_failures_name_the_claim_never_its_value() {
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let mut no_audience = claims();
    no_audience.as_object_mut().unwrap().remove("aud");
    let mut wrong_issuer = claims();
    wrong_issuer["iss"] = serde_json::json!("https://secret-issuer.example");
    let mut text_exp = claims();
    text_exp["exp"] = serde_json::json!("tomorrow");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let errors = tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let mut errors = Vec::new();
            for claims in [&no_audience, &wrong_issuer, &text_exp] {
                let response = send(&layer, bearer(&hs256(claims))).await;
                errors.push(
                    response
                        .extensions()
                        .get::<tower_jwt_auth::AuthError>()
                        .cloned()
                        .unwrap(),
                );
            }
            errors
        })
    });
    let named: Vec<_> = errors.iter().map(|e| (e.kind(), e.claim())).collect();
    use tower_jwt_auth::AuthErrorKind::*;
    assert_eq!(
        named,
        [
            (MissingClaim, Some("aud")),
            (InvalidIssuer, Some("iss")),
            (InvalidClaim, Some("exp"))
        ]
    );
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    for (event, claim) in events.iter().zip(["aud", "iss", "exp"]) {
        assert!(event.contains(&format!("claim=\"{claim}\"")), "{event}");
        assert!(
            !event.contains("secret-issuer") && !event.contains("tomorrow"),
            "{event}"
        );
    }
}

#[test]
fn each_request_gets_a_span_with_the_subject_or_the_reason_and_the_handler_runs_inside_it() {
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let service = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|request: http::Request<String>| async move {
            tracing::info!("handler ran");
            echo(request).await
        });
    let mut expired = claims();
    expired["exp"] = serde_json::json!(now() - 3600);
    let (good, stale) = (hs256(&claims()), hs256(&expired));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            use tower::ServiceExt as _;
            let ok = service.clone().oneshot(bearer(&good)).await.unwrap();
            assert_eq!(ok.status(), http::StatusCode::OK);
            let refused = service.clone().oneshot(bearer(&stale)).await.unwrap();
            assert_eq!(refused.status(), http::StatusCode::UNAUTHORIZED);
        })
    });
    let spans = recorder.spans_named("jwt_auth");
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert!(
        spans[0].contains("sub=\"alice\"") && !spans[0].contains("reason="),
        "{}",
        spans[0]
    );
    assert!(
        spans[1].contains("reason=\"expired\"") && !spans[1].contains("sub=\"alice\""),
        "{}",
        spans[1]
    );
    let events = recorder.events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("[jwt_auth] ") && e.contains("handler ran")),
        "the handler's events are inside the request span: {events:?}"
    );
    for text in spans.iter().chain(events.iter()) {
        assert!(
            !text.contains(&good[good.len() - 20..]) && !text.contains(&stale[stale.len() - 20..])
        );
    }
}

#[test]
fn an_extractor_refusal_is_one_event_too() {
    use axum::routing::get;
    use tower::ServiceExt as _;
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).optional().build().unwrap();
    let app: axum::Router = axum::Router::new()
        .route(
            "/me",
            get(|_: tower_jwt_auth::Claims<tower_jwt_auth::RegisteredClaims>| async { "me" }),
        )
        .layer(layer);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let request = http::Request::get("/me")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
        })
    });
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains("kind=Missing"), "{}", events[0]);
    let spans = recorder.spans_named("jwt_auth");
    assert!(spans[0].contains("reason=\"missing\""), "{spans:?}");
}

#[test]
fn the_span_gets_the_subject_on_the_asynchronous_path_and_the_reason_of_a_refusal_from_inside_a_handler(
) {
    use tower::ServiceExt as _;
    let recorder = Recorder::default();
    let store =
        common::observed_store::ObservedStore::asynchronous(tower_jwt_auth::MemoryStore::new());
    let layer = builder_for(Algorithm::HS256)
        .revocation(store)
        .max_age(std::time::Duration::from_secs(86_400))
        .build()
        .unwrap();
    let needs_admin = layer.require_scopes(["admin"]);
    let service = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(move |request: http::Request<String>| {
            let needs_admin = needs_admin.clone();
            async move {
                // A handler of its own, inside an instrumented span: the refusal still reaches jwt_auth's span.
                let inner = tracing::info_span!("handler", reason = tracing::field::Empty);
                let _entered = inner.enter();
                let refused = needs_admin.check(request.extensions()).is_err();
                Ok::<_, std::convert::Infallible>(http::Response::new(refused.to_string()))
            }
        });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let response = service.oneshot(bearer(&hs256(&claims()))).await.unwrap();
            assert_eq!(response.body(), "true");
        })
    });
    let spans = recorder.spans_named("jwt_auth");
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert!(
        spans[0].contains("sub=\"alice\""),
        "admitted after the store answered: {}",
        spans[0]
    );
    assert!(
        spans[0].contains("reason=\"insufficient_scope\""),
        "{}",
        spans[0]
    );
    let handler = recorder.spans_named("handler");
    assert!(
        !handler[0].contains("reason="),
        "nothing written into another span: {}",
        handler[0]
    );
}

#[test]
fn an_authorize_layer_outside_the_auth_layer_is_an_error_event_naming_the_fix() {
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    // Wrong way round: ServiceBuilder's first layer is the outermost, so the scope check runs first.
    let wrong = tower::ServiceBuilder::new()
        .layer(layer.require_scopes(["write"]))
        .layer(layer.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let response = send(&wrong, bearer(&hs256(&claims()))).await;
            assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        })
    });
    let events = recorder.events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.contains("level=ERROR")
            && e.contains("AuthorizeLayer")
            && e.contains(".route_layer(")
            && e.contains(".layer(auth)")),
        "{events:?}"
    );
}

#[test]
fn claims_that_do_not_fit_the_type_carry_serdes_message_in_the_debug_event() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct V2Claims {
        sub: String,
        tenant: String,
    }
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256)
        .claims::<V2Claims>()
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let response = send(&layer, bearer(&hs256(&claims()))).await;
            assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
        })
    });
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("kind=InvalidClaim") && events[0].contains("missing field `tenant`"),
        "{}",
        events[0]
    );
}

#[test]
fn a_refused_preflight_warns_once_naming_the_fix() {
    let preflight = || {
        http::Request::builder()
            .method(http::Method::OPTIONS)
            .uri("/")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "GET")
            .body(String::new())
            .unwrap()
    };
    let recorder = Recorder::default();
    let layer = builder_for(Algorithm::HS256).build().unwrap();
    let other = builder_for(Algorithm::HS256).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let warnings = |recorder: &Recorder| {
        let events = recorder.events.lock().unwrap();
        events
            .iter()
            .filter(|e| e.ends_with("level=WARN"))
            .cloned()
            .collect::<Vec<_>>()
    };
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            // Not a preflight (no Access-Control-Request-Method): refused without a warning.
            let plain_options = http::Request::builder()
                .method(http::Method::OPTIONS)
                .uri("/")
                .body(String::new())
                .unwrap();
            assert_eq!(send(&layer, plain_options).await.status(), 401);
            assert_eq!(send(&layer, request_with("/", &[])).await.status(), 401);
            assert_eq!(warnings(&recorder), Vec::<String>::new());
            assert_eq!(send(&layer, preflight()).await.status(), 401);
            assert_eq!(send(&layer, preflight()).await.status(), 401);
        })
    });
    let warned = warnings(&recorder);
    assert_eq!(
        warned.len(),
        1,
        "two refused preflights, one warning: {warned:?}"
    );
    for fix in ["CorsLayer", "bypass_cors_preflight", "Where the layer goes"] {
        assert!(warned[0].contains(fix), "{fix} in {}", warned[0]);
    }
    // Once per layer: another layer misplaced the same way says so too.
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async { send(&other, preflight()).await })
    });
    assert_eq!(warnings(&recorder).len(), 2, "{:?}", warnings(&recorder));
}
