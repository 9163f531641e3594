//! Sessions over a store (memory or Redis) with a manual clock.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use tower_jwt_auth::{
    Algorithm, JwtAuthLayer, ManualClock, MemoryStore, RevocationCheck, SessionStore, Sessions,
    SigningKey, TokenIssuer, TokenIssuerBuilder,
};

use super::redis_server::RedisServer;

pub const T0: i64 = 1_900_000_000;

pub struct Fixture {
    pub clock: ManualClock,
    pub store: Arc<dyn SessionStore>,
    pub sessions: Sessions,
    pub layer: JwtAuthLayer,
    /// The same layer with sliding on `POST /posts`.
    pub sliding: JwtAuthLayer,
    /// Keeps the Redis server of a Redis fixture alive.
    pub server: Option<RedisServer>,
    /// The memory store of a memory fixture.
    pub memory: Option<MemoryStore>,
}

/// The tests' HS256 issuer (test secret, issuer and audience), before its lifetime and clock are chosen.
fn issuer_builder() -> TokenIssuerBuilder {
    TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, super::SECRET).unwrap())
        .issuer(super::ISSUER)
        .audience(super::AUDIENCE)
}

/// The tests' HS256 issuer (test issuer and audience) with this access-token lifetime, on `clock`.
pub fn test_issuer(clock: &ManualClock, ttl: Duration) -> TokenIssuer {
    issuer_builder()
        .ttl(ttl)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The tests' HS256 issuer with the default access-token lifetime, on the system clock.
pub fn system_issuer() -> TokenIssuer {
    issuer_builder().build().unwrap()
}

/// Sessions (1 h idle, 4 h absolute, 10 min access tokens) and a verifying layer that checks `store`.
pub fn fixture_with(store: Arc<dyn SessionStore>, clock: ManualClock, grace: Duration) -> Fixture {
    let issuer = test_issuer(&clock, Duration::from_secs(600));
    let sessions = Sessions::builder_shared(issuer, Arc::clone(&store))
        .refresh_ttl(Duration::from_secs(3600))
        .max_session(Duration::from_secs(4 * 3600))
        .grace_period(grace)
        .clock(clock.clone())
        .build()
        .unwrap();
    let revocation: Arc<dyn RevocationCheck> = store.clone();
    let builder = || {
        super::builder_for(Algorithm::HS256)
            .clock(clock.clone())
            .revocation_shared(revocation.clone())
    };
    let layer = builder().build().unwrap();
    let sliding = builder()
        .sliding(sessions.sliding().action(http::Method::POST, "/posts"))
        .build()
        .unwrap();
    Fixture {
        clock,
        store,
        sessions,
        layer,
        sliding,
        server: None,
        memory: None,
    }
}

/// A fixture over a fresh memory store.
pub fn fixture(grace: Duration) -> Fixture {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new().with_clock(clock.clone());
    let mut fixture = fixture_with(Arc::new(store.clone()), clock, grace);
    fixture.memory = Some(store);
    fixture
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

impl Fixture {
    /// `POST /posts` with `token` through the sliding layer: the status and the reissued token, if any.
    pub async fn act(&self, token: &str) -> (http::StatusCode, Option<String>) {
        let request = http::Request::post("/posts")
            .header("authorization", format!("Bearer {token}"))
            .body(String::new())
            .unwrap();
        let response = super::send(&self.sliding, request).await;
        let renewed = response
            .headers()
            .get("x-access-token")
            .map(|v| v.to_str().unwrap().to_owned());
        (response.status(), renewed)
    }

    /// `GET /` with `token` through the plain layer.
    pub async fn status(&self, token: &str) -> http::StatusCode {
        super::status_of(&self.layer, token).await
    }

    /// How many entries the store holds: the memory store's `len()`, or the number of Redis keys.
    pub async fn store_size(&self) -> usize {
        match &self.memory {
            Some(store) => store.len(),
            None => self.redis_keys().await.len(),
        }
    }

    /// The Redis keys of this fixture's server (empty for the memory store).
    pub async fn redis_keys(&self) -> Vec<String> {
        let Some(server) = &self.server else {
            return Vec::new();
        };
        let client = redis::Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .unwrap()
    }

    /// `EXPIRETIME` of a Redis key of this fixture's server.
    pub async fn redis_expiry(&self, key: &str) -> i64 {
        let server = self.server.as_ref().expect("a Redis fixture");
        let client = redis::Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("EXPIRETIME")
            .arg(key)
            .query_async(&mut connection)
            .await
            .unwrap()
    }
}
