//! The sessions' builder names the setting that is out of range and what it must be.

use std::sync::Arc;
use std::time::Duration;

use crate::fixtures::test_issuer;
use tower_jwt_auth::{sliding::SlidingPolicy, ConfigError, JwtAuthLayer, MemoryStore, Sessions};

/// The sessions' builder names the duration that is out of range and the range it must be in; a shared store
/// behind an `Arc` is still a store (it keeps saying it is process-local).
#[test]
fn sessions_builder_errors_name_their_setting() {
    let grace = Sessions::builder(test_issuer(), MemoryStore::new())
        .grace_period(Duration::from_secs(61))
        .build()
        .unwrap_err();
    assert_eq!(grace.setting(), Some("SessionsBuilder::grace_period"));
    assert_eq!(
        grace.to_string(),
        "SessionsBuilder::grace_period: invalid duration; it must be at most 60 seconds (MAX_GRACE_PERIOD)"
    );
    let idle = Sessions::builder(test_issuer(), Arc::new(MemoryStore::new()))
        .refresh_ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        idle,
        ConfigError::InvalidDuration {
            setting: "SessionsBuilder::refresh_ttl",
            expected: "between one second and 100 years"
        }
    );
    let policy = SlidingPolicy::new().cookie("bad name", tower_jwt_auth::sliding::SameSite::Strict);
    let sessions = Sessions::builder(test_issuer(), Arc::new(MemoryStore::new()))
        .build()
        .expect("an Arc'd memory store is process-local: no successor key needed");
    let cookie = JwtAuthLayer::builder()
        .sessions(&sessions)
        .sliding(policy)
        .build()
        .unwrap_err();
    assert!(
        cookie
            .to_string()
            .starts_with("SlidingPolicy::cookie: invalid name `bad name`; use a non-empty name"),
        "{cookie}"
    );
}
