//! Sessions over the memory store with a manual clock.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, ManualClock, MemoryStore, Sessions, SigningKey, TokenIssuer,
    VerificationKey,
};

pub const T0: i64 = 1_900_000_000;

pub struct Fixture {
    pub clock: ManualClock,
    pub store: MemoryStore,
    pub sessions: Sessions,
    pub layer: JwtAuthLayer,
}

pub fn fixture(grace: Duration) -> Fixture {
    let clock = ManualClock::new(T0);
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
        .ttl(Duration::from_secs(600))
        .clock(clock.clone())
        .build()
        .unwrap();
    let store = MemoryStore::new().with_clock(clock.clone());
    let sessions = Sessions::builder(issuer, store.clone())
        .refresh_ttl(Duration::from_secs(3600))
        .max_session(Duration::from_secs(4 * 3600))
        .grace_period(grace)
        .clock(clock.clone())
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .key(VerificationKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
        .clock(clock.clone())
        .revocation(store.clone())
        .build()
        .unwrap();
    Fixture {
        clock,
        store,
        sessions,
        layer,
    }
}
