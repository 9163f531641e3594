//! With the `tracing` feature: one event per rejection, carrying the reason kind and never the token.
#![cfg(feature = "tracing")]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use jsonwebtoken::Algorithm;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event's fields as text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

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
    let events = recorder.0.lock().unwrap();
    assert_eq!(events.len(), 1, "one rejection, one event: {events:?}");
    assert!(events[0].contains("kind=Expired"), "{}", events[0]);
    let signature = token.rsplit('.').next().unwrap();
    assert!(!events
        .iter()
        .any(|e| e.contains(signature) || e.contains(&token[..20])));
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
    let events = recorder.0.lock().unwrap();
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
    let rejection = tower_jwt_auth::ClaimsRejection::WrongClaimsType {
        expected: "my_app::Claims",
    };
    let response =
        tracing::subscriber::with_default(recorder.clone(), || rejection.into_response());
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    let events = recorder.0.lock().unwrap();
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
        .layer(layer.require_scopes(["admin"]).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let response = send(&stack, bearer(&hs256(&claims()))).await;
            assert_eq!(response.status(), http::StatusCode::FORBIDDEN);
        })
    });
    let events = recorder.0.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("kind=InsufficientScope"),
        "{}",
        events[0]
    );
}
