//! Sessions over a store (memory or Redis) with a manual clock.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, ManualClock, MemoryStore, RevocationCheck, SessionStore, Sessions,
    SigningKey, TokenIssuer, VerificationKey,
};

use super::redis_server::RedisServer;

pub const T0: i64 = 1_900_000_000;

pub struct Fixture {
    pub clock: ManualClock,
    pub store: Arc<dyn SessionStore>,
    pub sessions: Sessions,
    pub layer: JwtAuthLayer,
    /// Keeps the Redis server of a Redis fixture alive.
    pub server: Option<RedisServer>,
}

/// Sessions (1 h idle, 4 h absolute, 10 min access tokens) and a verifying layer that checks `store`.
pub fn fixture_with(store: Arc<dyn SessionStore>, clock: ManualClock, grace: Duration) -> Fixture {
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
        .ttl(Duration::from_secs(600))
        .clock(clock.clone())
        .build()
        .unwrap();
    let sessions = Sessions::builder_shared(issuer, Arc::clone(&store))
        .refresh_ttl(Duration::from_secs(3600))
        .max_session(Duration::from_secs(4 * 3600))
        .grace_period(grace)
        .clock(clock.clone())
        .build()
        .unwrap();
    let revocation: Arc<dyn RevocationCheck> = store.clone();
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
        .clock(clock.clone())
        .revocation_shared(revocation)
        .build()
        .unwrap();
    Fixture {
        clock,
        store,
        sessions,
        layer,
        server: None,
    }
}

/// A fixture over a fresh memory store.
pub fn fixture(grace: Duration) -> Fixture {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new().with_clock(clock.clone());
    fixture_with(Arc::new(store), clock, grace)
}

/// A fixture over a fresh Redis server, or `None` when redis-server is not installed (outside CI).
#[cfg(feature = "redis")]
pub async fn redis_fixture(grace: Duration) -> Option<Fixture> {
    let server = RedisServer::start(&[])?;
    let store = tower_jwt_auth::RedisStore::builder(server.url())
        .build()
        .await
        .unwrap();
    let mut fixture = fixture_with(Arc::new(store), ManualClock::new(T0), grace);
    fixture.server = Some(server);
    Some(fixture)
}
